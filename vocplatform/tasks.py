from __future__ import annotations

import datetime as dt

from celery import shared_task

from vocplatform.services import heartbeat_record


@shared_task(name="vocplatform.tasks.heartbeat", acks_late=True, time_limit=30, soft_time_limit=25)
def heartbeat(source: str) -> None:
    """Beat sends it (and records its own heartbeat as it does, see vocplatform.beat); a worker runs
    it, and a fresh "worker" row proves one is alive. ``source`` names the sender."""
    heartbeat_record(name="worker")


def _when(now: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(now) if now else None


# No autoretry: a failed try is recorded on the delivery, and the sweep sends it again when due.
@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def webhook_deliver_task(delivery_id: str, now: str | None = None) -> str:
    from vocplatform.webhooks.delivery import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id, now=_when(now))


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110)
def integrations_sweep_task(now: str | None = None) -> dict[str, int]:
    """Beat, every minute: send webhook deliveries that are due (retries, and any whose task the
    broker lost), and delete rate-limit windows that are over. `now` (ISO 8601) is for tests."""
    from vocplatform.queueing import backoff, enqueue
    from vocplatform.throttling import throttle_prune
    from vocplatform.webhooks.delivery import deliveries_due

    when = _when(now)
    # While the broker is failing, mark nothing as queued: the next sweep finds it all again.
    due = [] if backoff.active() else deliveries_due(now=when)
    for delivery_id in due:
        enqueue(webhook_deliver_task, delivery_id, now, swept=True)
    pruned = throttle_prune(now=when.timestamp() if when else None)
    return {"deliveries": len(due), "throttle_windows_pruned": pruned}
