"""Where loops listens to surveys. Receivers only enqueue: the work runs in tasks, by id."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone


def on_response_analysed(sender: Any, response_id: int, **kwargs: Any) -> None:
    from loops.tasks import response_alert_task

    transaction.on_commit(lambda: response_alert_task.delay(response_id))


def on_response_saved(sender: Any, response_id: int, created: bool, **kwargs: Any) -> None:
    from loops.models import HealthDirty
    from loops.tasks import followup_record_task
    from surveys.models import Response

    transaction.on_commit(lambda: followup_record_task.delay(response_id))
    # Not a task: one row that tells the sweeper to recompute this account's health.
    account_id = Response.objects.filter(pk=response_id).values_list("account_id", flat=True).first()
    if account_id is not None:
        HealthDirty.objects.update_or_create(account_id=account_id, defaults={"since": timezone.now()})
