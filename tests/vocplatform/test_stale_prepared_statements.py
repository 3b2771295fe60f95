"""A migration that changes a column's type makes the statements prepared over it stale: the
request that meets one is a 503 with Retry-After on a closed connection, and the next is served;
a worker's task leaves a new connection behind it too."""

from __future__ import annotations

import psycopg
import pytest
from celery.signals import task_failure
from django.conf import settings
from django.db import NotSupportedError, connection

from surveys.models import Invitation
from surveys.services.tokens import token_for
from tests.factories import InvitationFactory
from tests.surveys.test_public_pages import page

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the migration runs beside the test, on its own connection
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.DATABASES["default"]["OPTIONS"].get("server_side_binding"),
        reason="statements are prepared on PostgreSQL with server-side binding",
    ),
]


@pytest.fixture
def migrate_survey_name():
    """Change surveys_survey.name's type the way a max_length change would, from another session."""
    params = connection.get_connection_params()
    with psycopg.connect(**{**params, "prepare_threshold": None}, autocommit=True) as other:

        def migrate(length: int) -> None:
            other.execute(f"ALTER TABLE surveys_survey ALTER COLUMN name TYPE varchar({length})")

        yield migrate
        migrate(200)


def test_a_request_meeting_a_stale_statement_is_a_503_and_the_next_one_is_served(client, migrate_survey_name):
    invitation = InvitationFactory(status=Invitation.Status.SENT)
    survey_page = page(token_for(invitation.token_nonce))
    for _ in range(6):  # the link lookup (with its survey's name) is now prepared
        assert client.get(survey_page).status_code == 200

    migrate_survey_name(250)
    refused = client.get(survey_page)

    assert refused.status_code == 503 and refused["Retry-After"]
    assert connection.connection is None, "the connection holding the stale statement is closed"
    assert client.get(survey_page).status_code == 200


def test_a_task_meeting_a_stale_statement_leaves_a_new_connection(migrate_survey_name):
    def names() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM surveys_survey WHERE id > %s", [0])
            return [row[0] for row in cursor.fetchall()]

    for _ in range(6):
        names()
    migrate_survey_name(250)
    with pytest.raises(NotSupportedError) as stale:
        names()

    task_failure.send(sender=None, exception=stale.value)

    assert connection.connection is None
    assert names() == []
