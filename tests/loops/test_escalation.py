"""Escalation, run by beat: a reminder before a deadline, escalation to the supervisor after it,
level 2 to a director later; each happens once however often or however many workers run it."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from loops.models import Escalation, EscalationLevel, Loop, Notification, PlanStep, RootCause
from loops.services import cases
from loops.services.escalation import escalations_run
from tests.factories import UserFactory
from vocplatform.models import User

pytestmark = pytest.mark.django_db


def test_nothing_happens_before_the_warning_time(loop):
    result = escalations_run(now=loop.first_contact_warn_at - dt.timedelta(minutes=1))
    assert (result.reminders, result.escalations) == (0, 0)


def test_the_owner_is_reminded_once_before_the_first_contact_deadline(loop, manager):
    at = loop.first_contact_warn_at + dt.timedelta(minutes=1)
    assert escalations_run(now=at).reminders == 1
    assert escalations_run(now=at).reminders == 0
    reminder = Notification.objects.get(kind="reminder")
    assert reminder.recipient == manager and "first-contact" in reminder.text and "Acme Corp" in reminder.text


def test_a_breach_escalates_to_the_teams_supervisor_once(loop, supervisor):
    at = loop.first_contact_due_at + dt.timedelta(minutes=1)
    first = escalations_run(now=at)
    again = escalations_run(now=at + dt.timedelta(hours=1))
    assert first.escalations == 1 and again.escalations == 0
    escalation = Escalation.objects.get(level=1)
    assert escalation.recipient == supervisor and escalation.stage == "first_contact"
    assert Notification.objects.filter(recipient=supervisor, kind="escalation").count() == 1
    loop.refresh_from_db()
    assert loop.escalation_level == 1


def test_level_two_goes_to_a_director_after_48_more_hours(loop, supervisor):
    director = UserFactory(username="dora", role=User.Role.ADMIN)
    EscalationLevel.objects.create(level=2, delay_hours=48, recipient="user", user=director)
    breach = loop.first_contact_due_at
    escalations_run(now=breach + dt.timedelta(hours=47))
    assert not Escalation.objects.filter(level=2).exists()
    escalations_run(now=breach + dt.timedelta(hours=48, minutes=1))
    assert Escalation.objects.get(level=2).recipient == director
    loop.refresh_from_db()
    assert loop.escalation_level == 2


def test_a_contacted_loop_is_not_escalated_for_first_contact(loop, manager):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    escalations_run(now=loop.first_contact_due_at + dt.timedelta(hours=1))
    assert not Escalation.objects.filter(stage="first_contact").exists()


def test_a_waived_sla_is_not_escalated(loop, supervisor):
    cases.loop_waive_sla(loop_id=loop.pk, actor=supervisor, stage="first_contact", reason="Customer on leave")
    escalations_run(now=loop.first_contact_due_at + dt.timedelta(hours=1))
    assert not Escalation.objects.filter(stage="first_contact").exists()


def test_a_reopened_loop_can_be_escalated_again(loop, manager, supervisor):
    escalations_run(now=loop.first_contact_due_at + dt.timedelta(minutes=1))
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_close(
        loop_id=loop.pk, actor=manager, resolution_summary="Done", root_causes=list(RootCause.objects.all()[:1])
    )
    cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="Broke again")
    loop.refresh_from_db()
    escalations_run(now=loop.resolution_due_at + dt.timedelta(minutes=1))
    assert Escalation.objects.filter(stage="resolution", level=1, cycle=1, recipient=supervisor).exists()
    loop.refresh_from_db()
    assert loop.escalation_level == 1


def test_a_paused_loop_is_not_escalated(loop, manager):
    cases.loop_pause(loop_id=loop.pk, actor=manager, reason="Waiting for logs")
    escalations_run(now=loop.resolution_due_at + dt.timedelta(hours=1))
    assert not Escalation.objects.exists()


def test_resolution_breach_escalates_separately_from_first_contact(loop, manager, supervisor):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    escalations_run(now=loop.resolution_due_at + dt.timedelta(minutes=1))
    assert set(Escalation.objects.values_list("stage", "level")) == {("resolution", 0), ("resolution", 1)}


def test_overdue_plan_steps_notify_their_owner_once(loop, manager, teammate):
    cases.step_add(
        loop_id=loop.pk, actor=manager, description="Send the credit note", owner=teammate, due_on=dt.date(2026, 1, 5)
    )
    escalations_run(now=dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC))
    escalations_run(now=dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC))
    overdue = Notification.objects.filter(kind="step_overdue")
    assert [(n.recipient, n.text) for n in overdue] == [(teammate, "Overdue plan step: Send the credit note")]
    PlanStep.objects.update(status="done")
    assert escalations_run(now=dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)).overdue_steps == 0


def test_the_pass_costs_the_same_queries_for_one_loop_or_many(answer, contact, loop):
    at = loop.resolution_due_at + dt.timedelta(hours=1)
    with CaptureQueriesContext(connection) as one:
        escalations_run(now=at)
    for score in range(5):
        answer(contact, score)
    with CaptureQueriesContext(connection) as six:
        escalations_run(now=at + dt.timedelta(days=30))
    assert Loop.objects.count() == 6
    assert len(six.captured_queries) == len(one.captured_queries)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_passes_at_once_escalate_and_notify_once(seeded_defaults, answer, contact, supervisor):
    for score in range(10):
        answer(contact, score % 7)
    latest = max(Loop.objects.values_list("resolution_due_at", flat=True))
    at = latest + dt.timedelta(hours=1)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            escalations_run(now=at)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    loops = Loop.objects.count()
    # Per loop: first-contact reminder + escalation, resolution reminder + escalation.
    assert Escalation.objects.count() == 4 * loops
    assert Notification.objects.filter(kind="escalation", recipient=supervisor).count() == 2 * loops
    assert Notification.objects.filter(kind="reminder").count() == 2 * loops


def test_a_deadline_is_breached_after_it_not_at_it(loop):
    """As everywhere else: a contact logged at the deadline itself is on time."""
    assert escalations_run(now=loop.first_contact_due_at).escalations == 0
    assert escalations_run(now=loop.first_contact_due_at + dt.timedelta(microseconds=1)).escalations == 1


def test_a_plan_step_is_overdue_when_its_due_date_has_passed_for_its_owner(loop, manager, teammate):
    """The owner picks and sees due dates in their own time zone; the pass asks the same calendar."""
    manager.time_zone = "America/Los_Angeles"
    manager.save()
    teammate.time_zone = "Asia/Tokyo"
    teammate.save()
    due = dt.date(2026, 3, 10)
    for owner in (manager, teammate):
        cases.step_add(loop_id=loop.pk, actor=manager, description=f"Call for {owner}", owner=owner, due_on=due)
    # 2026-03-11 03:00 UTC: 20:00 on the 10th in Los Angeles, 12:00 on the 11th in Tokyo.
    assert escalations_run(now=dt.datetime(2026, 3, 11, 3, tzinfo=dt.UTC)).overdue_steps == 1
    assert list(Notification.objects.filter(kind="step_overdue").values_list("recipient", flat=True)) == [teammate.pk]
    # 2026-03-11 08:00 UTC: past midnight in Los Angeles too.
    assert escalations_run(now=dt.datetime(2026, 3, 11, 8, tzinfo=dt.UTC)).overdue_steps == 1
    assert Notification.objects.filter(kind="step_overdue", recipient=manager).count() == 1


def test_a_loop_paused_then_resolved_and_reopened_is_escalated_on_its_new_deadline(loop, manager, supervisor):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    cases.loop_pause(loop_id=loop.pk, actor=manager, reason="Waiting for logs")
    cases.loop_set_status(loop_id=loop.pk, actor=manager, status=Loop.Status.RESOLVED)
    reopened = cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="Customer says it is back")
    escalations_run(now=reopened.resolution_due_at + dt.timedelta(hours=1))
    assert Escalation.objects.filter(loop=loop, stage="resolution", level=1, cycle=1).exists()
