"""Enqueueing after commit, and the sweepers' claim on the work they re-enqueue."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from vocplatform.queueing import backoff, enqueue, requeue_claim

pytestmark = pytest.mark.django_db
GRACE = dt.timedelta(seconds=120)


@pytest.fixture(autouse=True)
def _grace(settings):  # type: ignore[no-untyped-def]
    settings.SWEEP_GRACE_SECONDS = 120


def test_waiting_work_is_claimed_once_per_grace_period_then_less_and_less_often():
    start = timezone.now()
    assert requeue_claim("analysis", [1, 2], now=start) == [1, 2]
    assert requeue_claim("analysis", [1, 2, 3], now=start + GRACE / 2) == [3], "1 and 2 were just re-enqueued"
    assert requeue_claim("analysis", [1, 2], now=start + GRACE) == [1, 2], "after the grace period: again"
    # The third time waits two grace periods, the fourth four: a long backlog gets few duplicates.
    assert requeue_claim("analysis", [1], now=start + 2 * GRACE) == []
    assert requeue_claim("analysis", [1], now=start + 3 * GRACE) == [1]
    assert requeue_claim("analysis", [1], now=start + 6 * GRACE) == []
    assert requeue_claim("analysis", [1], now=start + 7 * GRACE) == [1]


def test_kinds_are_claimed_separately():
    now = timezone.now()
    assert requeue_claim("analysis", [7], now=now) == [7]
    assert requeue_claim("alert", [7], now=now) == [7]
    assert requeue_claim("analysis", [], now=now) == []


class Unpublishable:
    name = "tests.unpublishable"

    def delay(self, *args: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_broker_outage_is_logged_not_raised(caplog):
    assert enqueue(Unpublishable(), 42) is False
    assert "the sweeper will pick it up" in caplog.text


class Counted:
    name = "tests.counted"

    def __init__(self) -> None:
        self.calls = 0

    def delay(self, *args: object) -> None:
        self.calls += 1


def test_after_a_failed_publish_the_process_leaves_the_broker_alone_for_the_backoff(settings, caplog):
    settings.BROKER_BACKOFF_SECONDS = 0.3
    task = Counted()
    assert enqueue(Unpublishable(), 1) is False
    assert enqueue(task, 2) is False, "within the backoff the broker is not tried"
    assert task.calls == 0
    assert "the broker failed just now" in caplog.text
    time.sleep(0.35)
    assert enqueue(task, 3) is True
    assert task.calls == 1
    assert not backoff.active()


def test_a_backoff_of_zero_tries_the_broker_every_time(settings):
    settings.BROKER_BACKOFF_SECONDS = 0
    task = Counted()
    assert enqueue(Unpublishable(), 1) is False
    assert enqueue(task, 2) is True
    assert task.calls == 1
