"""An admin removes a question nobody has answered yet while a customer submits the survey (PostgreSQL)."""

from __future__ import annotations

from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, Question, Response
from surveys.services.events import invitation_build
from surveys.services.tokens import token_for
from tests.factories import SurveyFactory
from tests.surveys.races import RACE, second_waits_for_first

pytestmark = RACE


def test_a_question_removed_while_the_customer_submits_is_not_a_server_error(contact):
    survey = SurveyFactory()
    nps = Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?", required=True)
    extra = Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Anything else?")
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=timezone.now())
    invitation.status = Invitation.Status.SENT
    invitation.save()
    url = reverse("public:survey", args=[token_for(invitation.token_nonce)])
    statuses: list[int] = []

    def admin_removes_the_question(pause):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            Question.objects.get(pk=extra.pk).delete()  # nobody answered it: PROTECT lets it go
            pause()

    def customer_submits() -> None:
        client = Client(raise_request_exception=False)
        statuses.append(client.post(url, {f"q_{nps.pk}": "9", f"q_{extra.pk}": "All good"}).status_code)

    second_waits_for_first(admin_removes_the_question, customer_submits)
    assert statuses and statuses[0] != 500, statuses
    assert Response.objects.filter(invitation=invitation, score=9).exists()
