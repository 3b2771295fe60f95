"""Where loops listens to surveys. Receivers only enqueue: the work runs in tasks, by id."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def on_response_analysed(sender: Any, response_id: int, **kwargs: Any) -> None:
    from loops.tasks import response_alert_task

    transaction.on_commit(lambda: response_alert_task.delay(response_id))


def on_response_saved(sender: Any, response_id: int, created: bool, **kwargs: Any) -> None:
    from loops.tasks import followup_record_task

    transaction.on_commit(lambda: followup_record_task.delay(response_id))
