"""The PDF packs: the weekly accountability report for a supervisor's teams, the management
review pack, and the account report. Each gathers its figures under the visibility rule of the
person it is rendered for, then renders an ordinary template to PDF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from loops.models import AccountRisk, Escalation, HealthSnapshot, Loop, LoopEvent, PlanStep, PolicyOverride, ReportKind
from loops.reports import advocacy
from loops.reports.accountability import accountability_total, overdue_loops
from loops.reports.dashboards import accountability_context, advocacy_context
from loops.reports.filters import ReportFilters, loops_filtered
from loops.selectors.cases import Viewer, loops_visible
from loops.services.health import snapshot_date
from surveys.models import Account, Response
from surveys.selectors.responses import attributed
from vocplatform.models import Team
from vocplatform.visibility import visible

if TYPE_CHECKING:
    from loops.reports.pdf import Progress, Rendered

# Packs with more rows than this get a contents page (a long pack is one you leaf through).
CONTENTS_FROM_ROWS = 40


def max_rows() -> int:
    """Each list in a pack stops here, saying how many more there are."""
    return int(settings.REPORTS_PACK_MAX_ROWS)


@dataclass(frozen=True)
class Listing:
    rows: list[Any]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _listing(queryset: QuerySet[Any]) -> Listing:
    rows = list(queryset[: max_rows()])
    return Listing(rows, len(rows) if len(rows) < max_rows() else queryset.count())


def _scope_loops(viewer: Viewer, filters: ReportFilters) -> QuerySet[Loop]:
    return loops_filtered(viewer=viewer, filters=filters, period=False)


def _in_period(filters: ReportFilters, field: str = "at") -> Q:
    return Q(**{f"{field}__gte": filters.start, f"{field}__lt": filters.end})


def weekly_context(*, viewer: Viewer, filters: ReportFilters, team: Team | None, now: dt.datetime) -> dict[str, Any]:
    if team is not None:
        filters = replace(filters, team=team.pk)
    loops = _scope_loops(viewer, filters).values("pk")
    steps = (
        PlanStep.objects.filter(
            loop__in=loops,
            due_on__gt=filters.date_to,
            due_on__lte=filters.date_to + dt.timedelta(days=7),
            loop__status__in=Loop.OPEN_STATUSES,
        )
        .exclude(status=PlanStep.Status.DONE)
        .select_related("loop__account", "owner")
        .order_by("due_on", "pk")
    )
    context = accountability_context(viewer=viewer, filters=filters, now=now)
    context |= {
        "overdue": _listing(overdue_loops(viewer=viewer, filters=filters, now=now).select_related("response")),
        "escalations": _listing(
            Escalation.objects.filter(_in_period(filters), loop__in=loops, level__gte=1)
            .select_related("loop__account", "recipient")
            .order_by("-at", "-pk")
        ),
        "overrides": _listing(
            PolicyOverride.objects.filter(_in_period(filters), loop__in=loops)
            .select_related("loop__account", "actor")
            .order_by("-at", "-pk")
        ),
        "causes": advocacy.root_causes(viewer=viewer, filters=filters, limit=10),
        "steps": _listing(steps),
    }
    return context


def review_context(*, viewer: Viewer, filters: ReportFilters, now: dt.datetime) -> dict[str, Any]:
    scope = _scope_loops(viewer, filters)
    related = ("account", "owner")
    changes = LoopEvent.objects.filter(_in_period(filters)).select_related("actor").order_by("at", "pk")
    updated = (
        scope.filter(opened_at__lt=filters.start)
        .exclude(_in_period(filters, "closed_at"))
        .filter(Exists(LoopEvent.objects.filter(_in_period(filters), loop=OuterRef("pk"))))
        .select_related(*related)
        .prefetch_related(Prefetch("events", queryset=changes, to_attr="changes"), "steps")
        .order_by("opened_at", "pk")
    )
    commitments = (
        PlanStep.objects.filter(loop__in=scope.filter(root_causes__isnull=False).values("pk"))
        .exclude(status=PlanStep.Status.DONE)
        .select_related("loop__account", "owner")
        .prefetch_related("loop__root_causes")
        .order_by("due_on", "pk")
    )
    context = advocacy_context(viewer=viewer, filters=filters)
    context |= {
        "total": accountability_total(viewer=viewer, filters=filters, now=now),
        "new": _listing(
            scope.filter(_in_period(filters, "opened_at")).select_related(*related).order_by("opened_at", "pk")
        ),
        "updated": _listing(updated),
        "closed": _listing(
            scope.filter(_in_period(filters, "closed_at"))
            .select_related(*related)
            .prefetch_related("root_causes")
            .order_by("closed_at", "pk")
        ),
        "commitments": _listing(commitments),
    }
    return context


def account_context(*, viewer: Viewer, account_id: int, now: dt.datetime) -> dict[str, Any]:
    """404 (Http404) when the account is not the viewer's to see."""
    account = get_object_or_404(visible(Account.objects.select_related("owner"), viewer), pk=account_id)
    feedback = (
        visible(Response.objects.filter(account=account), viewer, "account")
        .annotate(attributed_name=attributed("name"))
        .select_related("survey", "analysis")
        .order_by("-created_at", "-pk")[:25]
    )
    open_loops = (
        loops_visible(viewer)
        .filter(account=account, status__in=Loop.OPEN_STATUSES)
        .select_related("owner")
        .prefetch_related("steps", "root_causes")
        .order_by("opened_at", "pk")
    )
    return {
        "account": account,
        "snapshot": HealthSnapshot.objects.filter(account=account, date__lte=snapshot_date(now))
        .order_by("-date")
        .first(),
        "risk": AccountRisk.objects.filter(account=account).first(),
        "feedback": list(feedback),
        "open_loops": list(open_loops),
    }


def pack_title(*, kind: str, filters: ReportFilters, team: Team | None = None, account: Account | None = None) -> str:
    period = f"{filters.date_from:%d %b %Y} – {filters.date_to:%d %b %Y}"
    if kind == ReportKind.WEEKLY:
        return f"Weekly accountability report: {team.name if team else 'all my teams'}, {period}"
    if kind == ReportKind.REVIEW:
        return f"Management review pack, {period}"
    return f"Account report: {account.name if account else ''}, {period}"


def _rows(context: dict[str, Any]) -> int:
    return sum(value.total for value in context.values() if isinstance(value, Listing))


def render_pack(
    *,
    kind: str,
    viewer: Viewer,
    filters: ReportFilters,
    team: Team | None = None,
    account_id: int | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> tuple[str, Rendered]:
    """(title, PDF) of one pack, as `viewer` may see it."""
    now = now or timezone.now()
    if kind == ReportKind.WEEKLY:
        context = weekly_context(viewer=viewer, filters=filters, team=team, now=now)
    elif kind == ReportKind.REVIEW:
        context = review_context(viewer=viewer, filters=filters, now=now)
    else:
        context = account_context(viewer=viewer, account_id=account_id or 0, now=now)
    if progress:
        progress(35)
    title = pack_title(kind=kind, filters=filters, team=team, account=context.get("account"))
    context |= {
        "title": title,
        "filters": filters,
        "now": now,
        "zone": filters.zone,
        "viewer": viewer,
        "contents": kind == ReportKind.REVIEW or _rows(context) > CONTENTS_FROM_ROWS,
    }
    from loops.reports.pdf import render_pdf  # WeasyPrint: loaded where packs are rendered

    return title, render_pdf(f"loops/reports/pdf/{kind}.html", context, progress=progress)
