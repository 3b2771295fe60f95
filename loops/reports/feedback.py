"""Feedback figures: NPS (with sample size and margin of error), CSAT and CES over time, the
response rate, the distribution of scores, and themes by frequency and among detractors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet

from loops.reports.filters import ReportFilters, invitations_filtered, responses_filtered
from loops.reports.periods import Bucket, bucket_key, buckets, trunc
from loops.selectors.cases import Viewer
from surveys.models import Band, Invitation, Response, ScoreKind, Theme
from surveys.models.responses import has_theme, theme_marker
from surveys.models.surveys import SCALES

Z_95 = 1.96


def min_nps_sample() -> int:
    """Below this many answers an NPS is shown but flagged as noise."""
    return int(settings.REPORTS_MIN_NPS_SAMPLE)


def nps_value(promoters: int, detractors: int, n: int) -> float | None:
    return None if n == 0 else (promoters - detractors) / n * 100


def nps_margin(promoters: int, detractors: int, n: int) -> float | None:
    """Half-width of the 95 % confidence interval of NPS, in points. NPS is the mean of a variable
    that is +1 (promoter), 0 or -1 (detractor); its variance is p + d - (p - d)²."""
    if n < 2:
        return None
    p, d = promoters / n, detractors / n
    return Z_95 * math.sqrt(max(p + d - (p - d) ** 2, 0) / n) * 100


@dataclass(frozen=True)
class NpsFigure:
    n: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps(self) -> float | None:
        return nps_value(self.promoters, self.detractors, self.n)

    @property
    def margin(self) -> float | None:
        return nps_margin(self.promoters, self.detractors, self.n)

    @property
    def small_sample(self) -> bool:
        return self.n < min_nps_sample()


@dataclass(frozen=True)
class NpsPoint:
    bucket: Bucket
    figure: NpsFigure
    noise: bool  # the change from the previous point is within the two margins of error


@dataclass(frozen=True)
class Scores:
    nps: NpsFigure
    csat_n: int
    csat_satisfied: int
    ces_n: int
    ces_average: float | None

    @property
    def csat(self) -> float | None:
        return None if self.csat_n == 0 else self.csat_satisfied / self.csat_n * 100


def _score_aggregates() -> dict[str, Count | Avg]:
    nps, csat, ces = Q(score_kind=ScoreKind.NPS), Q(score_kind=ScoreKind.CSAT), Q(score_kind=ScoreKind.CES)
    scored = Q(score__isnull=False)
    return {
        "nps_n": Count("pk", filter=nps & scored),
        "promoters": Count("pk", filter=nps & scored & Q(score_band=Band.PROMOTER)),
        "detractors": Count("pk", filter=nps & scored & Q(score_band=Band.DETRACTOR)),
        "csat_n": Count("pk", filter=csat & scored),
        "csat_satisfied": Count("pk", filter=csat & Q(score__gte=4)),
        "ces_n": Count("pk", filter=ces & scored),
        "ces_average": Avg("score", filter=ces & scored),
    }


def _scores(row: Any) -> Scores:
    n, promoters, detractors = int(row["nps_n"] or 0), int(row["promoters"] or 0), int(row["detractors"] or 0)
    ces = row["ces_average"]
    return Scores(
        nps=NpsFigure(n=n, promoters=promoters, passives=n - promoters - detractors, detractors=detractors),
        csat_n=int(row["csat_n"] or 0),
        csat_satisfied=int(row["csat_satisfied"] or 0),
        ces_n=int(row["ces_n"] or 0),
        ces_average=None if ces is None else float(ces),
    )


def scores(*, viewer: Viewer, filters: ReportFilters) -> Scores:
    return _scores(responses_filtered(viewer=viewer, filters=filters).aggregate(**_score_aggregates()))


def score_trend(*, viewer: Viewer, filters: ReportFilters) -> list[tuple[Bucket, Scores]]:
    """NPS, CSAT and CES per week or month; buckets without answers are there, empty."""
    rows = (
        responses_filtered(viewer=viewer, filters=filters)
        .annotate(bucket=trunc("created_at", filters))
        .values("bucket")
        .annotate(**_score_aggregates())
    )
    found = {bucket_key(row["bucket"], filters): _scores(row) for row in rows}
    empty = Scores(NpsFigure(0, 0, 0, 0), 0, 0, 0, None)
    return [(b, found.get(b.key, empty)) for b in buckets(filters)]


def nps_points(trend: list[tuple[Bucket, Scores]]) -> list[NpsPoint]:
    """Each point says whether its change from the previous one could be noise: a small sample,
    or a difference smaller than the two margins of error combined."""
    points: list[NpsPoint] = []
    previous: NpsFigure | None = None
    for bucket, row in trend:
        figure = row.nps
        noise = figure.small_sample
        if not noise and previous is not None and previous.nps is not None and figure.nps is not None:
            combined = math.hypot(previous.margin or 0, figure.margin or 0)
            noise = abs(figure.nps - previous.nps) < combined
        points.append(NpsPoint(bucket=bucket, figure=figure, noise=noise))
        if figure.n:
            previous = figure
    return points


@dataclass(frozen=True)
class ResponseRate:
    sent: int
    answered: int

    @property
    def percent(self) -> float | None:
        return None if self.sent == 0 else self.answered / self.sent * 100


def response_rate(*, viewer: Viewer, filters: ReportFilters) -> ResponseRate:
    """Of the invitations sent in the period, how many have a response (whenever it came).

    An invitation is answered exactly when it has a response: the response service records both
    in one transaction, and an answered invitation never changes status again. Counting the
    status reads the invitations alone (a join with the responses cost 2.6x as much on 1,200,000
    invitations)."""
    row = invitations_filtered(viewer=viewer, filters=filters).aggregate(
        sent=Count("pk"), answered=Count("pk", filter=Q(status=Invitation.Status.ANSWERED))
    )
    return ResponseRate(sent=row["sent"], answered=row["answered"])


def score_distribution(*, viewer: Viewer, filters: ReportFilters, kind: str = ScoreKind.NPS) -> list[tuple[int, int]]:
    """(score, answers) for every point of the kind's scale, zeros included."""
    low, high = SCALES.get(kind, SCALES[ScoreKind.NPS])
    rows = (
        responses_filtered(viewer=viewer, filters=filters)
        .filter(score_kind=kind, score__isnull=False)
        .values("score")
        .annotate(n=Count("pk"))
    )
    counts = {row["score"]: row["n"] for row in rows}
    return [(score, counts.get(score, 0)) for score in range(low, high + 1)]


@dataclass(frozen=True)
class ThemeRow:
    name: str
    mentions: int
    detractor_mentions: int
    responses: int
    detractors: int

    @property
    def share(self) -> float | None:
        return None if self.responses == 0 else self.mentions / self.responses * 100

    @property
    def detractor_share(self) -> float | None:
        """Of all detractors in the period, the share that mentioned this theme."""
        return None if self.detractors == 0 else self.detractor_mentions / self.detractors * 100


def _theme_names() -> list[str]:
    return list(Theme.objects.filter(active=True).order_by("name").values_list("name", flat=True))


def themes(*, viewer: Viewer, filters: ReportFilters) -> list[ThemeRow]:
    """Every active theme by how often it was mentioned, with its share among detractors."""
    names = _theme_names()
    responses = responses_filtered(viewer=viewer, filters=filters)
    counts = _theme_counts_unnested(responses) if connection.vendor == "postgresql" else _theme_counts(responses, names)
    total, total_detractors = counts.get(None, (0, 0))
    result = [ThemeRow(name, *counts.get(theme_marker(name), (0, 0)), total, total_detractors) for name in names]
    return sorted(result, key=lambda r: (-r.mentions, r.name))


ThemeCounts = dict[str | None, tuple[int, int]]
"""(responses, detractors) by theme marker ("|Billing|"); None holds the totals."""


def _theme_counts(responses: QuerySet[Response], names: list[str]) -> ThemeCounts:
    """Any database: one pass with two filtered counts per theme (a LIKE each)."""
    detractor = Q(score_band=Band.DETRACTOR)
    aggregates: dict[str, Count] = {"responses": Count("pk"), "detractors": Count("pk", filter=detractor)}
    for i, name in enumerate(names):
        aggregates[f"t{i}"] = Count("pk", filter=has_theme(name))
        aggregates[f"d{i}"] = Count("pk", filter=has_theme(name) & detractor)
    row = responses.aggregate(**aggregates)
    counts: ThemeCounts = {theme_marker(name): (row[f"t{i}"], row[f"d{i}"]) for i, name in enumerate(names)}
    counts[None] = (row["responses"], row["detractors"])
    return counts


def _theme_counts_unnested(responses: QuerySet[Response]) -> ThemeCounts:
    """PostgreSQL: each response's names split once and grouped, instead of a LIKE per theme (on
    1,000,000 responses over a year with ten themes, 284 against 572 ms in plain SQL). A NULL appended to every
    response's names makes the NULL group count all responses, so one scan gives the totals too."""
    try:
        inner, params = responses.values("theme_names", "score_band").query.sql_with_params()
    except EmptyResultSet:  # a viewer who may see nothing (queryset.none())
        return {}
    sql = f"""
        SELECT '|' || name || '|', count(*), count(*) FILTER (WHERE r.score_band = %s)
        FROM ({inner}) AS r
        CROSS JOIN LATERAL unnest(string_to_array(trim(both '|' from r.theme_names), '|') || NULL::text) AS name
        GROUP BY name"""  # noqa: S608 - the inner query is Django's, with its parameters passed apart
    with connection.cursor() as cursor:
        cursor.execute(sql, [Band.DETRACTOR, *params])
        return {marker: (mentions, detractors) for marker, mentions, detractors in cursor.fetchall()}


def theme_trend(*, viewer: Viewer, filters: ReportFilters, names: list[str]) -> list[tuple[Bucket, dict[str, int]]]:
    """Mentions of each named theme per week or month."""
    aggregates = {f"t{i}": Count("pk", filter=has_theme(name)) for i, name in enumerate(names)}
    if not aggregates:
        return [(b, {}) for b in buckets(filters)]
    rows = (
        responses_filtered(viewer=viewer, filters=filters)
        .annotate(bucket=trunc("created_at", filters))
        .values("bucket")
        .annotate(**aggregates)
    )
    found = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        found[bucket_key(values["bucket"], filters)] = {name: values[f"t{i}"] for i, name in enumerate(names)}
    return [(b, found.get(b.key, dict.fromkeys(names, 0))) for b in buckets(filters)]
