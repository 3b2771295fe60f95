"""A Celery worker keeps consuming, and beat keeps scheduling, when their Redis restarts again and again.

Celery 5.7 with kombu 5.7 does not: when the broker goes away while the worker holds
unacknowledged messages, the worker restores them on a connection that is already gone, logs
"Unrecoverable error: AttributeError('NoneType' object has no attribute 'hostname')" and exits
with code 1, within the first three restarts in every run measured here. Nothing then runs the
work the sweepers re-enqueue until someone restarts the worker. Celery 5.6.3 with kombu 5.6.2
came through 25 restarts in a row, so pyproject.toml keeps both below 5.7.

The worker here is the project's, started as the README starts it (mingle and gossip on), and
kept busy with the probe task of tests/integration/probe_tasks.py so that messages are in flight
whenever the broker dies. Beat sends the heartbeat task every
second. After each restart one more probe must run, and beat's heartbeat must beat again, within
PROBE_SECONDS: the sweepers that recover lost work are beat's tasks run by a worker.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from kombu.exceptions import OperationalError

from tests.integration.helpers import RedisServer, start_beat, start_worker, wait_for, worker_env
from tests.integration.probe_tasks import probe
from vocplatform.models import Heartbeat

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

RESTARTS = 8
PROBE_SECONDS = 30
BUSY_SECONDS = 0.05  # each background probe holds a pool process this long
BUSY_EVERY = 0.04  # and one is published this often, so two pool processes stay busy


def publish(broker: str, tag: str, busy_seconds: float = 0.0) -> bool:
    """Send one probe on a connection of its own; False while the broker is down."""
    from vocplatform.celery import app as celery_app

    try:
        with celery_app.connection_for_write(broker) as conn:
            probe.apply_async(args=[tag, busy_seconds], connection=conn, retry=False)
    except (OperationalError, OSError):
        return False
    return True


def ran(marks: Path, tag: str) -> bool:
    return tag in marks.read_text().split()


def beats() -> int:
    """How many of beat's heartbeats a worker has run."""
    return Heartbeat.objects.filter(name="worker").values_list("beats", flat=True).first() or 0


def test_a_busy_worker_keeps_consuming_across_broker_restarts(redis: RedisServer, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the autouse fixture makes tasks eager; here they go to Redis
    marks = tmp_path / "marks"
    marks.touch()
    env = worker_env(redis.url, 1, str(tmp_path / "var"), PROBE_MARKS=marks, HEARTBEAT_SECONDS=1)  # no email
    worker = start_worker("worker", env, tmp_path, include=["tests.integration.probe_tasks"], as_in_production=True)
    beat = start_beat(env, tmp_path)
    stop = threading.Event()

    def keep_busy() -> None:
        n = 0
        while not stop.is_set():
            n += publish(redis.url, f"busy-{n}", BUSY_SECONDS)
            time.sleep(BUSY_EVERY)

    background = threading.Thread(target=keep_busy, daemon=True)
    background.start()
    rng = random.Random()
    try:
        wait_for(lambda: ran(marks, "busy-0"), PROBE_SECONDS, "the first probe")
        for restart in range(1, RESTARTS + 1):
            time.sleep(rng.uniform(0.2, 1.5))  # mid-stream: the pool holds unacknowledged messages
            redis.kill()
            time.sleep(rng.uniform(0.2, 1.5))
            redis.start()
            beaten = beats()
            tag = f"after-restart-{restart}"
            wait_for(lambda tag=tag: publish(redis.url, tag), PROBE_SECONDS, f"Redis to take {tag}")
            try:
                wait_for(lambda tag=tag: ran(marks, tag) or not worker.alive(), PROBE_SECONDS, f"{tag} to run")
            except AssertionError as stalled:
                raise AssertionError(f"{stalled}\n{worker.log()[-3000:]}") from None
            assert worker.alive(), f"the worker exited after restart {restart}:\n{worker.log()[-3000:]}"
            assert ran(marks, tag), f"{tag} did not run:\n{worker.log()[-3000:]}"
            try:
                wait_for(lambda beaten=beaten: beats() > beaten, PROBE_SECONDS, f"a heartbeat after restart {restart}")
            except AssertionError as stalled:
                raise AssertionError(f"{stalled}\n{beat.log()[-3000:]}") from None
    finally:
        stop.set()
        background.join(timeout=10)
        beat.stop()
        worker.stop()
