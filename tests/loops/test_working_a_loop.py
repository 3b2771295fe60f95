"""Working a loop: the first contact meets the SLA; closing needs a summary and a root cause;
every departure from the rules demands a reason and lands in the policy-override log."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from loops.models import Loop, LoopEvent, PolicyOverride, RootCause
from loops.services import cases
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SOON = dt.date.today() + dt.timedelta(days=7)


def causes():
    return list(RootCause.objects.filter(name="Slow or unhelpful support"))


def test_logging_the_first_contact_records_it_and_moves_the_loop_on(loop, manager):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called Jane, apologised")
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CONTACTED
    assert loop.first_contact_at is not None and loop.first_contact_at <= timezone.now()
    first = loop.first_contact_at
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="email", text="Sent the credit note")
    loop.refresh_from_db()
    assert loop.first_contact_at == first
    assert LoopEvent.objects.filter(loop=loop, field="status", before="new", after="contacted", actor=manager).exists()


def test_closing_needs_a_resolution_summary_and_a_root_cause(loop, manager):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Spoke")
    with pytest.raises(ValidationError) as refused:
        cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="  ", root_causes=[])
    assert set(refused.value.message_dict) == {"resolution_summary", "root_causes"}
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CONTACTED
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Refunded", root_causes=causes())
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CLOSED and loop.closed_at is not None
    assert [c.name for c in loop.root_causes.all()] == ["Slow or unhelpful support"]
    assert not PolicyOverride.objects.exists()


def test_closing_without_a_logged_contact_demands_a_reason_and_is_logged(loop, manager):
    with pytest.raises(ValidationError) as refused:
        cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Fixed", root_causes=causes())
    assert "reason" in refused.value.message_dict
    cases.loop_close(
        loop_id=loop.pk,
        actor=manager,
        resolution_summary="Fixed",
        root_causes=causes(),
        reason_without_contact="Customer asked by email not to be called",
    )
    override = PolicyOverride.objects.get(loop=loop)
    assert override.kind == PolicyOverride.Kind.CLOSE_WITHOUT_CONTACT
    assert override.actor == manager and override.reason == "Customer asked by email not to be called"


def test_waiving_an_sla_demands_a_reason_and_is_logged(loop, supervisor):
    with pytest.raises(ValidationError):
        cases.loop_waive_sla(loop_id=loop.pk, actor=supervisor, stage="first_contact", reason=" ")
    cases.loop_waive_sla(loop_id=loop.pk, actor=supervisor, stage="first_contact", reason="Customer on holiday")
    loop.refresh_from_db()
    assert loop.first_contact_sla_waived
    assert PolicyOverride.objects.get(loop=loop).kind == PolicyOverride.Kind.WAIVE_SLA


def test_reassigning_away_from_the_accounts_manager_demands_a_reason(loop, supervisor, teammate, manager):
    with pytest.raises(ValidationError):
        cases.loop_reassign(loop_id=loop.pk, actor=supervisor, owner=teammate)
    cases.loop_reassign(loop_id=loop.pk, actor=supervisor, owner=teammate, reason="Max is on leave")
    loop.refresh_from_db()
    assert loop.owner == teammate
    override = PolicyOverride.objects.get(loop=loop)
    assert override.kind == PolicyOverride.Kind.REASSIGN and "Max" in override.detail
    # Handing it back to the account's manager is no departure from the rules.
    cases.loop_reassign(loop_id=loop.pk, actor=supervisor, owner=manager)
    assert PolicyOverride.objects.count() == 1


def test_reopening_demands_a_reason_and_is_logged(loop, manager):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Spoke")
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Done", root_causes=causes())
    with pytest.raises(ValidationError):
        cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="")
    cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="The refund bounced")
    loop.refresh_from_db()
    assert loop.status == Loop.Status.IN_PROGRESS and loop.reopened_count == 1 and loop.closed_at is None
    assert PolicyOverride.objects.get(loop=loop).kind == PolicyOverride.Kind.REOPEN


def test_a_status_cannot_skip_the_first_contact_jump_to_closed_or_reopen_without_a_reason(loop, manager):
    with pytest.raises(ValidationError):
        cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.RESOLVED)
    with pytest.raises(ValidationError):
        cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.CLOSED)
    cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.IN_PROGRESS)
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Spoke")
    cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.RESOLVED)
    with pytest.raises(ValidationError):  # going back is reopening, which asks why
        cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.IN_PROGRESS)


def test_a_closed_loop_cannot_be_edited_until_reopened(loop, manager):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Spoke")
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Done", root_causes=causes())
    with pytest.raises(ValidationError):
        cases.loop_update(loop_id=loop.pk, actor=manager, root_causes=[])
    with pytest.raises(ValidationError):
        cases.loop_waive_sla(loop_id=loop.pk, actor=manager, stage="resolution", reason="late")
    loop.refresh_from_db()
    assert loop.root_causes.count() == 1


def test_reopening_starts_fresh_deadlines(loop, manager):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Spoke")
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Done", root_causes=causes())
    later = loop.resolution_due_at + dt.timedelta(days=30)
    cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="It broke again", now=later)
    loop.refresh_from_db()
    assert loop.resolution_due_at > later and loop.escalation_level == 0


def test_waiting_on_the_customer_pauses_the_sla_and_is_logged(loop, manager):
    due = loop.resolution_due_at
    Loop.objects.filter(pk=loop.pk).update(waiting_since=None)
    cases.loop_pause(loop_id=loop.pk, actor=manager, reason="Waiting for their logs")
    loop.refresh_from_db()
    # Pretend the wait lasted a business week: the deadlines move by that much working time.
    Loop.objects.filter(pk=loop.pk).update(waiting_since=loop.waiting_since - dt.timedelta(days=7))
    cases.loop_resume(loop_id=loop.pk, actor=manager)
    loop.refresh_from_db()
    assert loop.waiting_since is None
    from loops.business_time import business_time_between

    calendar = loop.sla_policy.business_calendar()
    moved = business_time_between(calendar, due, loop.resolution_due_at)
    assert abs(moved - dt.timedelta(hours=40)) < dt.timedelta(seconds=1)  # plus the milliseconds the test took
    actions = list(LoopEvent.objects.filter(loop=loop).values_list("action", flat=True))
    assert "waiting on customer" in actions and any(a.startswith("resumed after 40.0") for a in actions)


def test_every_change_lands_in_the_timeline_with_who_before_and_after(loop, manager):
    cases.loop_update(loop_id=loop.pk, actor=manager, priority="urgent", root_causes=causes())
    priority = LoopEvent.objects.get(loop=loop, field="priority")
    assert (priority.actor, priority.before, priority.after) == (manager, "high", "urgent")
    assert LoopEvent.objects.filter(loop=loop, field="root causes", after="Slow or unhelpful support").exists()


def test_plan_steps_have_an_owner_and_date_and_notify_their_owner(loop, manager, teammate):
    step = cases.step_add(loop_id=loop.pk, actor=manager, description="Credit note", owner=teammate, due_on=SOON)
    assert step.owner == teammate
    assert teammate.notifications.filter(kind="step_assigned").count() == 1
    with pytest.raises(ValidationError):
        cases.step_add(loop_id=loop.pk, actor=manager, description="", owner=teammate, due_on=SOON)
    inactive = UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError):
        cases.step_add(loop_id=loop.pk, actor=manager, description="x", owner=inactive, due_on=SOON)
    cases.step_update(step_id=step.pk, actor=manager, status="done")
    step.refresh_from_db()
    assert step.done_at is not None


def test_resolving_a_paused_loop_ends_the_pause_and_reopening_starts_unpaused(loop, manager):
    """A pause belongs to a running cycle: once resolved, nothing waits; reopened, the fresh deadlines run."""
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_pause(loop_id=loop.pk, actor=manager, reason="Waiting for logs")
    resolved = cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.RESOLVED)
    assert resolved.waiting_since is None
    with pytest.raises(ValidationError, match="not waiting"):
        cases.loop_resume(loop_id=loop.pk, actor=manager)
    reopened = cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="Customer says it is back")
    assert (reopened.status, reopened.waiting_since) == (Loop.Status.IN_PROGRESS, None)
    assert cases.loop_pause(loop_id=loop.pk, actor=manager, reason="Waiting again").waiting_since is not None
    actions = list(LoopEvent.objects.filter(loop=loop).values_list("action", flat=True))
    assert actions.count("no longer waiting on customer") == 1


def test_a_waiver_ends_with_the_cycle_it_was_given_for(loop, manager, supervisor):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_waive_sla(loop_id=loop.pk, actor=supervisor, stage="resolution", reason="Customer abroad")
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Refunded", root_causes=causes())
    reopened = cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="It broke again")
    assert not reopened.resolution_sla_waived
    assert LoopEvent.objects.filter(loop=loop, action="SLA waiver ended", field="resolution_sla_waived").exists()


def test_a_closed_loop_keeps_its_owner(loop, manager, supervisor, teammate):
    """Its on-time or late closure stays with whoever closed it in the accountability figures."""
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Refunded", root_causes=causes())
    with pytest.raises(ValidationError, match="reopen it to reassign"):
        cases.loop_reassign(loop_id=loop.pk, actor=supervisor, owner=teammate, reason="Tidy up")
    loop.refresh_from_db()
    assert loop.owner == manager


def test_a_plan_step_of_a_closed_loop_cannot_change(loop, manager):
    step = cases.step_add(loop_id=loop.pk, actor=manager, description="Refund", owner=manager, due_on=SOON)
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Refunded", root_causes=causes())
    with pytest.raises(ValidationError, match="reopen it to change its plan"):
        cases.step_update(step_id=step.pk, actor=manager, status="done")


def test_a_root_cause_retired_since_it_was_chosen_stays_on_the_loop(loop, manager):
    """No form offers it any more, so leaving it out of an update says nothing about it."""
    defect = RootCause.objects.get(name="Product defect")
    cases.loop_update(loop_id=loop.pk, actor=manager, root_causes=[defect])
    RootCause.objects.filter(pk=defect.pk).update(active=False)
    cases.loop_update(loop_id=loop.pk, actor=manager, priority="low", root_causes=causes())
    assert sorted(loop.root_causes.values_list("name", flat=True)) == ["Product defect", "Slow or unhelpful support"]
