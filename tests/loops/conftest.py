"""Loops tests start from real responses, recorded and analysed the way customers' answers are."""

from __future__ import annotations

import pytest
from django.utils import timezone

from surveys.models import Question, Response
from surveys.services.events import invitation_build
from surveys.services.responses import AnswerInput, response_submit
from tests.factories import QuestionFactory, SurveyFactory


@pytest.fixture
def nps_survey(db):  # type: ignore[no-untyped-def]
    survey = SurveyFactory(touchpoint="support ticket")
    QuestionFactory(survey=survey, position=0, kind=Question.Kind.NPS)
    QuestionFactory(survey=survey, position=1, kind=Question.Kind.TEXT, text="Tell us more")
    return survey


@pytest.fixture
def answer(nps_survey, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """answer(contact, score, comment) submits through the survey page's service and runs what follows
    the commit (analysis, alert rules) the way a worker would."""

    def submit(contact, score: int, comment: str = "", *, survey=None) -> Response:  # type: ignore[no-untyped-def]
        survey = survey or nps_survey
        invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
        invitation.save()
        nps, text = survey.questions.order_by("position")[:2]
        with django_capture_on_commit_callbacks(execute=True):
            return response_submit(
                invitation_id=invitation.pk,
                answers={nps.pk: AnswerInput(number=score), text.pk: AnswerInput(text=comment)},
                consent=False,
            )

    return submit


@pytest.fixture
def loop(answer, contact):  # type: ignore[no-untyped-def]
    """An open loop on max's account Acme Corp, opened by a detractor's answer."""
    from loops.models import Loop

    return Loop.objects.get(response=answer(contact, 2, "Support never called back"))
