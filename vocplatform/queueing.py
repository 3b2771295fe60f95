"""Enqueue a task after the transaction commits, without letting a broker outage fail the caller.

The database is the source of truth for pending work: a response awaiting analysis, an outbox row
awaiting its send, a due invitation. The sweepers find such rows after a grace period
(``SWEEP_GRACE_SECONDS``) and enqueue them again. So a task that cannot be published (the broker
is down, restarting or not answering) is logged and left to the sweeper; the customer's answer,
already committed, is not turned into an error page. All the project's queued work has a sweeper
and is enqueued with ``swept=True``; the default, ``swept=False``, is for work that none finds: it
always tries the broker, and its loss is logged as an error.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)
CLAIMS_KEPT = dt.timedelta(days=1)
MAX_DOUBLINGS = 6


class Task(Protocol):
    name: str

    def delay(self, *args: Any) -> Any: ...


class _Backoff:
    """When this process last failed to publish: for BROKER_BACKOFF_SECONDS after, it does not try.

    A broker that hangs costs each publish BROKER_TIMEOUT_SECONDS per connection attempt; without
    the backoff every answer page would wait that out while the broker is down."""

    def __init__(self) -> None:
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self) -> None:
        self.until = time.monotonic() + settings.BROKER_BACKOFF_SECONDS

    def reset(self) -> None:
        self.until = 0.0


backoff = _Backoff()


def enqueue(task: Task, *args: Any, swept: bool = False) -> bool:
    """Publish now; False (and a log line) if the broker cannot take it.

    ``swept`` says a sweeper finds this work in the database when its task is lost. Only such
    work is left alone during the backoff that follows a failed publish; work that nothing else
    finds always tries the broker.
    """
    if swept and backoff.active():
        logger.warning("Not enqueueing %s%r: the broker failed just now; the sweeper will pick it up.", task.name, args)
        return False
    try:
        task.delay(*args)
    except BrokerUnavailable as error:
        backoff.start()
        if swept:
            logger.warning("Could not enqueue %s%r (%s); the sweeper will pick it up.", task.name, args, error)
        else:
            logger.error("Could not enqueue %s%r (%s); no sweeper finds this work.", task.name, args, error)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, swept: bool = False) -> None:
    """Publish once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue(task, *args, swept=swept))


def requeue_claim(kind: str, ids: Sequence[int], *, now: dt.datetime | None = None) -> list[int]:
    """Of the ids a sweeper found waiting, those due to be enqueued again, marked as re-enqueued now.

    The sweeper cannot tell a task still queued behind a backlog from a task the broker lost. So
    each id is re-enqueued at most once per SWEEP_GRACE_SECONDS, then after twice, four times… that
    long (up to 64 times): a backlog that outlasts the grace period gets a few duplicates (each a
    no-op: the tasks claim their work), not one more per sweep until the duplicates outgrow it.
    Two sweepers at once may both take an id; that too costs one no-op."""
    from vocplatform.models import RequeueClaim

    if not ids or backoff.active():  # the enqueues would be skipped: claim nothing, wait for the next sweep
        return []
    now = now or timezone.now()
    grace = dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    earlier = {
        claim.object_id: claim
        for claim in RequeueClaim.objects.filter(kind=kind, object_id__in=ids).only("object_id", "claimed_at", "times")
    }
    due = [
        pk
        for pk in ids
        if pk not in earlier or earlier[pk].claimed_at <= now - grace * 2 ** min(earlier[pk].times - 1, MAX_DOUBLINGS)
    ]
    RequeueClaim.objects.filter(kind=kind, object_id__in=[pk for pk in due if pk in earlier]).update(
        claimed_at=now, times=F("times") + 1
    )
    RequeueClaim.objects.bulk_create(
        [RequeueClaim(kind=kind, object_id=pk, claimed_at=now) for pk in due if pk not in earlier],
        ignore_conflicts=True,
    )
    RequeueClaim.objects.filter(kind=kind, claimed_at__lt=now - CLAIMS_KEPT).delete()
    return due
