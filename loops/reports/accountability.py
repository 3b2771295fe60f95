"""Close-the-loop accountability: who keeps the promises. Every figure is a named condition on
loops; the dashboard counts it and the drill-down lists it with the very same condition.

Loops opened in the period are the cohort for opened, first contact, resolution, SLA and
recovery. "Overdue now" ignores the period (it is about today); escalations and overrides
count the loops that had one during the period. SLA compliance is met / (met + breached):
a loop breaches when it missed a deadline that was not waived (first contact late or still
missing past its due time, resolution late or still missing past its due time while not
paused); it has met its SLA when it is resolved without a breach. Loops still running within
their deadlines are not counted either way. Times are clock hours from opening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Coalesce

from loops.models import Escalation, Loop, PolicyOverride
from loops.reports.filters import ReportFilters, loops_filtered
from loops.selectors.cases import Viewer, next_due
from vocplatform.models import Team, User

OPEN = Loop.OPEN_STATUSES
FIGURES = (
    "opened",
    "contacted",
    "resolved",
    "met",
    "breached",
    "overdue",
    "escalated",
    "overridden",
    "followed_up",
    "recovered",
)


def _first_contact_breached(now: dt.datetime) -> Q:
    # fc_done_at (see `annotated`): a loop that ended without a logged contact stopped its clock then.
    late = Q(fc_done_at__gt=F("first_contact_due_at"))
    missing = Q(fc_done_at__isnull=True, first_contact_due_at__lt=now, waiting_since__isnull=True)
    return Q(first_contact_sla_waived=False) & (late | missing)


def _resolution_breached(now: dt.datetime) -> Q:
    late = Q(resolved_at__gt=F("resolution_due_at"))
    missing = Q(resolved_at__isnull=True, status__in=OPEN, resolution_due_at__lt=now, waiting_since__isnull=True)
    return Q(resolution_sla_waived=False) & (late | missing)


def conditions(filters: ReportFilters, now: dt.datetime) -> dict[str, Q]:
    cohort = Q(opened_at__gte=filters.start, opened_at__lt=filters.end)
    breached = _first_contact_breached(now) | _resolution_breached(now)
    return {
        "opened": cohort,
        "contacted": cohort & Q(first_contact_at__isnull=False),
        "resolved": cohort & Q(resolved_at__isnull=False),
        "met": cohort & Q(resolved_at__isnull=False) & ~breached,
        "breached": cohort & breached,
        "overdue": Q(status__in=OPEN, waiting_since__isnull=True, due_now__lt=now),
        "escalated": Q(pk__in=_escalated(filters)),
        "overridden": Q(pk__in=_overridden(filters)),
        "followed_up": cohort & Q(recovered__isnull=False),
        "recovered": cohort & Q(recovered=True),
    }


def _escalated(filters: ReportFilters) -> QuerySet[Escalation, Any]:
    return Escalation.objects.filter(level__gte=1, at__gte=filters.start, at__lt=filters.end).values("loop_id")


def _overridden(filters: ReportFilters) -> QuerySet[PolicyOverride, Any]:
    return PolicyOverride.objects.filter(at__gte=filters.start, at__lt=filters.end).values("loop_id")


def annotated(loops: QuerySet[Loop], filters: ReportFilters) -> QuerySet[Loop]:
    """What the conditions read (the deadline that matters now, and whether first contact is
    done), on the loops any figure can count: opened in the period, open now, or escalated or
    overridden in the period. Skipping the rest keeps a year of closed loops out of the scan."""
    relevant = (
        Q(opened_at__gte=filters.start, opened_at__lt=filters.end)
        | Q(status__in=OPEN)
        | Q(pk__in=_escalated(filters))
        | Q(pk__in=_overridden(filters))
    )
    return loops.filter(relevant).annotate(
        due_now=next_due(), fc_done_at=Coalesce("first_contact_at", "resolved_at", "closed_at")
    )


def figure_loops(*, viewer: Viewer, filters: ReportFilters, figure: str, now: dt.datetime) -> QuerySet[Loop]:
    """The loops behind one figure (the drill-down)."""
    loops = annotated(loops_filtered(viewer=viewer, filters=filters, period=False), filters)
    return loops.filter(conditions(filters, now)[figure])


def _hours(field: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(field) - F("opened_at"), output_field=DurationField())


def _aggregates(filters: ReportFilters, now: dt.datetime) -> dict[str, Any]:
    conds = conditions(filters, now)
    aggregates: dict[str, Any] = {name: Count("pk", filter=conds[name]) for name in FIGURES}
    aggregates["first_contact_avg"] = Avg(_hours("first_contact_at"), filter=conds["contacted"])
    aggregates["resolution_avg"] = Avg(_hours("resolved_at"), filter=conds["resolved"])
    return aggregates


@dataclass(frozen=True)
class Accountability:
    key: Any  # None for the total, an owner or team id for a row
    label: str
    opened: int
    contacted: int
    resolved: int
    met: int
    breached: int
    overdue: int
    escalated: int
    overridden: int
    followed_up: int
    recovered: int
    first_contact_hours: float | None
    resolution_hours: float | None

    @property
    def compliance(self) -> float | None:
        decided = self.met + self.breached
        return None if decided == 0 else self.met / decided * 100

    @property
    def recovery(self) -> float | None:
        return None if self.followed_up == 0 else self.recovered / self.followed_up * 100


def _as_hours(value: dt.timedelta | float | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() / 3600 if isinstance(value, dt.timedelta) else float(value) / 3_600_000_000


def _row(key: Any, label: str, row: Any) -> Accountability:
    return Accountability(
        key=key,
        label=label,
        **{name: row[name] or 0 for name in FIGURES},
        first_contact_hours=_as_hours(row["first_contact_avg"]),
        resolution_hours=_as_hours(row["resolution_avg"]),
    )


def _base(viewer: Viewer, filters: ReportFilters) -> QuerySet[Loop]:
    return annotated(loops_filtered(viewer=viewer, filters=filters, period=False), filters)


def accountability_total(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> Accountability:
    return _row(None, "All", _base(viewer, filters).aggregate(**_aggregates(filters, now)))


def _relevant(row: Accountability) -> bool:
    return any(getattr(row, name) for name in FIGURES)


def accountability_by_owner(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> list[Accountability]:
    rows = _base(viewer, filters).values("owner_id").annotate(**_aggregates(filters, now))
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r["owner_id"] for r in rows if r["owner_id"]])}
    result = [_row(r["owner_id"], names.get(r["owner_id"], "Unassigned"), r) for r in rows]
    return sorted((r for r in result if _relevant(r)), key=lambda r: (r.key is None, r.label.lower()))


def team_of_loop() -> Case:
    """The owner's team, or while unassigned the team whose queue holds the loop (as `team_q`)."""
    return Case(When(owner__isnull=False, then=F("owner__team_id")), default=F("queue_team_id"))


def accountability_by_team(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> list[Accountability]:
    rows = (
        _base(viewer, filters)
        .annotate(team_key=team_of_loop())
        .values("team_key")
        .annotate(**_aggregates(filters, now))
    )
    names = {t.pk: t.name for t in Team.objects.filter(pk__in=[r["team_key"] for r in rows if r["team_key"]])}
    result = [_row(r["team_key"], names.get(r["team_key"], "No team"), r) for r in rows]
    return sorted((r for r in result if _relevant(r)), key=lambda r: (r.key is None, r.label.lower()))


def overdue_loops(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> QuerySet[Loop]:
    """Open loops past the deadline that matters now, oldest breach first; `due_now` gives the age."""
    return (
        figure_loops(viewer=viewer, filters=filters, figure="overdue", now=now)
        .select_related("account", "owner", "queue_team")
        .order_by(F("due_now").asc(), "pk")
    )
