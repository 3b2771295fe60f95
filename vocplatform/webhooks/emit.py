"""Telling subscribers that something happened: store the event once, one delivery per subscription.

Callers emit after their transaction commits (`transaction.on_commit`). An event's `key` names
the fact ("loop.closed:12:0"), so emitting it again — a redelivered task, a second analysis —
stores and sends nothing new. When nobody listens to a type, nothing is stored (one query).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from vocplatform.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

RETRY_WINDOW = dt.timedelta(days=1)


@dataclass(frozen=True)
class Occurrence:
    key: str
    data: dict[str, Any]
    occurred_at: dt.datetime | None = None


def subscriptions_for(event_type: str) -> list[WebhookSubscription]:
    # Subscriptions are few; filtering the JSON list in Python works the same on SQLite and PostgreSQL.
    return [s for s in WebhookSubscription.objects.filter(active=True) if event_type in s.event_types]


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def enqueue_deliveries(delivery_ids: Sequence[str]) -> None:
    from vocplatform.queueing import enqueue_on_commit
    from vocplatform.tasks import webhook_deliver_task

    # A broker that is down does not fail the caller: the delivery row is there, and the
    # integrations sweep sends it within a minute.
    for delivery_id in delivery_ids:
        enqueue_on_commit(webhook_deliver_task, delivery_id, swept=True)


def deliveries_create(
    events: Sequence[WebhookEvent], subscriptions: Sequence[WebhookSubscription], *, replay: bool = False
) -> list[str]:
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            event=event,
            subscription=subscription,
            replay=replay,
            next_attempt_at=now,
            enqueued_at=now,
            retry_until=now + RETRY_WINDOW,
            created_at=now,
        )
        for event in events
        for subscription in subscriptions
        if event.type in subscription.event_types
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=not replay, batch_size=500)
    ids = [str(d.pk) for d in deliveries]
    if not replay:
        # With ignore_conflicts the ids of rows that already existed are not ours: keep the stored ones.
        ids = [str(pk) for pk in WebhookDelivery.objects.filter(pk__in=ids).values_list("pk", flat=True)]
    enqueue_deliveries(ids)
    return ids


@transaction.atomic
def webhook_emit_many(*, event_type: str, occurrences: Sequence[Occurrence]) -> int:
    """Store the occurrences not stored before and deliver them. Returns how many were new.
    A fixed number of queries, however many occurrences."""
    if not occurrences:
        return 0
    subscriptions = subscriptions_for(event_type)
    if not subscriptions:
        return 0
    now = timezone.now()
    keys = [o.key for o in occurrences]
    known = set(WebhookEvent.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [
        WebhookEvent(type=event_type, key=o.key, payload=_json_safe(o.data), occurred_at=o.occurred_at or now)
        for o in occurrences
        if o.key not in known
    ]
    WebhookEvent.objects.bulk_create(fresh, ignore_conflicts=True)
    # A concurrent emitter may have stored some of the same keys: deliver only the rows that are ours.
    ours = list(WebhookEvent.objects.filter(pk__in=[e.pk for e in fresh]))
    deliveries_create(ours, subscriptions)
    return len(ours)


def webhook_emit(*, event_type: str, key: str, data: dict[str, Any], occurred_at: dt.datetime | None = None) -> int:
    return webhook_emit_many(event_type=event_type, occurrences=[Occurrence(key, data, occurred_at)])


def envelope(event: WebhookEvent) -> dict[str, Any]:
    """The body sent: the same bytes on every try of every delivery of the event."""
    return {"id": str(event.pk), "type": event.type, "occurred_at": event.occurred_at, "data": event.payload}
