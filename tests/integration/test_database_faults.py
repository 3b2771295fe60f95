"""Database connections cut mid-request: a request fails cleanly or succeeds, a retry never doubles.

gunicorn serves the survey pages; customers answer through the one-click score link and the
full form, while another connection terminates the web server's PostgreSQL backends
(`pg_terminate_backend`), idle ones every few tenths of a second and busy ones as soon as they
are seen, as a failover or a restart would.
Each request either succeeds or gets a 503 with Retry-After (never a 500, never a half-written
answer); the customer tries again until it succeeds; in the end each invitation has exactly one
response with exactly its answers.
"""

from __future__ import annotations

import http.cookiejar
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from surveys.models import Answer, Invitation, Question, Response
from surveys.services.tokens import token_for
from tests.integration.helpers import RedisServer, free_port, make_invitations, start_web, worker_env

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

INVITATIONS = 60
APPLICATION_NAME = "vocfault-web"
MAX_TRIES = 60


@pytest.fixture
def web(tmp_path: Path, settings, redis: RedisServer):  # type: ignore[no-untyped-def]
    # PostgreSQL (the redis fixture skips without it): pg_terminate_backend cuts the web server's connections.
    env = worker_env(redis.url, free_port(), str(tmp_path / "var"))
    env["DATABASE_URL"] += f"?application_name={APPLICATION_NAME}"
    process, port = start_web(env, tmp_path)
    yield port
    process.stop()


class Terminator(threading.Thread):
    """Terminates the web server's database backends until stopped: every one of them every few
    tenths of a second (the cut the next request's health check must notice), and in between the
    first caught running a query or inside a transaction (the cut a request meets halfway: an
    answer is a few short queries, so cutting only at random moments may never land inside one).
    After each cut it pauses for a tenth of a second or so."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.terminated = 0

    def run(self) -> None:
        import psycopg

        from tests.integration.helpers import database_url

        next_sweep = time.monotonic()
        with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as conn:
            while not self.stopping.is_set():
                sweep = time.monotonic() >= next_sweep
                if sweep:
                    next_sweep = time.monotonic() + random.uniform(0.05, 0.3)
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = %s AND pid <> pg_backend_pid()"
                    " AND (%s OR state IN ('active', 'idle in transaction'))",
                    [APPLICATION_NAME, sweep],
                ).fetchall()
                cut = sum(1 for (done,) in rows if done)
                self.terminated += cut
                # After a cut, a pause: the customers must get through.
                time.sleep(random.uniform(0.03, 0.15) if cut else 0.002)


def attempt(opener: urllib.request.OpenerDirector, request: urllib.request.Request | str) -> tuple[int, str]:
    try:
        with opener.open(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def answer_by_form(port: int, token: str, score: int, comment: str, statuses: Counter[int]) -> None:
    """GET the form, POST it; on a 503 start over (a new page, a new CSRF token), as a person would."""
    url = f"http://127.0.0.1:{port}/s/{token}/"
    for _ in range(MAX_TRIES):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, page = attempt(opener, url)
        statuses[status] += 1
        if status != 200:
            continue
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        names = re.findall(r'name="(q_\d+)"', page)
        assert csrf and len(set(names)) == 2, page[:2000]
        score_field, text_field = sorted(set(names), key=lambda name: int(name[2:]))
        fields = {"csrfmiddlewaretoken": csrf.group(1), score_field: str(score), text_field: comment}
        body = urllib.parse.urlencode(fields).encode()
        post = urllib.request.Request(url, data=body, headers={"Origin": "null"})
        status, _ = attempt(opener, post)
        statuses[status] += 1
        if status in (200, 302):
            return
    raise AssertionError(f"{token[:6]}… still failing after {MAX_TRIES} tries: {statuses}")


def answer_by_click(port: int, token: str, score: int, statuses: Counter[int]) -> None:
    opener = urllib.request.build_opener()
    for _ in range(MAX_TRIES):
        status, _ = attempt(opener, f"http://127.0.0.1:{port}/s/{token}/?score={score}")
        statuses[status] += 1
        if status == 200:
            return
    raise AssertionError(f"{token[:6]}… still failing after {MAX_TRIES} tries: {statuses}")


def test_cut_database_connections_fail_requests_cleanly_and_retries_never_double(web):
    ids = make_invitations(INVITATIONS, prefix="PGCUT")
    Invitation.objects.filter(pk__in=ids).update(status=Invitation.Status.SENT, sent_at=timezone.now())
    survey = Invitation.objects.get(pk=ids[0]).survey
    Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="Why?")
    tokens = [token_for(nonce) for nonce in Invitation.objects.filter(pk__in=ids).values_list("token_nonce", flat=True)]
    statuses: Counter[int] = Counter()
    terminator = Terminator()
    terminator.start()
    try:
        for n, token in enumerate(tokens):
            if n % 2:
                answer_by_click(web, token, n % 11, statuses)
            else:
                answer_by_form(web, token, n % 11, f"Comment number {n}", statuses)
    finally:
        terminator.stopping.set()
        terminator.join(timeout=10)

    assert terminator.terminated > 0, "no connection was cut: the test tested nothing"
    assert statuses[503] > 0, f"no request met a cut connection: {statuses}"
    assert set(statuses) <= {200, 302, 503}, f"a request failed other than cleanly: {statuses}"
    # One response per invitation, each with exactly its answers: nothing doubled by a retry.
    assert Response.objects.count() == INVITATIONS
    assert Counter(Response.objects.values_list("invitation_id", flat=True)) == dict.fromkeys(ids, 1)
    form_answers = INVITATIONS // 2 + INVITATIONS % 2
    assert Answer.objects.count() == INVITATIONS + form_answers  # a score each, a comment from the form
    assert Response.objects.filter(submitted=True).count() == form_answers
