"""Where loops listens to surveys. Receivers only enqueue: the work runs in tasks, by id."""

from __future__ import annotations

from typing import Any

from vocplatform.queueing import enqueue_on_commit


def on_response_analysed(sender: Any, response_id: int, **kwargs: Any) -> None:
    from loops.tasks import response_alert_task

    enqueue_on_commit(response_alert_task, response_id)


def on_response_saved(sender: Any, response_id: int, created: bool, **kwargs: Any) -> None:
    from loops.services.health import health_mark_dirty
    from loops.tasks import followup_record_task
    from surveys.models import Response

    enqueue_on_commit(followup_record_task, response_id)
    # Not a task: one row that tells the sweeper to recompute this account's health.
    account_id = Response.objects.filter(pk=response_id).values_list("account_id", flat=True).first()
    if account_id is not None:
        health_mark_dirty(account_id=account_id)
