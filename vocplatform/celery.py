"""Celery wiring: JSON only, late acknowledgement, redelivery of a killed worker's task.

Celery's defaults lose the task of a worker process that is SIGKILLed; with
acks_late and task_reject_on_worker_lost the broker redelivers it, so every
task in this project must be safe to run twice (see STYLE.md).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_failure, task_retry

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocplatform.settings")

app = Celery("vocplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_time_limit=300,
    task_soft_time_limit=270,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    # One retry on a fresh connection (a pooled one may have died with a broker restart), at once;
    # past that the publish fails, and what it carried is the sweepers' (vocplatform.queueing).
    task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
    timezone="UTC",
    enable_utc=True,
    beat_scheduler="vocplatform.beat:HeartbeatScheduler",
)
app.conf.beat_schedule = {
    # Beat records its own heartbeat as it sends this (vocplatform.beat); a worker, as it runs it.
    "heartbeat": {"task": "vocplatform.tasks.heartbeat", "schedule": 30.0, "args": ["beat"]},
    "invitations-sweep": {"task": "surveys.tasks.invitations_sweep_task", "schedule": 60.0},
    "loops-sweep": {"task": "loops.tasks.loops_sweep_task", "schedule": 60.0},
    "reports-due": {"task": "loops.tasks.reports_due_task", "schedule": 60.0},
    "integrations-sweep": {"task": "vocplatform.tasks.integrations_sweep_task", "schedule": 60.0},
    "loops-escalation": {"task": "loops.tasks.escalations_run_task", "schedule": 300.0},
    "health-nightly": {"task": "loops.tasks.health_nightly_task", "schedule": crontab(hour=2, minute=30)},
    "notifications-digest": {"task": "loops.tasks.notifications_digest_task", "schedule": crontab(hour=7, minute=0)},
}
app.autodiscover_tasks()


@task_failure.connect
@task_retry.connect
def _close_stale_connections(
    exception: BaseException | None = None, reason: BaseException | None = None, **kwargs: object
) -> None:
    """A task that met a prepared statement a migration made stale leaves on a new connection, so
    its retry, and the worker's next task, prepare afresh (see vocplatform.prepared)."""
    from vocplatform.prepared import close_stale_connections

    error = exception or reason
    if isinstance(error, BaseException):
        close_stale_connections(error)


@app.on_after_finalize.connect
def _configure_beat(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.conf.beat_schedule["heartbeat"]["schedule"] = float(settings.HEARTBEAT_SECONDS)
    sender.conf.beat_schedule["invitations-sweep"]["schedule"] = float(settings.SWEEP_SECONDS)
    sender.conf.beat_schedule["loops-sweep"]["schedule"] = float(settings.SWEEP_SECONDS)
    sender.conf.beat_schedule["integrations-sweep"]["schedule"] = float(settings.SWEEP_SECONDS)
    sender.conf.beat_schedule["loops-escalation"]["schedule"] = float(settings.ESCALATION_SECONDS)
    sender.conf.beat_schedule["notifications-digest"]["schedule"] = crontab(hour=settings.DIGEST_HOUR_UTC, minute=0)
