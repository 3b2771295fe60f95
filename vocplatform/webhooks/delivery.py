"""Sending deliveries: claim, sign, POST, log; back off and retry for up to a day; resend and replay.

A delivery is claimed (pending → sending) by a conditional UPDATE before anything is sent, so a
task that runs twice, or two workers, send it once. A worker killed mid-send leaves it "sending";
the sweep hands it back after the lease. Retries wait 1, 2, 4, … minutes (at most 6 hours) and
stop when the delivery's retry window (a day) is over. Every try carries the same delivery id.
"""

from __future__ import annotations

import datetime as dt
import http.client
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, Value
from django.utils import timezone

from vocplatform.webhooks.addresses import AddressRefused
from vocplatform.webhooks.emit import RETRY_WINDOW, deliveries_create, enqueue_deliveries, envelope
from vocplatform.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from vocplatform.webhooks.signing import body_bytes, signed_headers
from vocplatform.webhooks.transport import post

FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=6)
SWEEP_BATCH = 500
REPLAY_LIMIT = 10_000
Status = WebhookDelivery.Status


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: 1 min, 2, 4, 8 … capped at 6 hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str = ""
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _claim(delivery_id: str, now: dt.datetime) -> bool:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return bool(
        WebhookDelivery.objects.filter(due, pk=delivery_id, status=Status.PENDING).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def _send(delivery: WebhookDelivery) -> Outcome:
    subscription = delivery.subscription
    body = body_bytes(envelope(delivery.event))
    headers = signed_headers(
        secret=subscription.secret, delivery_id=str(delivery.pk), event_type=delivery.event.type, body=body
    )
    try:
        sent = post(subscription.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    except AddressRefused as refused:
        return Outcome(error=str(refused)[:500], refused=True)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(status_code=sent.status_code, error="" if 200 <= sent.status_code < 300 else "not a 2xx answer")


def _settle(delivery: WebhookDelivery, outcome: Outcome, now: dt.datetime, took_ms: int) -> str:
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        at=now,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=took_ms,
    )
    common = {"claimed_at": None, "last_status_code": outcome.status_code, "last_error": outcome.error}
    if outcome.ok:
        status, extra = Status.SUCCEEDED, {"delivered_at": now, "next_attempt_at": None}
    elif outcome.refused:
        status, extra = Status.REFUSED, {"next_attempt_at": None}
    else:
        retry_at = now + retry_delay(delivery.attempts)
        if retry_at > delivery.retry_until:
            status, extra = Status.FAILED, {"next_attempt_at": None}
        else:
            status, extra = Status.PENDING, {"next_attempt_at": retry_at}
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(status=status, **common, **extra)
    return str(status)


def webhook_deliver(*, delivery_id: str, now: dt.datetime | None = None) -> str:
    """Try one delivery if it is due. Returns its status after the try, or "not due"."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return "not due"
    delivery = WebhookDelivery.objects.select_related("event", "subscription").get(pk=delivery_id)
    if not delivery.subscription.active:
        return _give_up(delivery, Outcome(error="The subscription is paused."), now)
    started = time.monotonic()
    outcome = _send(delivery)
    return _settle(delivery, outcome, now, int((time.monotonic() - started) * 1000))


def _give_up(delivery: WebhookDelivery, outcome: Outcome, now: dt.datetime) -> str:
    WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, at=now, error=outcome.error)
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
        status=Status.FAILED, claimed_at=None, next_attempt_at=None, last_error=outcome.error
    )
    return str(Status.FAILED)


def deliveries_due(*, now: dt.datetime | None = None, limit: int = SWEEP_BATCH) -> list[str]:
    """The sweep: hand back claims of workers that died, then list what is due and not already
    queued, marked as queued now (the database, not the broker, knows what is left to send).

    A delivery is due for a task when its next try has come and no task was queued for that try
    (a retry after a failure, a claim handed back), or when the task queued for it looks lost: it
    has waited SWEEP_GRACE_SECONDS and at least as long as the delivery had waited before it was
    queued. So a backlog that outlasts the grace period gets a duplicate task after 2, 4, 8…
    minutes (each a no-op once one of them has claimed the delivery), not one per sweep."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    grace = dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    WebhookDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease).update(
        status=Status.PENDING, claimed_at=None, next_attempt_at=now
    )
    # Lost: queued at least the grace period ago, and at least as long ago as it had waited when
    # it was queued (enqueued_at - next_attempt_at <= now - enqueued_at). All in SQL, so that the
    # limit counts only deliveries that want a task.
    waited_before = ExpressionWrapper(F("enqueued_at") - F("next_attempt_at"), output_field=DurationField())
    long_enough = ExpressionWrapper(Value(now) - waited_before, output_field=DateTimeField())
    lost = Q(enqueued_at__lte=now - grace) & Q(enqueued_at__lte=long_enough)
    wanted = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=F("next_attempt_at")) | lost
    due = list(
        WebhookDelivery.objects.filter(wanted, status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    WebhookDelivery.objects.filter(pk__in=due).update(enqueued_at=now)
    return [str(pk) for pk in due]


@transaction.atomic
def delivery_resend(*, delivery_id: str, now: dt.datetime | None = None) -> bool:
    """Send one delivery again, with the same id, and a fresh day of retries. False while it is being sent."""
    now = now or timezone.now()
    updated = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .exclude(status=Status.SENDING)
        .update(
            status=Status.PENDING, next_attempt_at=now, enqueued_at=now, retry_until=now + RETRY_WINDOW, claimed_at=None
        )
    )
    if updated:
        enqueue_deliveries([delivery_id])
    return bool(updated)


@transaction.atomic
def deliveries_replay(*, subscription_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """Send the subscription every stored event of its types that occurred in [start, end), as new
    deliveries (new ids; the event id in the body is unchanged). Returns how many."""
    subscription = WebhookSubscription.objects.get(pk=subscription_id)
    events = list(
        WebhookEvent.objects.filter(
            type__in=subscription.event_types, occurred_at__gte=start, occurred_at__lt=end
        ).order_by("occurred_at")[:REPLAY_LIMIT]
    )
    return len(deliveries_create(events, [subscription], replay=True))
