"""The outbox survives SIGKILLed Celery workers: every invitation email arrives, and none twice.

Real processes on loopback: PostgreSQL (the test database), Redis as the broker (a database
number of its own, emptied first), an aiosmtpd sink, a Celery worker and Celery beat. Two
hundred invitations are dispatched through the broker; while the emails go out, the worker's
pool processes are SIGKILLed (the main process survives and requeues their tasks:
task_reject_on_worker_lost), later the whole worker is SIGKILLed (its reserved tasks stay
unacknowledged in Redis for the visibility timeout) and a fresh worker is started. Recovery
comes from the database: the sweeper (beat, every SWEEP_SECONDS) redispatches scheduled
invitations and hands out again outbox rows whose claim's lease ran out.

What the sink may see twice: a send that the server accepted (250) but whose process died
before it marked the row `sent`. No outbox can close that window with SMTP; the row keeps its
Message-ID so the repeat is recognisable. The test counts raw SMTP deliveries and deliveries
by Message-ID separately: by Message-ID it demands exactly one per recipient; a raw repeat is
accepted only with the same Message-ID, on a row that was claimed more than once, and no more
often than sends were interrupted by the kills.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from surveys.models import Contact, Invitation, OutboxMessage
from tests.integration.helpers import (
    CountingHandler,
    Process,
    celery_argv,
    child_pids,
    enqueue_dispatch,
    kill_pids,
    make_invitations,
    redis_url_with_db,
    start_process,
    start_worker,
    wait_for,
    worker_env,
)
from vocplatform.celery import app as celery_app

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]
log = logging.getLogger(__name__)

INVITATIONS = 200
CONCURRENCY = 2
LEASE_SECONDS = 5
SWEEP_SECONDS = 2
DEADLINE_SECONDS = 120
REDIS_DB = int(os.environ.get("INTEGRATION_REDIS_DB", "14"))


@pytest.fixture
def broker_url() -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgresql://... (worker processes share the test database)")
    configured = os.environ.get("CELERY_BROKER_URL", "")
    if not configured.startswith("redis://"):
        pytest.skip("needs Redis as the broker: set CELERY_BROKER_URL=redis://host:port/db")
    import redis

    url = redis_url_with_db(configured, REDIS_DB)
    client = redis.Redis.from_url(url)
    client.flushdb()  # a queue of this test's own: leftovers of an earlier run would be redelivered here
    yield url
    client.flushdb()
    client.close()


def kill_when(sink: CountingHandler, at: int, what: str, action: Callable[[], None], rng: random.Random) -> float:
    """Run `action` at a random moment shortly after the sink holds `at` messages; return when it ran.

    The random pause matters: killing right as a message arrives would aim at the moment
    between the server's acceptance and the worker marking the row, the one window no outbox
    can close, and make a repeat the rule instead of the exception.
    """
    wait_for(lambda: sink.count >= at, 60, f"{at} messages before {what}", interval=0.01)
    time.sleep(rng.uniform(0, 0.3))
    action()
    return time.monotonic()


def everything_sent(sink: CountingHandler) -> bool:
    sent = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count()
    return sent == INVITATIONS and len(sink.by_message_id()) >= INVITATIONS


def describe(sink: CountingHandler, processes: list[Process]) -> str:
    statuses = Counter(OutboxMessage.objects.values_list("status", flat=True))
    invitations = Counter(Invitation.objects.values_list("status", flat=True))
    logs = "\n".join(f"--- {p.name} ---\n{p.log()[-2500:]}" for p in processes)
    return f"outbox {dict(statuses)}, invitations {dict(invitations)}, sink {sink.count}\n{logs}"


def run_with_kills(
    sink: CountingHandler, broker: str, ids: list[int], env: dict[str, str], tmp_path: Path
) -> list[float]:
    """Start worker + beat, dispatch, kill twice, wait for the outbox to drain. Returns the kill times."""
    processes: list[Process] = []
    rng = random.Random()
    started = time.monotonic()
    try:
        first = start_worker("kill-a", env, tmp_path, CONCURRENCY)
        processes.append(first)
        schedule = str(tmp_path / "celerybeat-schedule")
        processes.append(
            start_process("beat", celery_argv("beat", "--loglevel", "INFO", "--schedule", schedule), env, tmp_path)
        )
        enqueue_dispatch(broker, ids)
        # 1. The pool processes die mid-task; the main process replaces them and requeues their tasks.
        pool = child_pids(first.pid)
        assert pool, "the worker has no pool processes"
        kills = [kill_when(sink, rng.randint(20, 50), "killing the pool", lambda: kill_pids(pool), rng)]
        # 2. Later the whole worker dies at once, main and pool; its reserved tasks stay unacknowledged.
        kills.append(kill_when(sink, sink.count + rng.randint(15, 40), "killing the worker", first.kill_group, rng))
        assert sink.count < INVITATIONS, "every email was out before the worker was killed: the kill tested nothing"
        processes.append(start_worker("kill-b", env, tmp_path, CONCURRENCY))
        remaining = DEADLINE_SECONDS - (time.monotonic() - started)
        try:
            wait_for(lambda: everything_sent(sink), remaining, "every outbox message to be sent", interval=0.5)
        except AssertionError as timeout:
            raise AssertionError(f"{timeout}\n{describe(sink, processes)}") from None
        time.sleep(SWEEP_SECONDS + 1)  # a late repeat would come with the next sweep
        return kills
    finally:
        for process in processes:
            process.stop()


def test_sigkilled_workers_lose_no_invitation_email_and_send_none_twice(broker_url, smtp_sink, settings, tmp_path):
    sink, smtp_port = smtp_sink
    # The autouse fixture makes tasks eager; here they must go through the real broker.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert celery_app.conf.task_always_eager is False
    ids = make_invitations(INVITATIONS)
    env = worker_env(
        broker_url, smtp_port, str(tmp_path / "var"), OUTBOX_LEASE_SECONDS=LEASE_SECONDS, SWEEP_SECONDS=SWEEP_SECONDS
    )
    started = time.monotonic()

    kills = run_with_kills(sink, broker_url, ids, env, tmp_path)

    messages = {m.to_email.lower(): m for m in OutboxMessage.objects.all()}
    deliveries = sink.snapshot()
    expected = {email.lower() for email in Contact.objects.values_list("email", flat=True)}
    # Nothing lost: every contact got its email, under the Message-ID its outbox row holds.
    assert {d.recipient for d in deliveries} == expected
    assert {(d.recipient, d.message_id) for d in deliveries} == {(r, m.message_id) for r, m in messages.items()}
    # Nothing twice: one row per invitation, one Message-ID per recipient, every row and invitation sent.
    assert len(messages) == INVITATIONS
    assert len({d.message_id for d in deliveries}) == INVITATIONS
    assert Counter(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.SENT: INVITATIONS}
    assert Counter(Invitation.objects.values_list("status", flat=True)) == {Invitation.Status.SENT: INVITATIONS}
    # A raw repeat (same Message-ID) only where a kill cut a send off after the server accepted it.
    copies: dict[str, list[float]] = {}
    for delivery in deliveries:
        copies.setdefault(delivery.recipient, []).append(delivery.at)
    repeated = {recipient: times for recipient, times in copies.items() if len(times) > 1}
    for recipient, times in repeated.items():
        assert len(times) == 2, f"{recipient} got {len(times)} copies"
        assert messages[recipient].attempts >= 2, f"{recipient} got a repeat from a row claimed only once"
        # Slack of a second: the server may read the final "." of a client that has just been killed.
        assert any(times[0] <= kill + 1 and times[1] > kill for kill in kills), (recipient, times, kills)
    assert len(repeated) <= 2 * CONCURRENCY, repeated  # at most the sends in flight at the two kills
    log.warning(
        "%d SMTP deliveries for %d invitations, %d repeat(s) after an interrupted send, in %.1f s",
        len(deliveries),
        INVITATIONS,
        len(repeated),
        time.monotonic() - started,
    )
