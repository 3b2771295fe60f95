"""When a loop closes, the customer can be asked "Did we resolve your issue?" through the surveys
machinery (opt-outs and churn still apply, the 30-day contact gap does not), and the answer shows
on the loop as recovered or not."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loops.models import Loop, RootCause
from loops.services import cases
from loops.services.followup import followup_record, followups_unrecorded
from loops.tasks import loops_sweep_task
from surveys.models import FrequencyRule, Invitation, OutboxMessage, Question, Response
from surveys.services.responses import AnswerInput, response_submit
from surveys.services.tokens import token_for
from tests.factories import ContactFactory, SurveyFactory

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


def test_a_follow_up_answer_whose_task_was_lost_reaches_the_loop_through_the_sweeper(
    loop, manager, django_capture_on_commit_callbacks, settings
):
    invitation = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    # The broker lost every task of the answer: its on-commit callbacks never run.
    answer_followup(invitation, True, lambda execute: django_capture_on_commit_callbacks(execute=False))
    response = invitation.response
    loop.refresh_from_db()
    assert loop.recovered is None
    answered = response.updated_at
    grace = timezone.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)

    assert followups_unrecorded(now=answered + grace / 2) == [], "its task may still be queued"
    assert followups_unrecorded(now=answered + grace * 2) == [response.pk]

    Response.objects.filter(pk=response.pk).update(updated_at=timezone.now() - grace * 2)
    loops_sweep_task()
    loop.refresh_from_db()
    assert loop.recovered is True
    assert manager.notifications.filter(kind="followup").count() == 1
    assert followups_unrecorded() == []


def test_an_edited_follow_up_answer_is_swept_until_the_loop_records_that_version(
    loop, manager, django_capture_on_commit_callbacks, settings
):
    invitation = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    answer_followup(invitation, True, django_capture_on_commit_callbacks)
    later = timezone.now() + timezone.timedelta(seconds=settings.SWEEP_GRACE_SECONDS * 2)
    assert followups_unrecorded(now=later) == [], "recorded: nothing to sweep"

    Response.objects.filter(pk=invitation.response.pk).update(edits=1)  # an edit whose task was lost
    assert followups_unrecorded(now=later) == [invitation.response.pk]
    followup_record(response_id=invitation.response.pk)
    assert followups_unrecorded(now=later) == []


def test_recorded_follow_ups_do_not_hide_a_lost_one_from_a_limited_sweep(
    loop, manager, answer, contact, django_capture_on_commit_callbacks, settings
):
    capture = django_capture_on_commit_callbacks
    recorded = close_with_followup(loop, manager, capture)
    answer_followup(recorded, True, capture)  # answered first, and recorded: first in the sweep's order
    other = Loop.objects.get(response=answer(ContactFactory(account=contact.account), 1, "Nobody answers the phone"))
    lost = close_with_followup(other, manager, capture)
    answer_followup(lost, False, lambda execute: capture(execute=False))
    later = timezone.now() + timezone.timedelta(seconds=settings.SWEEP_GRACE_SECONDS * 2)
    assert followups_unrecorded(now=later, limit=1) == [lost.response.pk]


def survey_page(token):
    return reverse("public:survey", args=[token])


def closed_loop_with_score_first_followup(answer, contact, manager, capture):
    """A loop closed with a follow-up survey that starts with a CSAT score (so its email has
    one-click buttons), then asks "Did we resolve your issue?"."""
    followup = SurveyFactory(respects_contact_gap=False, min_gap_days=0)
    csat = Question.objects.create(survey=followup, position=0, kind=Question.Kind.CSAT, text="How did we do?")
    resolved = Question.objects.create(
        survey=followup, position=1, kind=Question.Kind.SINGLE, text="Did we resolve it?", choices=["Yes", "No"]
    )
    loop = Loop.objects.get(response=answer(contact, 2, "Support never called back"))
    loop.rule.followup_survey = followup
    loop.rule.save()
    invitation = close_with_followup(loop, manager, capture)
    return loop, csat, resolved, token_for(invitation.token_nonce)


def test_the_owner_is_told_when_a_clicked_follow_up_score_is_followed_by_a_no(
    answer, contact, manager, django_capture_on_commit_callbacks
):
    """The customer clicks 5 in the email, then sends the form saying No."""
    loop, csat, resolved, token = closed_loop_with_score_first_followup(
        answer, contact, manager, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().get(survey_page(token) + "?score=5").status_code == 200
    loop.refresh_from_db()
    assert loop.recovered is True
    with django_capture_on_commit_callbacks(execute=True):
        sent = Client().post(survey_page(token), {f"q_{csat.pk}": "5", f"q_{resolved.pk}": "No"})
    assert sent.status_code == 302
    loop.refresh_from_db()
    assert loop.recovered is False

    texts = list(manager.notifications.filter(kind="followup").values_list("text", flat=True))
    assert any(text.endswith(": not recovered") for text in texts), texts


def test_a_lost_follow_up_answer_after_a_clicked_score_is_found_by_the_sweeper(
    answer, contact, manager, django_capture_on_commit_callbacks, settings
):
    loop, csat, resolved, token = closed_loop_with_score_first_followup(
        answer, contact, manager, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        Client().get(survey_page(token) + "?score=5")  # recorded on the loop: recovered
    with django_capture_on_commit_callbacks(execute=False):  # the broker loses this answer's task
        Client().post(survey_page(token), {f"q_{csat.pk}": "5", f"q_{resolved.pk}": "No"})
    later = timezone.now() + dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS * 2)
    assert followups_unrecorded(now=later) == [loop.followup_invitation.response.pk]


def test_a_reopened_loop_asks_afresh_when_it_closes_again(loop, manager, django_capture_on_commit_callbacks):
    first = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    answer_followup(first, False, django_capture_on_commit_callbacks)
    loop.refresh_from_db()
    assert loop.recovered is False

    cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="Customer says the refund never came")
    loop.refresh_from_db()
    # The verdict was about the closure just undone: nothing is known about the next one yet.
    assert (loop.recovered, loop.followup_invitation, loop.followup_edits) == (None, None, None)

    second = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    assert second.pk != first.pk
    assert OutboxMessage.objects.filter(invitation=second).count() == 1
    answer_followup(second, True, django_capture_on_commit_callbacks)
    loop.refresh_from_db()
    assert loop.recovered is True
    texts = list(manager.notifications.filter(kind="followup").order_by("pk").values_list("text", flat=True))
    assert [t.rsplit(": ", 1)[1] for t in texts] == ["not recovered", "recovered"]
    # An edit of the old answer no longer speaks for this loop.
    answer_followup(first, False, django_capture_on_commit_callbacks)
    loop.refresh_from_db()
    assert loop.recovered is True


def test_reopening_withdraws_a_follow_up_nobody_answered(loop, manager, django_capture_on_commit_callbacks):
    pending = close_with_followup(loop, manager, django_capture_on_commit_callbacks)
    cases.loop_reopen(loop_id=loop.pk, actor=manager, reason="Closed too early")
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.EXPIRED
