"""An escalation pass that runs while a manager closes or pauses the loop (two PostgreSQL transactions)."""

import datetime as dt

from django.db import transaction

from loops.models import Escalation, Loop, Notification
from loops.services import cases
from loops.services.escalation import escalations_run
from tests.loops.races import closing_held
from tests.surveys.races import RACE, second_waits_for_first

pytestmark = RACE


def _overdue_loop(answer, contact):  # type: ignore[no-untyped-def]
    return Loop.objects.get(response=answer(contact, 2, "Support never called back"))


def test_an_escalation_pass_during_a_close_escalates_nothing_on_the_closed_loop(
    seeded_defaults, answer, contact, manager, supervisor
):
    """The manager closes the loop (row locked, not yet committed) while beat's pass runs past the
    deadline: once the close commits, the loop is closed, and no escalation or 'SLA breached'
    notice may be made for it."""
    loop = _overdue_loop(answer, contact)
    at = loop.first_contact_due_at + dt.timedelta(hours=1)

    second_waits_for_first(closing_held(loop, manager), lambda: escalations_run(now=at))
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CLOSED
    assert list(Escalation.objects.filter(loop=loop).values_list("stage", "level")) == []
    assert list(Notification.objects.filter(loop=loop, kind="escalation").values_list("text", flat=True)) == []
    assert loop.escalation_level == 0


def test_an_escalation_pass_during_a_pause_does_not_escalate_the_paused_loop(
    seeded_defaults, answer, contact, manager, supervisor
):
    """'Waiting on the customer' stops the clock: a pass that meets the pause's lock must see the pause."""
    loop = _overdue_loop(answer, contact)
    at = loop.first_contact_due_at + dt.timedelta(hours=1)

    def manager_pauses(pause):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            cases.loop_pause(loop_id=loop.pk, actor=manager, reason="Customer on holiday until Monday")
            pause()

    second_waits_for_first(manager_pauses, lambda: escalations_run(now=at))
    loop.refresh_from_db()
    assert loop.waiting_since is not None
    assert list(Notification.objects.filter(loop=loop, kind="escalation").values_list("text", flat=True)) == []
