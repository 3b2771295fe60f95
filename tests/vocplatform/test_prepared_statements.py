"""On PostgreSQL, a statement the web process runs again and again is prepared once per connection."""

from __future__ import annotations

import pytest
from django.db import connection

from surveys.models import Invitation
from surveys.services.responses import Access, invitation_for_token
from surveys.services.tokens import token_for
from tests.factories import InvitationFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"),
]


def prepared_link_lookups() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT %%token_hash%%'")
        return [row[0] for row in cursor.fetchall()]


def test_a_link_lookup_run_five_times_is_prepared_and_still_finds_each_link():
    invitations = InvitationFactory.create_batch(7, status=Invitation.Status.SENT)
    assert prepared_link_lookups() == []

    found = [invitation_for_token(token_for(invitation.token_nonce)) for invitation in invitations]

    assert [(access, link.pk if link else None) for access, link in found] == [
        (Access.OK, invitation.pk) for invitation in invitations
    ]
    assert len(prepared_link_lookups()) == 1
