"""A bounce that arrives while the customer's answer is being saved leaves the answer's invitation answered.

An invitation is answered exactly when it has a response (the response rate counts the status),
so the bounce, which reads the contact's open invitations and then marks them, must not mark one
that was answered in between. PostgreSQL only: SQLite serialises writers, so there is no between.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from surveys.models import Invitation, Response
from surveys.services.events import invitation_build
from surveys.services.invitations import email_mark_undeliverable
from surveys.services.responses import AnswerInput, response_submit
from tests.surveys.races import RACE, second_waits_for_first

pytestmark = RACE


def test_a_bounce_during_the_answer_does_not_mark_the_answered_invitation(nps_survey, contact):
    invitation = invitation_build(survey=nps_survey, contact=contact, scheduled_for=timezone.now())
    invitation.status, invitation.sent_at = Invitation.Status.SENT, timezone.now()
    invitation.save()
    nps = nps_survey.questions.order_by("position").first()

    def answer(pause: Callable[[], None]) -> None:
        with transaction.atomic():  # the answer is written, not yet committed, when the bounce arrives
            Invitation.objects.select_for_update().get(pk=invitation.pk)
            response_submit(invitation=invitation, answers={nps.pk: AnswerInput(number=9)}, consent=False)
            pause()

    # The bounce reads the invitation as still sent, then waits for its row lock.
    second_waits_for_first(answer, lambda: email_mark_undeliverable(email=contact.email))

    invitation.refresh_from_db()
    assert Response.objects.filter(invitation=invitation).exists()
    assert invitation.status == Invitation.Status.ANSWERED
    assert invitation.bounced_at is None
