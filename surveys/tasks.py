"""Thin Celery wrappers around surveys services. Each takes ids and is safe to run twice."""

from __future__ import annotations

from celery import Task, shared_task

from surveys.models import Response
from surveys.services import invitations as invitation_services
from surveys.services.import_jobs import import_job_check, import_job_run, import_jobs_stalled
from surveys.services.outbox import outbox_send, outbox_stale
from surveys.signals import response_saved
from vocplatform.queueing import enqueue, requeue_claim

# Every task: late ack (redelivered if the worker dies), retries with exponential back-off and jitter.


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=600,
    soft_time_limit=570,
)
def import_job_check_task(self: Task, job_id: int) -> None:
    import_job_check(job_id=job_id, retry=bool(self.request.retries))


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1750)
def import_job_run_task(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5, time_limit=120, soft_time_limit=110
)
def invitations_dispatch_task(invitation_ids: list[int]) -> dict[str, int]:
    return invitation_services.invitations_dispatch(invitation_ids=invitation_ids)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8, time_limit=60, soft_time_limit=50
)
def outbox_send_task(message_id: int) -> bool:
    return outbox_send(message_id=message_id)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5, time_limit=120, soft_time_limit=110
)
def response_recorded_task(response_id: int, created: bool) -> None:
    """After a response commits: tell the other apps (`response_saved`), then analyse it. One task,
    so that the customer's request publishes one message and runs no other app's code."""
    # Imported here: the analysis loads scikit-learn and NLTK, which the web process (it only
    # publishes this task) should not carry.
    from surveys.services.analysis import response_analyse

    response_saved.send(Response, response_id=response_id, created=created)
    response_analyse(response_id=response_id)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110)
def invitations_sweep_task() -> dict[str, int]:
    """Beat, every minute: dispatch due invitations, queue reminders, expire old links, and
    re-enqueue outbox messages, analyses and imports whose task was lost. The database is the source of truth."""
    due = invitation_services.invitations_due()
    if due:
        enqueue(invitations_dispatch_task, due, swept=True)
    reminded = sum(
        invitation_services.invitation_remind(invitation_id=pk) for pk in invitation_services.reminders_due()
    )
    expired = invitation_services.invitations_expire()
    stale = requeue_claim("outbox-send", outbox_stale())
    for message_id in stale:
        enqueue(outbox_send_task, message_id, swept=True)
    from surveys.services.analysis import responses_awaiting_analysis

    unanalysed = requeue_claim("response-analysis", responses_awaiting_analysis())
    for response_id in unanalysed:
        # The lost message may have been the one for the response's creation, so it is announced as
        # created; the receivers act once per response whatever they are told (the webhook has a key).
        enqueue(response_recorded_task, response_id, True, swept=True)
    to_check, to_import = import_jobs_stalled()
    checks = requeue_claim("import-check", to_check)
    for job_id in checks:
        enqueue(import_job_check_task, job_id, swept=True)
    imports = requeue_claim("import-run", to_import)
    for job_id in imports:
        enqueue(import_job_run_task, job_id, swept=True)
    return {
        "due": len(due),
        "reminded": reminded,
        "expired": expired,
        "resent": len(stale),
        "analyses": len(unanalysed),
        "imports": len(checks) + len(imports),
    }
