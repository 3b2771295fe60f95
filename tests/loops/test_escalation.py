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
    escalations_run(today=dt.date(2026, 1, 6), now=loop.opened_at)
    escalations_run(today=dt.date(2026, 1, 7), now=loop.opened_at)
    overdue = Notification.objects.filter(kind="step_overdue")
    assert [(n.recipient, n.text) for n in overdue] == [(teammate, "Overdue plan step: Send the credit note")]
    PlanStep.objects.update(status="done")
    assert escalations_run(today=dt.date(2026, 1, 8), now=loop.opened_at).overdue_steps == 0


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
