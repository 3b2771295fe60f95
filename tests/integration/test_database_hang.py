"""A database that does not answer, or a statement that does not finish, is a 503 page, not a hang.

The web server's DATABASE_URL points at a port that accepts connections and never answers, as a
PostgreSQL behind a failover or a dropped network path does. Without a connect timeout psycopg
waited for ever (measured: still connecting after 15 s; with a 2 s timeout the page came back in 2.0 s once the
worker had loaded Django, 2.9 s for its first request),
and so did the customer, until gunicorn killed the worker. With it the request fails over to the
503 page of vocplatform.middleware.DatabaseUnavailableMiddleware, which asks the browser to retry.

On an open connection, a statement that waits behind a lock another transaction holds (a long
migration, a stuck batch, an operator's open psql session) is cancelled after
DATABASE_WEB_STATEMENT_TIMEOUT in web processes, with the same 503; without it the answer waited
until the lock was released or gunicorn killed the worker.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from surveys.models import Invitation, Response
from surveys.services.tokens import token_for
from tests.integration.helpers import (
    RedisServer,
    database_url,
    free_port,
    make_invitations,
    silent_server,
    start_web,
    worker_env,
)

pytestmark = [pytest.mark.stack]

CONNECT_TIMEOUT = 2  # libpq reads anything under 2 s as 2 s
MARGIN_SECONDS = 3  # the request's own work and gunicorn's, on a loaded CI machine
STATEMENT_TIMEOUT = 1


def test_a_database_that_does_not_answer_is_a_503_within_the_connect_timeout(tmp_path: Path) -> None:
    with silent_server() as port:
        env = worker_env(
            "redis://127.0.0.1:1/0", free_port(), str(tmp_path / "var"), DATABASE_CONNECT_TIMEOUT=CONNECT_TIMEOUT
        )
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/vocplatform"
        web, web_port = start_web(env, tmp_path, workers=1)
        page = f"http://127.0.0.1:{web_port}/s/some-token/"
        try:
            with pytest.raises(urllib.error.HTTPError):  # the first request also pays for loading Django
                urllib.request.urlopen(page, timeout=60)
            started = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(page, timeout=60)
            waited = time.monotonic() - started
        finally:
            web.stop()
    assert refused.value.code == 503
    assert refused.value.headers["Retry-After"]
    assert waited < CONNECT_TIMEOUT + MARGIN_SECONDS, f"the page took {waited:.1f} s"


@pytest.mark.django_db(transaction=True)
def test_an_answer_stuck_behind_a_lock_is_a_503_within_the_web_statement_timeout(
    tmp_path: Path, redis: RedisServer
) -> None:
    import psycopg

    (invitation_id,) = make_invitations(1, prefix="LOCKED")
    Invitation.objects.filter(pk=invitation_id).update(status=Invitation.Status.SENT, sent_at=timezone.now())
    token = token_for(Invitation.objects.get(pk=invitation_id).token_nonce)
    env = worker_env(redis.url, free_port(), str(tmp_path / "var"), DATABASE_WEB_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT)
    web, web_port = start_web(env, tmp_path, workers=1)
    page, answer = f"http://127.0.0.1:{web_port}/s/{token}/", f"http://127.0.0.1:{web_port}/s/{token}/?score=3"
    try:
        urllib.request.urlopen(page, timeout=60).close()  # Django loaded, the connection open
        with psycopg.connect(database_url(connection.settings_dict)) as holder:
            holder.execute("SELECT id FROM surveys_invitation WHERE id = %s FOR UPDATE", [invitation_id])
            started = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(answer, timeout=60)
            waited = time.monotonic() - started
            holder.rollback()
        with urllib.request.urlopen(answer, timeout=60) as retried:  # the lock released, the customer retries
            assert retried.status == 200
    finally:
        web.stop()
    assert refused.value.code == 503
    assert refused.value.headers["Retry-After"]
    assert STATEMENT_TIMEOUT <= waited < STATEMENT_TIMEOUT + MARGIN_SECONDS, f"the page took {waited:.1f} s"
    assert "canceling statement due to statement timeout" in web.log()
    assert list(Response.objects.filter(invitation_id=invitation_id).values_list("score", flat=True)) == [3]
