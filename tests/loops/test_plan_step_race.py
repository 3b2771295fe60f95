"""Two people changing one plan step at once: both changes stand (two PostgreSQL transactions)."""

import datetime as dt

from django.db import transaction

from loops.models import Loop, PlanStep
from loops.services import cases
from tests.surveys.races import RACE, second_waits_for_first

pytestmark = RACE
SOON = dt.date.today() + dt.timedelta(days=7)
LATER = SOON + dt.timedelta(days=14)


def test_two_plan_step_updates_at_once_keep_both_changes(seeded_defaults, answer, contact, manager, supervisor):
    """The second update waits for the loop's lock and then reads the step the first committed,
    so the supervisor's new date survives the owner's 'done' (a copy read before the lock undid it)."""
    loop = Loop.objects.get(response=answer(contact, 2, "Support never called back"))
    step = cases.step_add(loop_id=loop.pk, actor=manager, description="Refund", owner=manager, due_on=SOON)

    def supervisor_moves_the_date(pause):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            cases.step_update(step_id=step.pk, actor=supervisor, due_on=LATER)
            pause()  # holds the loop's row lock, not yet committed

    def owner_marks_it_done() -> None:
        cases.step_update(step_id=step.pk, actor=manager, status=PlanStep.Status.DONE)

    second_waits_for_first(supervisor_moves_the_date, owner_marks_it_done)
    step.refresh_from_db()
    assert (step.status, step.due_on) == (PlanStep.Status.DONE, LATER)
