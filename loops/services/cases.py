"""Working a loop: contact, status, pause, plan steps, notes, reassignment, closing, reopening.

Every change lands in the timeline; every departure from the rules (closing without a
logged contact, waiving an SLA, reassigning away from the account's manager, reopening)
demands a reason and lands in the policy-override log. Each service locks the loop row,
so two people clicking at once do not interleave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from loops.models import Loop, Note, PlanStep, PolicyOverride, RootCause
from loops.services import timeline
from loops.services.notifications import notify
from loops.services.sla import deadlines_for, shift_after_pause
from loops.services.webhooks import emit_loop_closed
from surveys.services.invitations import invitation_cancel
from vocplatform.models import User

# A create repeated this soon with the same values is one form sent twice, not a second wish.
REPEAT_WINDOW = dt.timedelta(minutes=1)

FORWARD = {
    Loop.Status.NEW: {Loop.Status.CONTACTED, Loop.Status.IN_PROGRESS},
    Loop.Status.CONTACTED: {Loop.Status.IN_PROGRESS, Loop.Status.RESOLVED},
    Loop.Status.IN_PROGRESS: {Loop.Status.RESOLVED},
    # Out of "resolved" only by closing, or by reopening (which asks why).
}


def _locked(loop_id: int) -> Loop:
    return (
        Loop.objects.select_for_update(of=("self",))
        .select_related("sla_policy__calendar", "account__owner")
        .get(pk=loop_id)
    )


def _not_closed(loop: Loop, what: str) -> None:
    if loop.status == Loop.Status.CLOSED:
        raise ValidationError({"__all__": [f"This loop is closed; reopen it to {what}."]})


def _reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [f"Say why you are {what}; it goes in the policy-override log."]})
    return reason


def _override(
    loop: Loop, kind: str, actor: User, reason: str, detail: str = "", *, at: dt.datetime | None = None
) -> PolicyOverride:
    return PolicyOverride.objects.create(
        loop=loop, kind=kind, actor=actor, reason=reason, detail=detail[:300], at=at or timezone.now()
    )


def _set(
    loop: Loop, actor: User, field: str, value: object, action: str = "changed", *, at: dt.datetime | None = None
) -> None:
    before = getattr(loop, field)
    if before == value:
        return
    setattr(loop, field, value)
    timeline.record(loop, actor=actor, action=action, field=field, before=before, after=value, at=at)


@transaction.atomic
def loop_log_contact(
    *, loop_id: int, actor: User, channel: str, text: str, at: dt.datetime | None = None, now: dt.datetime | None = None
) -> Note:
    """Record a conversation with the customer. The first one meets the first-contact SLA."""
    if not text.strip():
        raise ValidationError({"text": ["Say what you and the customer talked about."]})
    loop = _locked(loop_id)
    if not loop.is_open:
        raise ValidationError({"__all__": ["This loop is closed; reopen it to log a contact."]})
    now = now or timezone.now()
    at = min(at or now, now)
    repeat = _repeated_note(loop, actor, Note.Kind.CONTACT, text, now, channel=channel[:20])
    if repeat is not None:
        return repeat
    note = Note.objects.create(
        loop=loop, author=actor, kind=Note.Kind.CONTACT, channel=channel[:20], text=text, created_at=now
    )
    timeline.record(loop, actor=actor, action="contact logged", after=channel or "contact", at=now)
    if loop.first_contact_at is None:
        first = max(at, loop.opened_at)
        deadline = loop.first_contact_due_at
        if deadline is not None and first <= deadline < now:
            # The SLA counts as met by the date given; supervisors see that it was given late.
            reason = "Logged after the first-contact deadline and dated before it, so the SLA counts as met."
            detail = f"dated {first:%Y-%m-%d %H:%M}, logged {now:%Y-%m-%d %H:%M} (UTC)"
            _override(loop, PolicyOverride.Kind.BACKDATED_CONTACT, actor, reason, detail, at=now)
        _set(loop, actor, "first_contact_at", first, at=now)
    if loop.status == Loop.Status.NEW:
        _set(loop, actor, "status", Loop.Status.CONTACTED, at=now)
    loop.save()
    return note


@transaction.atomic
def loop_set_status(*, loop_id: int, actor: User, status: str, now: dt.datetime | None = None) -> Loop:
    loop = _locked(loop_id)
    if status == Loop.Status.CLOSED:
        raise ValidationError({"status": ["Close the loop with a resolution summary and a root cause."]})
    if status not in FORWARD.get(Loop.Status(loop.status), set()):
        current, wanted = loop.get_status_display().lower(), status.replace("_", " ")
        raise ValidationError({"status": [f"A loop that is {current} cannot become {wanted}."]})
    if status in (Loop.Status.CONTACTED, Loop.Status.RESOLVED) and loop.first_contact_at is None:
        raise ValidationError({"status": ["Log the customer contact first."]})
    now = now or timezone.now()
    _set(loop, actor, "status", status, at=now)
    if status == Loop.Status.RESOLVED:
        loop.resolved_at = now
        _end_pause(loop, actor, now)
    loop.save()
    return loop


@transaction.atomic
def loop_pause(*, loop_id: int, actor: User, reason: str) -> Loop:
    """Stop the SLA clock while waiting on the customer; an explicit, logged state."""
    loop = _locked(loop_id)
    if not loop.is_open or loop.waiting_since is not None:
        raise ValidationError({"__all__": ["Only an open, running loop can wait on the customer."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say what you are waiting for."]})
    now = timezone.now()
    loop.waiting_since = now
    timeline.record(loop, actor=actor, action="waiting on customer", after=reason.strip(), at=now)
    loop.save()
    return loop


def _end_pause(loop: Loop, actor: User, now: dt.datetime) -> None:
    """A resolved, closed or reopened loop no longer waits on the customer: its clock has stopped or restarted."""
    _set(loop, actor, "waiting_since", None, action="no longer waiting on customer", at=now)


@transaction.atomic
def loop_resume(*, loop_id: int, actor: User) -> Loop:
    loop = _locked(loop_id)
    if not loop.is_open or loop.waiting_since is None:
        raise ValidationError({"__all__": ["This loop is not waiting on the customer."]})
    now = timezone.now()
    before = loop.resolution_due_at
    paused = shift_after_pause(loop, now=now)
    loop.waiting_since = None
    hours = paused.total_seconds() / 3600
    timeline.record(
        loop,
        actor=actor,
        action=f"resumed after {hours:.1f} SLA hours",
        field="resolution_due_at",
        before=before,
        after=loop.resolution_due_at,
        at=now,
    )
    loop.save()
    return loop


@transaction.atomic
def loop_update(
    *,
    loop_id: int,
    actor: User,
    priority: str | None = None,
    reason_for_engagement: str | None = None,
    effort_hours: Decimal | None = None,
    expenses: Decimal | None = None,
    root_causes: Sequence[RootCause] | None = None,
    now: dt.datetime | None = None,
) -> Loop:
    loop = _locked(loop_id)
    _not_closed(loop, "change its details")
    for field, value in (
        ("priority", priority),
        ("reason_for_engagement", reason_for_engagement),
        ("effort_hours", effort_hours),
        ("expenses", expenses),
    ):
        if value is not None:
            if isinstance(value, Decimal) and value < 0:
                raise ValidationError({field: ["Cannot be negative."]})
            _set(loop, actor, field, value, at=now)
    if root_causes is not None:
        _set_root_causes(loop, actor, root_causes, at=now)
    loop.save()
    return loop


def _set_root_causes(loop: Loop, actor: User, causes: Sequence[RootCause], *, at: dt.datetime | None = None) -> None:
    """Set the loop's causes. One an admin has retired since it was chosen stays: no form offers
    it any more, so leaving it out says nothing about it (it counts in root-cause reports)."""
    current = list(loop.root_causes.all())
    causes = [*causes, *(c for c in current if not c.active and c not in causes)]
    before = sorted(c.name for c in current)
    after = sorted(c.name for c in causes)
    if before != after:
        loop.root_causes.set(causes)
        timeline.record(
            loop,
            actor=actor,
            action="changed",
            field="root causes",
            before=", ".join(before),
            after=", ".join(after),
            at=at,
        )


@transaction.atomic
def loop_waive_sla(*, loop_id: int, actor: User, stage: str, reason: str, now: dt.datetime | None = None) -> Loop:
    reason = _reason(reason, "waiving the SLA")
    if stage not in ("first_contact", "resolution"):
        raise ValidationError({"stage": ["Choose the first-contact or the resolution SLA."]})
    loop = _locked(loop_id)
    _not_closed(loop, "waive an SLA")
    _set(loop, actor, f"{stage}_sla_waived", True, action="SLA waived", at=now)
    _override(loop, PolicyOverride.Kind.WAIVE_SLA, actor, reason, f"{stage.replace('_', ' ')} SLA", at=now)
    loop.save()
    return loop


@transaction.atomic
def loop_reassign(*, loop_id: int, actor: User, owner: User, reason: str = "") -> Loop:
    loop = _locked(loop_id)
    _not_closed(loop, "reassign it")
    if not (owner.is_active and owner.role):
        raise ValidationError({"owner": ["Choose an active staff member."]})
    if loop.owner_id == owner.pk:
        return loop
    manager = loop.account.owner
    if manager is not None and owner.pk != manager.pk:
        reason = _reason(reason, "reassigning away from the account's manager")
        _override(loop, PolicyOverride.Kind.REASSIGN, actor, reason, f"{manager} → {owner}")
    _set(loop, actor, "owner", owner, action="reassigned")
    loop.queue_team = None
    loop.save()
    notify(
        recipients=[owner],
        key=f"assigned:{loop.pk}:{loop.events.count()}",
        kind="assigned",
        text=f"{actor} gave you the loop for {loop.account.name}",
        loop=loop,
    )
    return loop


@transaction.atomic
def loop_close(
    *,
    loop_id: int,
    actor: User,
    resolution_summary: str,
    root_causes: Sequence[RootCause],
    reason_without_contact: str = "",
    send_followup: bool = False,
    now: dt.datetime | None = None,
) -> Loop:
    errors: dict[str, list[str]] = {}
    if not resolution_summary.strip():
        errors["resolution_summary"] = ["Summarise how the issue was resolved."]
    if not root_causes:
        errors["root_causes"] = ["Choose at least one root cause."]
    loop = _locked(loop_id)
    if loop.status == Loop.Status.CLOSED:
        errors["__all__"] = ["This loop is already closed."]
    if loop.first_contact_at is None and not reason_without_contact.strip():
        errors["reason"] = ["No customer contact is logged: say why you close without one."]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    if loop.first_contact_at is None:
        _override(loop, PolicyOverride.Kind.CLOSE_WITHOUT_CONTACT, actor, reason_without_contact.strip(), at=now)
    _set_root_causes(loop, actor, root_causes, at=now)
    _set(loop, actor, "resolution_summary", resolution_summary.strip(), at=now)
    loop.resolved_at = loop.resolved_at or now
    loop.closed_at = now
    _end_pause(loop, actor, now)
    _set(loop, actor, "status", Loop.Status.CLOSED, action="closed", at=now)
    loop.save()
    transaction.on_commit(lambda: emit_loop_closed(loop_id=loop.pk), robust=True)
    notify(
        recipients=[w for w in loop.watchers.all() if w.pk != actor.pk],
        key=f"closed:{loop.pk}:{loop.reopened_count}",
        kind="loop_closed",
        text=f"Loop for {loop.account.name} closed by {actor}",
        loop=loop,
        now=now,
    )
    if send_followup:
        from loops.services.followup import followup_send

        followup_send(loop=loop, actor=actor, now=now)
    return loop


@transaction.atomic
def loop_reopen(*, loop_id: int, actor: User, reason: str, now: dt.datetime | None = None) -> Loop:
    reason = _reason(reason, "reopening the loop")
    loop = _locked(loop_id)
    if loop.status not in (Loop.Status.RESOLVED, Loop.Status.CLOSED):
        raise ValidationError({"__all__": ["Only a resolved or closed loop can be reopened."]})
    now = now or timezone.now()
    _override(loop, PolicyOverride.Kind.REOPEN, actor, reason, at=now)
    _set(loop, actor, "status", Loop.Status.IN_PROGRESS, action="reopened", at=now)
    loop.closed_at = None
    loop.resolved_at = None
    # A new cycle: fresh deadlines from now, and escalations may happen again (they are unique per
    # cycle). A pause or a waiver belonged to the cycle that ended: the new deadlines hold until
    # someone pauses or waives again, with a new reason.
    loop.reopened_count += 1
    loop.escalation_level = 0
    _end_pause(loop, actor, now)
    for stage in ("first_contact", "resolution"):
        _set(loop, actor, f"{stage}_sla_waived", False, action="SLA waiver ended", at=now)
    if loop.followup_invitation_id is not None:
        # The follow-up asked about the closure just undone: unanswered, it is withdrawn; either
        # way the next closure asks afresh, and the old answer no longer speaks for the loop.
        invitation_cancel(invitation_id=loop.followup_invitation_id, now=now)
        _set(loop, actor, "recovered", None, action="follow-up verdict cleared", at=now)
        loop.followup_invitation = None
        loop.followup_edits = None
    deadlines = deadlines_for(loop.sla_policy, now)
    if loop.first_contact_at is None:
        loop.first_contact_due_at = deadlines.first_contact_due_at
        loop.first_contact_warn_at = deadlines.first_contact_warn_at
    _set(loop, actor, "resolution_due_at", deadlines.resolution_due_at, at=now)
    loop.resolution_warn_at = deadlines.resolution_warn_at
    loop.save()
    return loop


@transaction.atomic
def loop_watch(*, loop_id: int, actor: User, watch: bool) -> bool:
    """Follow a loop (its closing reaches you) or stop following it."""
    loop = _locked(loop_id)
    if watch:
        loop.watchers.add(actor)
    else:
        loop.watchers.remove(actor)
    timeline.record(loop, actor=actor, action="started watching" if watch else "stopped watching")
    return watch


@transaction.atomic
def note_add(*, loop_id: int, actor: User, text: str, now: dt.datetime | None = None) -> Note:
    if not text.strip():
        raise ValidationError({"text": ["Write something first."]})
    loop = _locked(loop_id)
    now = now or timezone.now()
    repeat = _repeated_note(loop, actor, Note.Kind.NOTE, text, now)
    if repeat is not None:
        return repeat
    note = Note.objects.create(loop=loop, author=actor, text=text, created_at=now)
    timeline.record(loop, actor=actor, action="note added", after=text[:120], at=now)
    return note


def _repeated_note(loop: Loop, actor: User, kind: str, text: str, now: dt.datetime, channel: str = "") -> Note | None:
    """The same note by the same person within a minute: the form sent twice (the loop is locked)."""
    same = Note.objects.filter(loop=loop, author=actor, kind=kind, text=text, channel=channel)
    return same.filter(created_at__gte=now - REPEAT_WINDOW).first()


@transaction.atomic
def step_add(
    *, loop_id: int, actor: User, description: str, owner: User, due_on: dt.date, now: dt.datetime | None = None
) -> PlanStep:
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = ["Describe the step."]
    if not (owner.is_active and owner.role):
        errors["owner"] = ["Choose an active staff member."]
    if errors:
        raise ValidationError(errors)
    loop = _locked(loop_id)
    if not loop.is_open:
        raise ValidationError({"__all__": ["This loop is closed; reopen it to change the plan."]})
    now = now or timezone.now()
    # The same step again within a minute is the form sent twice (a double click): one step.
    repeat = PlanStep.objects.filter(
        loop=loop, description=description.strip(), owner=owner, due_on=due_on, created_at__gte=now - REPEAT_WINDOW
    ).first()
    if repeat is not None:
        return repeat
    step = PlanStep.objects.create(
        loop=loop, description=description.strip(), owner=owner, due_on=due_on, created_at=now
    )
    timeline.record(
        loop, actor=actor, action="plan step added", after=f"{step.description} ({owner}, {due_on})", at=now
    )
    if loop.status in (Loop.Status.NEW, Loop.Status.CONTACTED) and loop.first_contact_at is not None:
        _set(loop, actor, "status", Loop.Status.IN_PROGRESS, at=now)
        loop.save()
    if owner.pk != actor.pk:
        notify(
            recipients=[owner],
            key=f"step:{step.pk}",
            kind="step_assigned",
            text=f"Plan step for {loop.account.name}: {step.description} (due {due_on})",
            loop=loop,
            now=now,
        )
    return step


@transaction.atomic
def step_update(
    *,
    step_id: int,
    actor: User,
    status: str | None = None,
    due_on: dt.date | None = None,
    owner: User | None = None,
    now: dt.datetime | None = None,
) -> PlanStep:
    # The loop's lock first, then the step: every change to a step holds that lock, so the step
    # read after it is the latest committed one (read before it, a concurrent change is undone).
    loop = _locked(PlanStep.objects.values_list("loop_id", flat=True).get(pk=step_id))
    step = PlanStep.objects.get(pk=step_id)
    _not_closed(loop, "change its plan")
    now = now or timezone.now()
    for field, value in (("status", status), ("due_on", due_on), ("owner", owner)):
        if value is not None and getattr(step, field) != value:
            timeline.record(
                loop,
                actor=actor,
                action="plan step changed",
                field=f"{step.description[:40]}: {field}",
                before=getattr(step, field),
                after=value,
                at=now,
            )
            setattr(step, field, value)
    step.done_at = (step.done_at or now) if step.status == PlanStep.Status.DONE else None
    step.save()
    return step
