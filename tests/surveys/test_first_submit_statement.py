"""On PostgreSQL a first submit is recorded by one statement; it must store exactly what the
locked transaction stores, and step aside whenever that transaction has something to decide."""

import datetime as dt

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.models import Answer, Invitation, Question, Response
from surveys.services.responses import (
    AnswerInput,
    AnswerInvalid,
    _insert_first_submit,
    _new_response,
    _submit_locked,
    response_submit,
)
from surveys.services.tokens import token_for
from tests.factories import ContactFactory, SurveyFactory
from tests.surveys.test_public_pages import answer, invite, page

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement submit is PostgreSQL's"),
]


@pytest.fixture
def survey():
    survey = SurveyFactory(touchpoint="renewal")
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?", required=True)
    Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    Question.objects.create(
        survey=survey, position=2, kind=Question.Kind.MULTIPLE, text="Which?", choices=["Price", "Speed", "Staff"]
    )
    return survey


def questions(survey):
    return list(survey.questions.order_by("position", "pk"))


def given(survey, score=2, text="Nobody called back.", picked=("Speed", "Staff")):
    nps, why, which = questions(survey)
    return {
        nps.pk: AnswerInput(number=score),
        why.pk: AnswerInput(text=text),
        which.pk: AnswerInput(choices=list(picked)),
    }


def stored(invitation):
    """What was written for an invitation, without the ids and clocks that differ between rows."""
    response = Response.objects.get(invitation=invitation)
    fields = {
        f.name: getattr(response, f.attname)
        for f in Response._meta.concrete_fields
        if f.name not in {"id", "invitation", "contact", "account", "created_at", "updated_at"}
    }
    answers = sorted(Answer.objects.filter(response=response).values_list("question_id", "number", "choices", "text"))
    invitation.refresh_from_db()
    state = (invitation.status, invitation.answered_at is not None, invitation.opened_at, invitation.next_reminder_at)
    owners = (response.contact_id == invitation.contact_id, response.account_id == invitation.account_id)
    return fields, answers, state, (*owners, response.created_at is not None)


def test_a_first_submit_is_one_statement_after_the_throttle_link_and_questions(survey, client):
    invitation = invite(survey, ContactFactory())
    nps, why, _ = questions(survey)
    token = token_for(invitation.token_nonce)
    with CaptureQueriesContext(connection) as queries:
        reply = answer(token, nps, why, score="4", text="Slow.", client=client)
    assert reply.status_code == 302 and reply["Location"] == page(token, "thanks")
    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"] or "UPDATE" in q["sql"]]
    assert len(queries.captured_queries) == 4, [q["sql"][:80] for q in queries.captured_queries]
    assert len(writes) == 2, "the throttle's count and the one statement"
    assert Response.objects.get().score == 4


def test_the_statement_stores_exactly_what_the_locked_transaction_stores(survey):
    opened_at = timezone.now() - dt.timedelta(hours=1)
    one, other = (
        invite(survey, ContactFactory(), opened_at=opened_at, next_reminder_at=timezone.now() + dt.timedelta(days=2))
        for _ in range(2)
    )
    fast = response_submit(invitation=one, answers=given(survey), consent=True, questions=questions(survey))
    locked = _submit_locked(invitation=other, answers=given(survey), consent=True, questions=questions(survey))
    assert fast.pk != locked.pk and not fast._state.adding
    assert stored(one) == stored(other)
    fields, answers, state, owners = stored(one)
    assert owners == (True, True, True)
    assert (fields["score"], fields["score_band"], fields["comment"], fields["submitted"]) == (
        2,
        "detractor",
        "Nobody called back.",
        True,
    )
    assert (fields["touchpoint"], fields["edits"], fields["consent_to_attribution"]) == ("renewal", 0, True)
    assert [a[2] for a in answers] == [[], [], ["Speed", "Staff"]]
    assert state == (Invitation.Status.ANSWERED, True, opened_at, None)


def test_an_unopened_invitation_is_marked_opened_when_answered(survey):
    invitation = invite(survey, ContactFactory())
    response_submit(invitation=invitation, answers=given(survey), consent=False, questions=questions(survey))
    invitation.refresh_from_db()
    assert invitation.opened_at == invitation.answered_at is not None


def test_a_link_that_expired_since_the_page_read_it_is_refused_and_nothing_is_written(survey):
    invitation = invite(survey, ContactFactory())
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(AnswerInvalid, match="can no longer be answered"):
        response_submit(invitation=invitation, answers=given(survey), consent=False, questions=questions(survey))
    assert not Response.objects.exists() and not Answer.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_an_answer_recorded_since_the_page_read_the_link_makes_this_submit_an_edit(survey):
    invitation = invite(survey, ContactFactory())
    stale = Invitation.objects.get(pk=invitation.pk)  # read before the first answer, as a page would
    response_submit(invitation=invitation, answers=given(survey, score=2), consent=False, questions=questions(survey))
    edited = response_submit(
        invitation=stale, answers=given(survey, score=9, picked=()), consent=True, questions=questions(survey)
    )
    response = Response.objects.get()
    assert edited.pk == response.pk
    assert (response.score, response.edits, response.consent_to_attribution) == (9, 1, True)
    assert sorted(Answer.objects.values_list("number", flat=True), key=str) == [9, None]


def test_invalid_answers_are_refused_before_anything_is_written(survey):
    invitation = invite(survey, ContactFactory())
    answers = given(survey)
    nps = questions(survey)[0]
    answers[nps.pk] = AnswerInput(number=11)
    with pytest.raises(AnswerInvalid) as refused:
        response_submit(invitation=invitation, answers=answers, consent=False, questions=questions(survey))
    assert refused.value.errors == {nps.pk: "Choose a whole number from 0 to 10."}
    assert not Response.objects.exists()


def test_a_value_longer_than_its_column_is_refused_not_cut_short(survey):
    invitation = invite(survey, ContactFactory())
    response = _new_response(invitation)
    response.touchpoint = "x" * 81  # the column holds 80
    with pytest.raises(DataError), transaction.atomic():
        _insert_first_submit(invitation, response, {questions(survey)[0].pk: AnswerInput(number=3)})
    assert not Response.objects.exists()
