"""What each dashboard shows, gathered from the selectors with its charts: the same dictionaries
feed the staff pages and the PDF packs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from loops.reports import accountability, advocacy, feedback, targets
from loops.reports.charts import TrendPoint, bar_chart, column_chart, trend_chart
from loops.reports.filters import ReportFilters
from loops.selectors.cases import Viewer
from surveys.models import ScoreKind

TOP_THEMES_IN_TREND = 5


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def nps_chart(points: list[feedback.NpsPoint]) -> str:
    trend = [
        TrendPoint(
            label=p.bucket.label,
            value=p.figure.nps,
            margin=p.figure.margin,
            n=p.figure.n,
            noise=p.noise,
        )
        for p in points
    ]
    note = (
        f"Bars: 95% margin of error. Hollow: fewer than {feedback.min_nps_sample()} answers,\n"
        "or a change smaller than the margins of error: noise, not a trend."
    )
    return trend_chart(trend, title="NPS over time", y_min=-100, y_max=100, note=note)


def feedback_context(*, viewer: Viewer, filters: ReportFilters) -> dict[str, Any]:
    trend = feedback.score_trend(viewer=viewer, filters=filters)
    points = feedback.nps_points(trend)
    theme_rows = feedback.themes(viewer=viewer, filters=filters)
    top = [row.name for row in theme_rows if row.mentions][:TOP_THEMES_IN_TREND]
    theme_trend = feedback.theme_trend(viewer=viewer, filters=filters, names=top)
    distribution = feedback.score_distribution(viewer=viewer, filters=filters, kind=ScoreKind.NPS)
    csat = [TrendPoint(b.label, s.csat, n=s.csat_n) for b, s in trend]
    ces = [TrendPoint(b.label, s.ces_average, n=s.ces_n) for b, s in trend]
    rows = [
        {"bucket": b, "scores": s, "point": p, "q": filters.with_period(b.first, b.last).query()}
        for (b, s), p in zip(trend, points, strict=True)
    ]
    theme_rows_by_bucket = [
        {
            "bucket": b,
            "counts": [(name, counts[name]) for name in top],
            "q": filters.with_period(b.first, b.last).query(),
        }
        for b, counts in theme_trend
    ]
    return {
        "trend_rows": rows,
        "theme_trend_rows": theme_rows_by_bucket,
        "scores": feedback.scores(viewer=viewer, filters=filters),
        "rate": feedback.response_rate(viewer=viewer, filters=filters),
        "points": points,
        "nps_chart": nps_chart(points),
        "csat_chart": trend_chart(csat, title="CSAT over time", y_min=0, y_max=100, unit="%"),
        "ces_chart": trend_chart(ces, title="CES over time", y_min=1, y_max=7),
        "distribution": distribution,
        "distribution_chart": column_chart(
            [(str(s), n) for s, n in distribution], title="NPS answers by score", bad_until=6
        ),
        "themes": theme_rows,
        "theme_chart": bar_chart([(r.name, r.mentions) for r in theme_rows if r.mentions], title="Themes"),
        "theme_trend": theme_trend,
        "theme_trend_names": top,
        "min_sample": feedback.min_nps_sample(),
    }


def accountability_context(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> dict[str, Any]:
    by_owner = accountability.accountability_by_owner(viewer=viewer, filters=filters, now=now)
    by_team = accountability.accountability_by_team(viewer=viewer, filters=filters, now=now)
    return {
        "total": accountability.accountability_total(viewer=viewer, filters=filters, now=now),
        "by_owner": by_owner,
        "by_team": by_team,
        # Each row's numbers link to the same filters narrowed to that owner or team.
        "owner_rows": [{"row": r, "q": replace(filters, owner=r.key).query() if r.key else ""} for r in by_owner],
        "team_rows": [{"row": r, "q": replace(filters, team=r.key).query() if r.key else ""} for r in by_team],
        "overdue": list(accountability.overdue_loops(viewer=viewer, filters=filters, now=now)[:200]),
        "compliance_chart": bar_chart(
            [(row.label, row.compliance) for row in by_owner if row.compliance is not None],
            title="SLA compliance by owner",
            unit="%",
            max_value=100,
        ),
        "now": now,
    }


def advocacy_context(*, viewer: Viewer, filters: ReportFilters) -> dict[str, Any]:
    engagement = advocacy.engagement_trend(viewer=viewer, filters=filters)
    causes = advocacy.root_causes(viewer=viewer, filters=filters)
    peak = max((e.ratio or 0 for e in engagement), default=0)
    by_reason = advocacy.loops_by(viewer=viewer, filters=filters, dimension="reason")
    by_segment = advocacy.loops_by(viewer=viewer, filters=filters, dimension="segment")
    by_unit = advocacy.loops_by(viewer=viewer, filters=filters, dimension="business_unit")
    by_line = advocacy.loops_by_product_line(viewer=viewer, filters=filters)
    return {
        "engagement": engagement,
        "engagement_rows": [
            {"e": e, "q": filters.with_period(e.bucket.first, e.bucket.last).query()} for e in engagement
        ],
        "engagement_chart": trend_chart(
            [TrendPoint(e.bucket.label, e.ratio, n=e.loops) for e in engagement],
            title="Customers per loop",
            y_min=0,
            y_max=max(peak * 1.2, 1),
            note="n = loops opened in the period",
        ),
        "advocacy_groups": [
            ("reason", "reason for engagement", by_reason),
            ("segment", "segment", by_segment),
            ("business_unit", "business unit", by_unit),
            ("product_line", "product line", by_line),
        ],
        "effort": advocacy.effort_and_duration(viewer=viewer, filters=filters),
        "causes": causes,
        "cause_chart": bar_chart([(c.name, c.loops) for c in causes[:12]], title="Root causes"),
        "no_value": advocacy.NO_VALUE,
    }


def targets_context(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> dict[str, Any]:
    return {"rows": targets.target_rows(viewer=viewer, filters=filters, now=now)}
