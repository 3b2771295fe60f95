"""On PostgreSQL, a statement the web process runs again and again is prepared once per connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from surveys.models import Invitation
from surveys.services.responses import Access, invitation_for_token
from surveys.services.tokens import token_for
from tests.factories import InvitationFactory

ROOT = Path(__file__).resolve().parents[2]
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("server_side_binding"),
    reason="statements are prepared on PostgreSQL unless DATABASE_PREPARE_THRESHOLD is 0",
)


def prepared_link_lookups() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT %%token_hash%%'")
        return [row[0] for row in cursor.fetchall()]


@on_postgresql
@pytest.mark.django_db
def test_a_link_lookup_run_five_times_is_prepared_and_still_finds_each_link():
    invitations = InvitationFactory.create_batch(7, status=Invitation.Status.SENT)
    assert prepared_link_lookups() == []

    found = [invitation_for_token(token_for(invitation.token_nonce)) for invitation in invitations]

    assert [(access, link.pk if link else None) for access, link in found] == [
        (Access.OK, invitation.pk) for invitation in invitations
    ]
    assert len(prepared_link_lookups()) == 1


def database_options(tmp_path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    environ.update(DATABASE_URL="postgres://voc@db.example:5432/voc", VAR_DIR=str(tmp_path))
    environ.update(env)
    code = "from django.conf import settings; print(sorted(settings.DATABASES['default']['OPTIONS'].items()))"
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**environ, "DJANGO_SETTINGS_MODULE": "vocplatform.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_settings_ask_for_preparing_after_five_runs_unless_the_threshold_is_zero(tmp_path):
    connect = "('connect_timeout', 5)"
    assert database_options(tmp_path) == f"[{connect}, ('prepare_threshold', 5), ('server_side_binding', True)]"
    assert database_options(tmp_path, DATABASE_PREPARE_THRESHOLD="2") == (
        f"[{connect}, ('prepare_threshold', 2), ('server_side_binding', True)]"
    )
    assert database_options(tmp_path, DATABASE_PREPARE_THRESHOLD="0") == f"[{connect}]"


def test_connecting_to_postgresql_times_out_after_five_seconds_or_as_configured(tmp_path):
    # tests/integration/test_database_hang.py shows what the timeout is for.
    assert database_options(tmp_path, DATABASE_PREPARE_THRESHOLD="0") == "[('connect_timeout', 5)]"
    assert database_options(tmp_path, DATABASE_PREPARE_THRESHOLD="0", DATABASE_CONNECT_TIMEOUT="12") == (
        "[('connect_timeout', 12)]"
    )
    url = "postgres://voc@db.example:5432/voc?connect_timeout=3"
    assert database_options(tmp_path, DATABASE_PREPARE_THRESHOLD="0", DATABASE_URL=url) == "[('connect_timeout', 3)]"
