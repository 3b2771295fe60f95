"""The loop and health events sent to webhook subscribers (vocplatform.webhooks does the sending).

Services call these through `transaction.on_commit`, with ids: the payload is read from what was
committed. Each event's key names the fact, so a second call sends nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import OuterRef, Subquery

from loops.models import Escalation, HealthSnapshot, Loop
from surveys.models import Account
from vocplatform.webhooks.emit import Occurrence, subscriptions_for, webhook_emit, webhook_emit_many
from vocplatform.webhooks.models import EventType


def loop_data(loop: Loop) -> dict[str, Any]:
    return {
        "loop": {
            "id": loop.pk,
            "status": loop.status,
            "priority": loop.priority,
            "account": {"id": loop.account_id, "external_id": loop.account.external_id, "name": loop.account.name},
            "response_id": loop.response_id,
            "owner": loop.owner.username if loop.owner else None,
            "reason_for_engagement": loop.reason_for_engagement,
            "opened_at": loop.opened_at,
            "first_contact_due_at": loop.first_contact_due_at,
            "resolution_due_at": loop.resolution_due_at,
            "escalation_level": loop.escalation_level,
            "closed_at": loop.closed_at,
            "resolution_summary": loop.resolution_summary,
            "root_causes": sorted(cause.name for cause in loop.root_causes.all()),
        }
    }


def _loop(loop_id: int) -> Loop | None:
    return Loop.objects.select_related("account", "owner").filter(pk=loop_id).first()


def emit_loop_opened(*, loop_id: int) -> None:
    if subscriptions_for(EventType.LOOP_OPENED) and (loop := _loop(loop_id)):
        webhook_emit(event_type=EventType.LOOP_OPENED, key=f"loop.opened:{loop_id}", data=loop_data(loop))


def emit_loop_closed(*, loop_id: int) -> None:
    if subscriptions_for(EventType.LOOP_CLOSED) and (loop := _loop(loop_id)):
        # Reopened and closed again is a new closing: the cycle is in the key.
        key = f"loop.closed:{loop_id}:{loop.reopened_count}"
        webhook_emit(event_type=EventType.LOOP_CLOSED, key=key, data=loop_data(loop), occurred_at=loop.closed_at)


def emit_escalations(*, at: dt.datetime) -> None:
    """The escalations (level 1 and up; level 0 is a reminder) that the pass made at `at`."""
    if not subscriptions_for(EventType.LOOP_ESCALATED):
        return
    escalations = (
        Escalation.objects.filter(at=at, level__gte=1)
        .select_related("loop__account", "loop__owner", "recipient")
        .prefetch_related("loop__root_causes")
    )
    occurrences = [
        Occurrence(
            key=f"loop.escalated:{escalation.pk}",
            data={
                **loop_data(escalation.loop),
                "escalation": {
                    "stage": escalation.stage,
                    "level": escalation.level,
                    "recipient": escalation.recipient.username,
                },
            },
            occurred_at=escalation.at,
        )
        for escalation in escalations
    ]
    webhook_emit_many(event_type=EventType.LOOP_ESCALATED, occurrences=occurrences)


Before = dict[int, tuple[str, str, str, dt.datetime]]


def bands_before(*, account_ids: Sequence[int] | None, today: dt.date) -> Before | None:
    """Each account's band as stored before a recompute (today's snapshot, else the latest), with its
    external id, name and when that snapshot was computed (all accounts when None); None when nobody
    listens to band changes, and then nothing is read. One query either way."""
    if not subscriptions_for(EventType.HEALTH_BAND_CHANGED):
        return None
    latest = HealthSnapshot.objects.filter(account=OuterRef("pk"), date__lte=today).order_by("-date")
    accounts = Account.objects.all() if account_ids is None else Account.objects.filter(pk__in=list(account_ids))
    rows = accounts.annotate(
        band=Subquery(latest.values("band")[:1]), seen_at=Subquery(latest.values("computed_at")[:1])
    ).values_list("pk", "band", "external_id", "name", "seen_at")
    return {pk: (band, external_id, name, seen_at) for pk, band, external_id, name, seen_at in rows if band}


def emit_band_changes(*, before: Before, after: dict[int, tuple[str, float | None]], today: dt.date) -> None:
    """One event per account whose band moved from the snapshot read before the recompute. The key
    names that snapshot (when it was computed), not the day: an account can go green, red, green
    and red again in one day, and the second green-to-red change is news too; but two recomputes
    that overlap both read the same snapshot, and its change is told once."""
    occurrences = [
        Occurrence(
            key=f"health.band_changed:{pk}:{seen_at.isoformat()}:{old}:{new}",
            data={
                "account": {"id": pk, "external_id": external_id, "name": name},
                "previous_band": old,
                "band": new,
                "score": after[pk][1],
                "date": today,
            },
        )
        for pk, (old, external_id, name, seen_at) in before.items()
        if pk in after and (new := after[pk][0]) != old
    ]
    webhook_emit_many(event_type=EventType.HEALTH_BAND_CHANGED, occurrences=occurrences)
