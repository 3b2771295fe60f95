"""An overdue-plan-step notice is not made for a loop a manager closes while the escalation pass runs
(PostgreSQL)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from loops.models import Loop, Notification, PlanStep, RootCause
from loops.services import cases
from loops.services.escalation import escalations_run
from tests.surveys.races import RACE, second_waits_for_first

pytestmark = RACE


def test_an_escalation_pass_during_a_close_sends_no_overdue_step_notice_for_the_closed_loop(
    seeded_defaults, answer, contact, manager, teammate
):
    loop = Loop.objects.get(response=answer(contact, 2, "Support never called back"))
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called Jane")
    step = cases.step_add(
        loop_id=loop.pk,
        actor=manager,
        description="Send the credit note",
        owner=teammate,
        due_on=timezone.localdate() - dt.timedelta(days=2),
    )
    # Tina already heard of the step when it was assigned; only the overdue notice is in question.
    loop.refresh_from_db()
    now = timezone.now()
    assert loop.resolution_warn_at > now  # nothing of the loop's own is due: only its step is
    cause = RootCause.objects.filter(active=True).first()

    def manager_closes(pause):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            cases.loop_close(loop_id=loop.pk, actor=manager, resolution_summary="Credit note sent", root_causes=[cause])
            pause()

    second_waits_for_first(manager_closes, lambda: escalations_run(now=now))
    loop.refresh_from_db()
    assert loop.status == Loop.Status.CLOSED
    assert PlanStep.objects.get(pk=step.pk).status != PlanStep.Status.DONE
    notices = Notification.objects.filter(loop=loop, kind="step_overdue").values_list("recipient__username", "text")
    assert list(notices) == []
