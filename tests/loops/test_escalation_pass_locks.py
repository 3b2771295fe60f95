"""Two escalation passes at once (a pass that outlived its minute, or two beats) both finish
(PostgreSQL)."""

import datetime as dt
import threading

from django.utils import timezone

from loops.models import Escalation, Loop
from loops.services import escalation
from loops.services.escalation import escalations_run
from tests.factories import ContactFactory
from tests.surveys.races import RACE, second_waits_for_first

pytestmark = RACE

FAR = dt.timedelta(days=30)


def test_two_overlapping_escalation_passes_both_finish(seeded_defaults, answer, account, manager, supervisor):
    first_contact = ContactFactory(account=account, email="ann@acme.com", name="Ann")
    second_contact = ContactFactory(account=account, email="bob@acme.com", name="Bob")
    low = Loop.objects.get(response=answer(first_contact, 2, "Nobody called"))
    high = Loop.objects.get(response=answer(second_contact, 1, "Still broken"))
    assert low.pk < high.pk
    t_a = timezone.now() + dt.timedelta(days=1)
    t_b = t_a + dt.timedelta(minutes=2)
    # high: its first-contact reminder is due for both passes.
    Loop.objects.filter(pk=high.pk).update(
        first_contact_warn_at=t_a - dt.timedelta(hours=1),
        first_contact_due_at=t_a + FAR,
        resolution_warn_at=t_a + FAR,
        resolution_due_at=t_a + FAR,
    )
    # low: its first-contact reminder falls between the two passes' clocks; its resolution reminder
    # is due for both.
    Loop.objects.filter(pk=low.pk).update(
        first_contact_warn_at=t_a + dt.timedelta(minutes=1),
        first_contact_due_at=t_a + FAR,
        resolution_warn_at=t_a - dt.timedelta(hours=1),
        resolution_due_at=t_a + FAR,
    )

    original = escalation._notify_escalations
    first_thread: list[int] = []
    paused: list[bool] = []

    def pass_a(pause):  # type: ignore[no-untyped-def]
        first_thread.append(threading.get_ident())

        def notify(stage, level, now):  # type: ignore[no-untyped-def]
            count = original(stage, level, now)
            if threading.get_ident() in first_thread and not paused:
                paused.append(True)
                pause()  # pass A has locked `high` for its first-contact reminder
            return count

        escalation._notify_escalations = notify
        escalations_run(now=t_a)

    try:
        second_waits_for_first(pass_a, lambda: escalations_run(now=t_b))
    finally:
        escalation._notify_escalations = original

    reminders = set(Escalation.objects.filter(level=0).values_list("loop_id", "stage"))
    assert reminders == {(high.pk, "first_contact"), (low.pk, "first_contact"), (low.pk, "resolution")}
