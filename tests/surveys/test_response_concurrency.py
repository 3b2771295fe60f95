"""Many submits of one survey link at the same moment still make exactly one response.

Real concurrency needs a database that runs transactions side by side and
row locks (select_for_update); SQLite serialises every writer, so these run on
PostgreSQL only.
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Invitation, Question, Response
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_submit
from surveys.services.tokens import token_for
from tests.factories import SurveyFactory
from tests.surveys.races import RACE

pytestmark = RACE

THREADS = 30


@pytest.fixture
def link(contact):
    survey = SurveyFactory()
    nps = Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely?", required=True)
    text = Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = Invitation.Status.SENT
    invitation.save()
    return invitation, token_for(invitation.token_nonce), nps, text


def all_at_once(work: Callable[[int], object], count: int = THREADS) -> tuple[list[object], list[BaseException]]:
    """Run work(i) in `count` threads released together; return results and exceptions."""
    start = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; leave none open for the flush

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_simultaneous_form_submits_make_one_response(link):
    invitation, token, nps, text = link
    url = reverse("public:survey", args=[token])

    def submit(i: int) -> int:
        data = {f"q_{nps.pk}": str(i % 11), f"q_{text.pk}": f"answer {i}", "consent": "1" if i % 2 else ""}
        return Client().post(url, data).status_code

    statuses, errors = all_at_once(submit)
    assert errors == []
    assert statuses == [302] * THREADS
    stored = Response.objects.get()
    assert stored.invitation_id == invitation.pk
    assert stored.edits == THREADS - 1, "every submit but the first was an edit of the same row"
    assert Answer.objects.count() == 2
    assert stored.comment == Answer.objects.get(question=text).text, "the last writer's answers are consistent"


def test_simultaneous_service_calls_make_one_response(link):
    invitation, _token, nps, _text = link

    def submit(i: int) -> int:
        answers = {nps.pk: AnswerInput(number=i % 11)}
        own = Invitation.objects.select_related("survey").get(pk=invitation.pk)  # each request reads its own
        return response_submit(invitation=own, answers=answers, consent=False).pk

    pks, errors = all_at_once(submit)
    assert errors == []
    assert len(set(pks)) == 1
    assert Response.objects.count() == 1


def test_two_simultaneous_one_click_scores_make_one_response(link):
    invitation, token, _nps, _text = link
    url = reverse("public:survey", args=[token])

    def click(i: int) -> int:
        return Client().get(url, {"score": str(3 if i == 0 else 9)}).status_code

    statuses, errors = all_at_once(click, count=2)
    assert errors == []
    assert statuses == [200, 200]
    stored = Response.objects.get()
    assert stored.score in {3, 9}
    assert stored.submitted is False
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED
