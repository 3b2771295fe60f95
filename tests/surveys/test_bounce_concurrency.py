"""A bounce that arrives while the customer's answer is being saved leaves the answer's invitation answered.

An invitation is answered exactly when it has a response (the response rate counts the status),
so the bounce, which reads the contact's open invitations and then marks them, must not mark one
that was answered in between. PostgreSQL only: SQLite serialises writers, so there is no between.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from surveys.models import Invitation, Response
from surveys.services.events import invitation_build
from surveys.services.invitations import email_mark_undeliverable
from surveys.services.responses import AnswerInput, response_submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so it cannot show a race (set DATABASE_URL)",
    ),
]


def wait_for_a_lock_wait(timeout: float = 10.0) -> None:
    """Until some other session of this database waits for a lock (the bounce's UPDATE)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the bounce never waited for the answer's row lock")


def test_a_bounce_during_the_answer_does_not_mark_the_answered_invitation(nps_survey, contact):
    invitation = invitation_build(survey=nps_survey, contact=contact, scheduled_for=timezone.now())
    invitation.status, invitation.sent_at = Invitation.Status.SENT, timezone.now()
    invitation.save()
    nps = nps_survey.questions.order_by("position").first()
    answered, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def answer() -> None:
        try:
            with transaction.atomic():  # the answer is written, not yet committed, when the bounce arrives
                Invitation.objects.select_for_update().get(pk=invitation.pk)
                response_submit(invitation=invitation, answers={nps.pk: AnswerInput(number=9)}, consent=False)
                answered.set()
                assert commit.wait(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            answered.set()
            connection.close()

    def bounce() -> None:
        try:
            email_mark_undeliverable(email=contact.email)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    customer, mailer = threading.Thread(target=answer), threading.Thread(target=bounce)
    customer.start()
    assert answered.wait(10)
    mailer.start()  # reads the invitation as still sent, then waits for its row lock
    try:
        wait_for_a_lock_wait()
    finally:
        commit.set()
        customer.join(10)
        mailer.join(10)
    assert not errors, errors

    invitation.refresh_from_db()
    assert Response.objects.filter(invitation=invitation).exists()
    assert invitation.status == Invitation.Status.ANSWERED
    assert invitation.bounced_at is None
