"""When a loop closes, the customer can be asked "Did we resolve your issue?" through the surveys
machinery (opt-outs and churn still apply, the 30-day contact gap does not), and the answer shows
on the loop as recovered or not."""

import pytest
from django.utils import timezone

from loops.models import Loop, RootCause
from loops.services import cases
from surveys.models import FrequencyRule, Invitation, OutboxMessage
from surveys.services.responses import AnswerInput, response_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _any_hour():
    # The send window would defer a follow-up closed at night; these tests are about what is sent.
    FrequencyRule.objects.filter(kind=FrequencyRule.Kind.SEND_WINDOW).update(active=False)


def close_with_followup(loop, manager, capture):
    cases.loop_log_contact(loop_id=loop.pk, actor=manager, channel="phone", text="Called")
    with capture(execute=True):
        cases.loop_close(
            loop_id=loop.pk,
            actor=manager,
            resolution_summary="Refunded",
            root_causes=list(RootCause.objects.all()[:1]),
            send_followup=True,
        )
    loop.refresh_from_db()
    return loop.followup_invitation


def answer_followup(invitation, resolved: bool, capture, score: int = 4):
    yes_no, csat, _text = invitation.survey.questions.order_by("position")
    with capture(execute=True):
        response_submit(
            invitation=invitation,
            answers={yes_no.pk: AnswerInput(choices=["Yes" if resolved else "No"]), csat.pk: AnswerInput(number=score)},
            consent=False,
        )


def test_the_follow_up_is_sent_despite_the_recent_survey_and_its_answer_marks_the_loop_recovered(
    loop, manager, django_capture_on_commit_callbacks
):
    Invitation.objects.filter(pk=loop.response.invitation_id).update(status="answered", sent_at=loop.opened_at)
    invitation = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert OutboxMessage.objects.filter(invitation=invitation).count() == 1
    answer_followup(invitation, True, django_capture_on_commit_callbacks)
    loop.refresh_from_db()
    assert loop.recovered is True
    assert Loop.objects.count() == 1  # the follow-up answer opens no loop of its own
    assert manager.notifications.filter(kind="followup").exists()


def test_a_no_means_not_recovered_even_with_a_kind_score(loop, manager, django_capture_on_commit_callbacks):
    invitation = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    answer_followup(invitation, False, django_capture_on_commit_callbacks, score=1)
    loop.refresh_from_db()
    assert loop.recovered is False
    assert Loop.objects.count() == 1


def test_an_opted_out_customer_gets_no_follow_up(loop, manager, contact, django_capture_on_commit_callbacks):
    type(contact).objects.filter(pk=contact.pk).update(opted_out=True, opted_out_at=timezone.now())
    invitation = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SUPPRESSED and invitation.suppressed_by == "opted_out"
