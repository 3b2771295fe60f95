from __future__ import annotations

from celery import shared_task

from vocplatform.services import heartbeat_record


@shared_task(name="vocplatform.tasks.heartbeat", acks_late=True, time_limit=30, soft_time_limit=25)
def heartbeat(source: str) -> None:
    """Beat sends it, a worker runs it: a fresh row proves both are alive."""
    heartbeat_record(name="worker")
    heartbeat_record(name=source)
