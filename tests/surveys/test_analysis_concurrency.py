"""An answer edited while its first version is being analysed is analysed again, and keeps its themes.

The analysis holds the response's row lock while it reads the comment and writes its verdict; an
edit that arrives then must wait for it, so that the edit's time is after the verdict's and the
edit's own analysis is not skipped as already done. PostgreSQL only: SQLite serialises writers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from surveys.models import Invitation, Response, ResponseAnalysis, Theme
from surveys.models.responses import theme_names_text
from surveys.services.analysis import response_analyse
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_record_score, response_submit
from tests.surveys.races import RACE, second_waits_for_first

pytestmark = RACE


def test_an_edit_during_the_analysis_is_analysed_after_it(nps_survey, contact):
    invitation = invitation_build(survey=nps_survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = Invitation.Status.SENT
    invitation.save()
    nps, text = nps_survey.questions.order_by("position")[:2]
    # The taxonomy the complaint's theme comes from (an earlier test may have flushed the seeded one).
    Theme.objects.update_or_create(name="Billing", defaults={"keywords": ["refund", "charged"], "active": True})
    clicked = response_record_score(invitation=invitation, score=9)  # from the email; analysed at once
    assert ResponseAnalysis.objects.get(response=clicked).themes == []

    def analyse_the_click_again(pause: Callable[[], None]) -> None:
        with transaction.atomic():
            # The worker has locked the response, as the analysis does first, when the edit
            # arrives; it writes its verdict on the clicked score after the edit has begun.
            Response.objects.select_for_update().get(pk=clicked.pk)
            pause()
            response_analyse(response_id=clicked.pk, again=True)

    def edit() -> None:
        complaint = "Charged twice on one invoice and the refund never came."
        answers = {nps.pk: AnswerInput(number=2), text.pk: AnswerInput(text=complaint)}
        response_submit(invitation=Invitation.objects.get(pk=invitation.pk), answers=answers, consent=False)

    second_waits_for_first(analyse_the_click_again, edit)  # the edit waits for the response's row lock

    response = Response.objects.get(pk=clicked.pk)
    analysis = ResponseAnalysis.objects.get(response=response)
    assert response.comment.startswith("Charged twice")
    assert analysis.reason.startswith("detractor score (NPS 2)"), "the edit was analysed"
    assert "Billing" in [theme["name"] for theme in analysis.themes], "the complaint's theme was found"
    assert response.theme_names == theme_names_text(theme["name"] for theme in analysis.themes)
