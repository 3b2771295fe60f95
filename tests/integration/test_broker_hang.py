"""A broker that hangs does not hang the survey: the answer is kept and the page comes back.

Redis is frozen with SIGSTOP: the kernel still accepts connections, so a publish connects and then
waits for a reply that never comes, as behind a failing-over or partitioned broker. Without a
socket timeout such a publish waited for ever (measured: still waiting after 300 s), and so did the
customer whose answer queued its analysis, until gunicorn killed the worker. Now one attempt waits
BROKER_TIMEOUT_SECONDS and the process leaves the broker alone for BROKER_BACKOFF_SECONDS, so the
first answer waits out three attempts (ATTEMPTS below) and the next ones do not wait at all. The sweeper queues their
analyses once the broker is back (tests/integration/test_faults.py shows that part).
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from surveys.models import Invitation, Response
from surveys.services.tokens import token_for
from tests.integration.helpers import RedisServer, free_port, make_invitations, start_web, worker_env

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

TIMEOUT_SECONDS = 2
# Each waits out the timeout: the read on the pooled connection, then the publish's one retry, whose
# new connection is tried twice (vocplatform/celery.py's retry policy, the settings' "max_retries").
ATTEMPTS = 3
MARGIN_SECONDS = 3  # the request's own work, on a loaded CI machine


def answer(port: int, invitation: Invitation, score: int) -> tuple[int, float]:
    url = f"http://127.0.0.1:{port}/s/{token_for(invitation.token_nonce)}/?score={score}"
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=60) as reply:
        return reply.status, time.monotonic() - started


def test_answers_are_kept_and_served_while_the_broker_hangs(redis: RedisServer, tmp_path: Path) -> None:
    invitations = list(Invitation.objects.filter(pk__in=make_invitations(3, prefix="HANG")).order_by("pk"))
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(
        status=Invitation.Status.SENT, sent_at=timezone.now()
    )
    env = worker_env(
        redis.url, free_port(), str(tmp_path / "var"), BROKER_TIMEOUT_SECONDS=TIMEOUT_SECONDS, BROKER_BACKOFF_SECONDS=60
    )
    web, port = start_web(env, tmp_path, workers=1)  # one process: the second answer meets its backoff
    try:
        assert answer(port, invitations[0], 9)[0] == 200  # warm: connected while Redis still answers
        redis.freeze()
        status, first = answer(port, invitations[1], 3)
        assert status == 200
        assert first < ATTEMPTS * TIMEOUT_SECONDS + MARGIN_SECONDS, f"the first answer waited {first:.1f} s"
        status, second = answer(port, invitations[2], 10)
        assert status == 200
        assert second < TIMEOUT_SECONDS, f"within the backoff the answer still waited {second:.1f} s"
    finally:
        redis.thaw()
        web.stop()
    assert Response.objects.count() == 3
    assert "the sweeper will pick it up" in web.log()
