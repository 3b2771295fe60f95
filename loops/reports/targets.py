"""Actual against target: each target's measure computed over the target's own period and
segment (and the dashboard's other slicers), under the viewer's visibility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import Count, Q

from loops.models import Metric, Target
from loops.models.reports import LOWER_IS_BETTER
from loops.reports.accountability import accountability_total
from loops.reports.feedback import response_rate, scores
from loops.reports.filters import ReportFilters, account_slicers
from loops.selectors.cases import Viewer
from surveys.models import Account
from vocplatform.visibility import visible


def churn_rate(*, viewer: Viewer, filters: ReportFilters) -> tuple[int, int]:
    """(churned in the period, customers at its start): accounts that were customers on the first
    day (not yet churned, and customers since then if the CRM says when they started)."""
    accounts = visible(Account.objects.all(), viewer).filter(account_slicers(filters, ""))
    if filters.owner:
        accounts = accounts.filter(owner_id=filters.owner)
    if filters.team:
        accounts = accounts.filter(owner__team_id=filters.team)
    customers = accounts.filter(
        Q(churned_at__isnull=True) | Q(churned_at__gte=filters.date_from),
        Q(customer_since__isnull=True) | Q(customer_since__lte=filters.date_from),
    )
    row = customers.aggregate(
        base=Count("pk"),
        churned=Count("pk", filter=Q(churned_at__gte=filters.date_from, churned_at__lte=filters.date_to)),
    )
    return row["churned"], row["base"]


def actual(*, metric: str, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> float | None:
    if metric == Metric.NPS:
        return scores(viewer=viewer, filters=filters).nps.nps
    if metric == Metric.RESPONSE_RATE:
        return response_rate(viewer=viewer, filters=filters).percent
    if metric == Metric.SLA_COMPLIANCE:
        return accountability_total(viewer=viewer, filters=filters, now=now).compliance
    churned, base = churn_rate(viewer=viewer, filters=filters)
    return None if base == 0 else churned / base * 100


@dataclass(frozen=True)
class TargetRow:
    target: Target
    actual: float | None
    filters: ReportFilters  # the target's period and segment, for the drill-down

    @property
    def variance(self) -> float | None:
        return None if self.actual is None else self.actual - float(self.target.value)

    @property
    def magnitude(self) -> float | None:
        return None if self.variance is None else abs(self.variance)

    @property
    def sign(self) -> str:
        if self.variance is None:
            return ""
        return "+" if self.variance > 0 else "−" if self.variance < 0 else "±"

    @property
    def on_track(self) -> bool | None:
        """Whether the variance is good news: above target, or below it for churn."""
        if self.variance is None:
            return None
        return self.variance <= 0 if self.target.metric in LOWER_IS_BETTER else self.variance >= 0


def target_rows(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> list[TargetRow]:
    """Targets whose period overlaps the chosen one (for the chosen segment, when there is one)."""
    targets = Target.objects.filter(period_start__lte=filters.date_to, period_end__gte=filters.date_from)
    if filters.segment:
        targets = targets.filter(segment__in=["", filters.segment])
    rows = []
    for target in targets.order_by("period_start", "metric", "segment"):
        own = replace(filters, date_from=target.period_start, date_to=target.period_end, segment=target.segment)
        rows.append(TargetRow(target, actual(metric=target.metric, viewer=viewer, filters=own, now=now), own))
    return rows
