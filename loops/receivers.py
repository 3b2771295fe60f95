"""Where loops listens to surveys. Receivers only enqueue: the work runs in tasks, by id."""

from __future__ import annotations

from typing import Any

from vocplatform.queueing import enqueue_on_commit


def on_response_analysed(sender: Any, response_id: int, **kwargs: Any) -> None:
    from loops.services.health import health_mark_dirty
    from loops.tasks import response_alert_task
    from surveys.models import Response

    enqueue_on_commit(response_alert_task, response_id, swept=True)
    # The comment's sentiment is a health component: a sweep that ran before the verdict was
    # stored must not be the account's last word until the nightly run.
    account_id = Response.objects.filter(pk=response_id).values_list("account_id", flat=True).first()
    if account_id is not None:
        health_mark_dirty(account_id=account_id)


def on_response_saved(sender: Any, response_id: int, created: bool, **kwargs: Any) -> None:
    from loops.models import Loop
    from loops.services.health import health_mark_dirty
    from loops.tasks import followup_record_task
    from surveys.models import Response

    row = Response.objects.filter(pk=response_id).values_list("account_id", "invitation_id").first()
    if row is None:
        return
    account_id, invitation_id = row
    # Not a task: one row that tells the sweeper to recompute this account's health.
    health_mark_dirty(account_id=account_id)
    # Few responses answer a loop's follow-up survey; only those get a task.
    if Loop.objects.filter(followup_invitation_id=invitation_id).exists():
        enqueue_on_commit(followup_record_task, response_id, swept=True)
