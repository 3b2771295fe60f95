"""Enqueueing after commit, and the sweepers' claim on the work they re-enqueue."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from vocplatform.queueing import enqueue, requeue_claim

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
    assert enqueue(Unpublishable(), 42, swept=True) is False
    assert "the sweeper will pick it up" in caplog.text
    assert enqueue(Unpublishable(), 43) is False
    assert "no sweeper finds this work" in caplog.text


class Counted:
    name = "tests.counted"

    def __init__(self) -> None:
        self.calls = 0

    def delay(self, *args: object) -> None:
        self.calls += 1


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """The monotonic clock the backoff reads, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr("vocplatform.queueing.time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_after_a_failed_publish_swept_work_is_left_to_the_sweepers_for_the_backoff(settings, clock, caplog):
    settings.BROKER_BACKOFF_SECONDS = 10
    task = Counted()
    assert enqueue(Unpublishable(), 1, swept=True) is False
    clock[0] += 9.9
    assert enqueue(task, 2, swept=True) is False, "within the backoff the broker is not tried"
    assert task.calls == 0
    assert "the broker failed just now" in caplog.text
    clock[0] += 0.2
    assert enqueue(task, 3, swept=True) is True
    assert task.calls == 1


def test_work_no_sweeper_finds_tries_the_broker_even_during_the_backoff(settings, clock):
    settings.BROKER_BACKOFF_SECONDS = 10
    task = Counted()
    assert enqueue(Unpublishable(), 1, swept=True) is False
    assert enqueue(task, 2) is True
    assert task.calls == 1


def test_a_backoff_of_zero_tries_the_broker_every_time(settings, clock):
    settings.BROKER_BACKOFF_SECONDS = 0
    task = Counted()
    assert enqueue(Unpublishable(), 1, swept=True) is False
    assert enqueue(task, 2, swept=True) is True
    assert task.calls == 1


def test_sweepers_claim_nothing_while_the_backoff_would_skip_their_enqueues(settings, clock):
    settings.BROKER_BACKOFF_SECONDS = 10
    enqueue(Unpublishable(), 1, swept=True)
    now = timezone.now()
    assert requeue_claim("analysis", [5], now=now) == [], "the claim is not spent on a skipped enqueue"
    clock[0] += 11
    assert requeue_claim("analysis", [5], now=now) == [5]
