"""Customer-advocacy measures over the loops opened in the period: customers per engagement over
time, loops by reason, duration, segment, business unit and product line, effort and expenses,
and root causes by frequency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg as AvgAgg
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from loops.models import Loop
from loops.reports.filters import ReportFilters, loops_filtered, product_line_q, responses_filtered
from loops.reports.periods import Bucket, bucket_key, buckets, trunc
from loops.selectors.cases import Viewer

NO_VALUE = "-"  # the drill-down's name for "left blank" (no reason, no segment…)
DURATION_BANDS: tuple[tuple[str, int | None, int | None], ...] = (
    ("under 1 day", None, 1),
    ("1–3 days", 1, 3),
    ("3–7 days", 3, 7),
    ("7–14 days", 7, 14),
    ("14 days or more", 14, None),
)


@dataclass(frozen=True)
class Engagement:
    bucket: Bucket
    customers: int  # distinct accounts that answered in the bucket
    loops: int  # loops opened in the bucket

    @property
    def ratio(self) -> float | None:
        return None if self.loops == 0 else self.customers / self.loops


def engagement_trend(*, viewer: Viewer, filters: ReportFilters) -> list[Engagement]:
    customers = (
        responses_filtered(viewer=viewer, filters=filters)
        .annotate(bucket=trunc("created_at", filters))
        .values("bucket")
        .annotate(n=Count("account_id", distinct=True))
    )
    loops = (
        loops_filtered(viewer=viewer, filters=filters)
        .annotate(bucket=trunc("opened_at", filters))
        .values("bucket")
        .annotate(n=Count("pk"))
    )
    c = {bucket_key(r["bucket"], filters): r["n"] for r in customers}
    lo = {bucket_key(r["bucket"], filters): r["n"] for r in loops}
    return [Engagement(b, c.get(b.key, 0), lo.get(b.key, 0)) for b in buckets(filters)]


@dataclass(frozen=True)
class Group:
    value: str  # NO_VALUE when blank
    loops: int
    effort_hours: Decimal
    expenses: Decimal

    @property
    def label(self) -> str:
        return "(none)" if self.value == NO_VALUE else self.value


def _sums() -> dict[str, Any]:
    return {"n": Count("pk"), "effort": Sum("effort_hours"), "spent": Sum("expenses")}


def _groups(loops: QuerySet[Loop], field: str) -> list[Group]:
    rows = loops.values(field).annotate(**_sums())
    groups = [Group(r[field] or NO_VALUE, r["n"], r["effort"] or Decimal(0), r["spent"] or Decimal(0)) for r in rows]
    return sorted(groups, key=lambda g: (-g.loops, g.value))


def loops_by(*, viewer: Viewer, filters: ReportFilters, dimension: str) -> list[Group]:
    """dimension: reason, segment or business_unit."""
    field = {
        "reason": "reason_for_engagement",
        "segment": "account__segment",
        "business_unit": "account__business_unit",
    }[dimension]
    return _groups(loops_filtered(viewer=viewer, filters=filters), field)


def loops_by_product_line(*, viewer: Viewer, filters: ReportFilters) -> list[Group]:
    """An account sells several product lines: its loop counts under each."""
    loops = loops_filtered(viewer=viewer, filters=filters)
    combinations = loops.values_list("account__product_lines", flat=True).distinct()
    names = sorted({name for combo in combinations for name in (combo or [])})
    if not names:
        return []
    aggregates: dict[str, Any] = {}
    for i, name in enumerate(names):
        match = product_line_q(name, "account__")
        aggregates |= {
            f"n{i}": Count("pk", filter=match),
            f"e{i}": Sum("effort_hours", filter=match),
            f"s{i}": Sum("expenses", filter=match),
        }
    row = loops.aggregate(**aggregates)
    groups = [
        Group(name, row[f"n{i}"], row[f"e{i}"] or Decimal(0), row[f"s{i}"] or Decimal(0))
        for i, name in enumerate(names)
    ]
    return sorted((g for g in groups if g.loops), key=lambda g: (-g.loops, g.value))


def group_q(dimension: str, value: str) -> Q:
    """The drill-down condition for one row of `loops_by` / `loops_by_product_line`."""
    if dimension == "product_line":
        return product_line_q(value, "account__")
    field = {"reason": "reason_for_engagement", "segment": "account__segment"}.get(dimension, "account__business_unit")
    return Q(**{field: "" if value == NO_VALUE else value})


def _days(field: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(field) - F("opened_at"), output_field=DurationField())


def duration_q(low: int | None, high: int | None) -> Q:
    """Closed loops that took from `low` (inclusive) to `high` (exclusive) days, opening to closing."""
    condition = Q(closed_at__isnull=False)
    if low is not None:
        condition &= Q(closed_at__gte=F("opened_at") + dt.timedelta(days=low))
    if high is not None:
        condition &= Q(closed_at__lt=F("opened_at") + dt.timedelta(days=high))
    return condition


@dataclass(frozen=True)
class Effort:
    loops: int
    closed: int
    average_days: float | None
    bands: list[tuple[str, int, int]]  # label, loops, band index (for the drill-down)
    effort_hours: Decimal
    expenses: Decimal

    @property
    def effort_per_loop(self) -> Decimal | None:
        return None if self.loops == 0 else (self.effort_hours / self.loops).quantize(Decimal("0.01"))

    @property
    def expenses_per_loop(self) -> Decimal | None:
        return None if self.loops == 0 else (self.expenses / self.loops).quantize(Decimal("0.01"))


def effort_and_duration(*, viewer: Viewer, filters: ReportFilters) -> Effort:
    aggregates: dict[str, Any] = {
        "n": Count("pk"),
        "closed": Count("pk", filter=Q(closed_at__isnull=False)),
        "duration": AvgAgg(_days("closed_at"), filter=Q(closed_at__isnull=False)),
        "effort": Sum("effort_hours"),
        "spent": Sum("expenses"),
    }
    for i, (_label, low, high) in enumerate(DURATION_BANDS):
        aggregates[f"b{i}"] = Count("pk", filter=duration_q(low, high))
    row = loops_filtered(viewer=viewer, filters=filters).aggregate(**aggregates)
    duration = row["duration"]
    if isinstance(duration, dt.timedelta):
        days: float | None = duration.total_seconds() / 86400
    else:
        days = None if duration is None else float(duration) / 86_400_000_000
    return Effort(
        loops=row["n"],
        closed=row["closed"],
        average_days=days,
        bands=[(label, row[f"b{i}"], i) for i, (label, _low, _high) in enumerate(DURATION_BANDS)],
        effort_hours=row["effort"] or Decimal(0),
        expenses=row["spent"] or Decimal(0),
    )


@dataclass(frozen=True)
class CauseCount:
    pk: int
    name: str
    loops: int


def root_causes(*, viewer: Viewer, filters: ReportFilters, limit: int | None = None) -> list[CauseCount]:
    loops = loops_filtered(viewer=viewer, filters=filters)
    rows = (
        Loop.root_causes.through.objects.filter(loop__in=loops.values("pk"))
        .values("rootcause_id", "rootcause__name")
        .annotate(n=Count("loop_id"))
        .order_by("-n", "rootcause__name")
    )
    result = [CauseCount(r["rootcause_id"], r["rootcause__name"], r["n"]) for r in rows]
    return result[:limit] if limit else result
