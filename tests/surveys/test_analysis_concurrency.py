"""An answer edited while its first version is being analysed is analysed again, and keeps its themes.

The analysis holds the response's row lock while it reads the comment and writes its verdict; an
edit that arrives then must wait for it, so that the edit's time is after the verdict's and the
edit's own analysis is not skipped as already done. PostgreSQL only: SQLite serialises writers.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from surveys.models import Invitation, Response, ResponseAnalysis, Theme
from surveys.models.responses import theme_names_text
from surveys.services.analysis import response_analyse
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_record_score, response_submit
from tests.surveys.test_bounce_concurrency import wait_for_a_lock_wait

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so it cannot show a race (set DATABASE_URL)",
    ),
]


def test_an_edit_during_the_analysis_is_analysed_after_it(nps_survey, contact):
    invitation = invitation_build(survey=nps_survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = Invitation.Status.SENT
    invitation.save()
    nps, text = nps_survey.questions.order_by("position")[:2]
    # The taxonomy the complaint's theme comes from (an earlier test may have flushed the seeded one).
    Theme.objects.update_or_create(name="Billing", defaults={"keywords": ["refund", "charged"], "active": True})
    clicked = response_record_score(invitation=invitation, score=9)  # from the email; analysed at once
    assert ResponseAnalysis.objects.get(response=clicked).themes == []
    analysing, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def analyse_the_click_again() -> None:
        try:
            with transaction.atomic():
                # The worker has locked the response, as the analysis does first, when the edit
                # arrives; it writes its verdict on the clicked score after the edit has begun.
                Response.objects.select_for_update().get(pk=clicked.pk)
                analysing.set()
                assert commit.wait(10)
                response_analyse(response_id=clicked.pk, again=True)
        except BaseException as exc:
            errors.append(exc)
        finally:
            analysing.set()
            connection.close()

    def edit() -> None:
        try:
            complaint = "Charged twice on one invoice and the refund never came."
            answers = {nps.pk: AnswerInput(number=2), text.pk: AnswerInput(text=complaint)}
            response_submit(invitation=Invitation.objects.get(pk=invitation.pk), answers=answers, consent=False)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    worker, customer = threading.Thread(target=analyse_the_click_again), threading.Thread(target=edit)
    worker.start()
    assert analysing.wait(10)
    customer.start()  # waits for the response's row lock
    try:
        wait_for_a_lock_wait()
    finally:
        commit.set()
        worker.join(10)
        customer.join(10)
    assert not errors, errors

    response = Response.objects.get(pk=clicked.pk)
    analysis = ResponseAnalysis.objects.get(response=response)
    assert response.comment.startswith("Charged twice")
    assert analysis.reason.startswith("detractor score (NPS 2)"), "the edit was analysed"
    assert "Billing" in [theme["name"] for theme in analysis.themes], "the complaint's theme was found"
    assert response.theme_names == theme_names_text(theme["name"] for theme in analysis.themes)
