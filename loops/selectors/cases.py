"""Read queries over loops. Every one starts from `loops_visible`, the visibility rule for loops:
the account rule (managers their accounts, supervisors their teams', admins all), plus the loops
a person owns, and for supervisors the loops owned by their team or waiting in its queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from loops.models import Escalation, Loop, LoopEvent, Note, Notification, PlanStep, PolicyOverride
from surveys.models import Answer
from surveys.selectors.responses import attributed
from vocplatform.models import User
from vocplatform.visibility import _System, account_filter

Viewer = User | AnonymousUser | _System


def loop_filter(viewer: Viewer) -> Q | None:
    condition = account_filter(viewer, "account")
    if condition is None or isinstance(viewer, _System) or not condition:
        return condition
    # Owners, watchers and plan-step owners see the loop they work on, even off their accounts.
    assert isinstance(viewer, User)  # account_filter gave a condition: a signed-in staff member
    steps = PlanStep.objects.filter(owner=viewer).values("loop_id")
    watched = Loop.watchers.through.objects.filter(user=viewer).values("loop_id")
    mine = Q(owner=viewer) | Q(pk__in=steps) | Q(pk__in=watched)
    if viewer.is_supervisor:
        mine |= _teams_loops(viewer)
    return condition | mine


def loops_visible(viewer: Viewer) -> QuerySet[Loop]:
    condition = loop_filter(viewer)
    if condition is None:
        return Loop.objects.none()
    return Loop.objects.filter(condition)


def loops_supervised(viewer: Viewer) -> QuerySet[Loop]:
    """The loops the viewer answers for above their owners: every loop for an admin; for a
    supervisor, those of their teams (by the account's manager, the loop's owner or its queue);
    none for anyone else. Seeing a loop (as its watcher, say) is not supervising it."""
    if isinstance(viewer, _System) or (isinstance(viewer, User) and viewer.is_active and viewer.is_cx_admin):
        return Loop.objects.all()
    if not isinstance(viewer, User) or not viewer.is_active or not viewer.is_supervisor:
        return Loop.objects.none()
    return Loop.objects.filter(_teams_loops(viewer))


def _teams_loops(supervisor: User) -> Q:
    """A supervisor's own and their teams' loops: by the account's manager, the loop's owner or its queue."""
    accounts = Q(account__owner=supervisor) | Q(account__owner__team__supervisor=supervisor)
    return accounts | Q(owner__team__supervisor=supervisor) | Q(queue_team__supervisor=supervisor)


def may_reassign(user: User, loop: Loop) -> bool:
    """Its owner may hand a loop on; above them, its supervisor or an admin."""
    if loop.owner_id == user.pk or (user.is_active and user.is_cx_admin):
        return True
    return user.is_supervisor and loops_supervised(user).filter(pk=loop.pk).exists()


def next_due() -> Case:
    """The deadline that matters now: first contact until it happens, then resolution; a waived
    SLA is no deadline (NULL: never overdue, listed after the loops that have one)."""
    return Case(
        When(first_contact_at__isnull=True, first_contact_sla_waived=False, then=F("first_contact_due_at")),
        When(resolution_sla_waived=False, then=F("resolution_due_at")),
        default=None,
    )


@dataclass(frozen=True)
class QueueFilters:
    scope: str = "mine"  # mine | team | all
    status: str = ""
    priority: str = ""
    overdue: bool = False
    owner: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.status or self.priority or self.overdue or self.owner)


def _scoped(viewer: Viewer, scope: str) -> QuerySet[Loop]:
    loops = loops_visible(viewer)
    if scope == "mine" and isinstance(viewer, User):
        return loops.filter(owner=viewer)
    if scope == "team" and isinstance(viewer, User):
        if viewer.is_cx_admin:
            return loops
        if viewer.is_supervisor:
            return loops.filter(Q(owner__team__supervisor=viewer) | Q(queue_team__supervisor=viewer))
        return loops.filter(Q(owner__team=viewer.team) | Q(queue_team=viewer.team)) if viewer.team_id else loops
    return loops


def loop_queue(*, viewer: Viewer, filters: QueueFilters, now: dt.datetime | None = None) -> QuerySet[Loop]:
    """Open loops, most urgent first: overdue, then by the deadline that matters now; paused last."""
    now = now or timezone.now()
    loops = _scoped(viewer, filters.scope).annotate(next_due=next_due())
    # Resolved loops stay in the queue until someone closes them.
    waiting = [*Loop.OPEN_STATUSES, Loop.Status.RESOLVED]
    loops = loops.filter(status=filters.status) if filters.status else loops.filter(status__in=waiting)
    if filters.priority:
        loops = loops.filter(priority=filters.priority)
    if filters.owner:
        loops = loops.filter(owner_id=filters.owner)
    if filters.overdue:
        loops = loops.filter(next_due__lt=now, waiting_since__isnull=True, status__in=Loop.OPEN_STATUSES)
    return loops.select_related("account", "owner", "queue_team", "sla_policy").order_by(
        F("waiting_since").asc(nulls_first=True), F("next_due").asc(nulls_last=True), "pk"
    )


def queue_counts(*, viewer: Viewer, scope: str, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    end_of_day = now + dt.timedelta(hours=24)
    running = Q(status__in=Loop.OPEN_STATUSES, waiting_since__isnull=True)
    counts = (
        _scoped(viewer, scope)
        .annotate(next_due=next_due())
        .aggregate(
            open=Count("pk", filter=Q(status__in=Loop.OPEN_STATUSES)),
            overdue=Count("pk", filter=running & Q(next_due__lt=now)),
            due_soon=Count("pk", filter=running & Q(next_due__gte=now, next_due__lt=end_of_day)),
            waiting=Count("pk", filter=Q(status__in=Loop.OPEN_STATUSES, waiting_since__isnull=False)),
            unassigned=Count("pk", filter=Q(status__in=Loop.OPEN_STATUSES, owner__isnull=True)),
        )
    )
    return {key: value or 0 for key, value in counts.items()}


def loop_get(*, viewer: Viewer, pk: int) -> Loop:
    """A loop with what its page shows, or 404 when it is not the viewer's to see. The customer's
    name and email come only through `attributed_name` / `attributed_email` (empty without consent)."""
    answers = Prefetch(
        "response__answers", queryset=Answer.objects.select_related("question").order_by("question__position")
    )
    loops = (
        loops_visible(viewer)
        .annotate(
            next_due=next_due(),
            attributed_name=attributed("name", "response"),
            attributed_email=attributed("email", "response"),
        )
        .select_related(
            "account__owner",
            "owner",
            "queue_team",
            "sla_policy__calendar",
            "rule",
            "response__survey",
            "response__analysis",
            "followup_invitation__response",
        )
        .prefetch_related(
            answers,
            "root_causes",
            "watchers",
            Prefetch("steps", queryset=PlanStep.objects.select_related("owner")),
            Prefetch("notes", queryset=Note.objects.select_related("author")),
            Prefetch("overrides", queryset=PolicyOverride.objects.select_related("actor")),
        )
    )
    return get_object_or_404(loops, pk=pk)


def loop_timeline(*, loop: Loop) -> list[dict[str, Any]]:
    """Changes and escalations, newest first."""
    events = [
        {"at": e.at, "actor": e.actor, "action": e.action, "field": e.field, "before": e.before, "after": e.after}
        for e in LoopEvent.objects.filter(loop=loop).select_related("actor")
    ]
    for esc in Escalation.objects.filter(loop=loop).select_related("recipient"):
        label = "reminder sent" if esc.level == 0 else f"escalated (level {esc.level})"
        events.append(
            {
                "at": esc.at,
                "actor": None,
                "action": f"{esc.get_stage_display()} SLA: {label}",
                "field": "",
                "before": "",
                "after": f"to {esc.recipient}",
            }
        )
    return sorted(events, key=lambda e: e["at"], reverse=True)


def steps_overdue(*, viewer: User, today: dt.date) -> QuerySet[PlanStep]:
    """The viewer's own plan steps past their date on loops still open: shown atop every queue."""
    return (
        PlanStep.objects.filter(owner=viewer, due_on__lt=today, loop__status__in=Loop.OPEN_STATUSES)
        .exclude(status=PlanStep.Status.DONE)
        .select_related("loop__account")
        .order_by("due_on", "pk")
    )


def step_get(*, viewer: Viewer, pk: int) -> PlanStep:
    return get_object_or_404(PlanStep.objects.filter(loop__in=loops_visible(viewer)).select_related("loop"), pk=pk)


def overrides_to_review(*, viewer: Viewer, reviewed: bool = False) -> QuerySet[PolicyOverride]:
    """Overrides on the loops the viewer supervises. Nobody reviews their own: those wait for someone else."""
    overrides = PolicyOverride.objects.filter(loop__in=loops_supervised(viewer), reviewed_at__isnull=not reviewed)
    if isinstance(viewer, User) and not reviewed:
        overrides = overrides.exclude(actor=viewer)
    return overrides.select_related("loop__account", "actor", "reviewed_by").order_by("-at")


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("loop__account").order_by("-created_at", "-pk")


def assignable_staff() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role="").order_by("first_name", "username")
