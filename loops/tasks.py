"""Thin Celery wrappers around loops services. Each takes ids and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from loops.services.alerts import response_alert
from loops.services.escalation import escalations_run
from loops.services.followup import followup_record
from loops.services.notifications import notifications_digest_send, notifications_email_pending


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5, time_limit=120, soft_time_limit=110
)
def response_alert_task(response_id: int) -> int | None:
    loop = response_alert(response_id=response_id)
    return loop.pk if loop else None


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5, time_limit=120, soft_time_limit=110
)
def followup_record_task(response_id: int) -> None:
    followup_record(response_id=response_id)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570)
def escalations_run_task() -> dict[str, int]:
    """Beat: reminders, escalations and overdue plan steps. Runs twice or in parallel without harm."""
    result = escalations_run()
    return {
        "reminders": result.reminders,
        "escalations": result.escalations,
        "notifications": result.notifications,
        "overdue_steps": result.overdue_steps,
    }


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5, time_limit=300, soft_time_limit=280
)
def notifications_email_task() -> int:
    return notifications_email_pending()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570)
def notifications_digest_task() -> int:
    return notifications_digest_send()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110)
def loops_sweep_task() -> int:
    """Beat: re-apply alert rules to recently analysed responses whose alert task the broker lost,
    record follow-up answers whose task was lost, and email the notifications waiting to go out."""
    from loops.services.alerts import responses_awaiting_alert
    from loops.services.followup import followups_unrecorded
    from vocplatform.queueing import enqueue, requeue_claim

    pending = requeue_claim("response-alert", responses_awaiting_alert())
    for response_id in pending:
        enqueue(response_alert_task, response_id, swept=True)
    followups = requeue_claim("followup-record", followups_unrecorded())
    for response_id in followups:
        enqueue(followup_record_task, response_id, swept=True)
    # A publish that fails stops none of the rest: the next sweep finds the work again.
    enqueue(notifications_email_task, swept=True)
    enqueue(health_recompute_dirty_task, swept=True)
    return len(pending) + len(followups)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=280)
def health_recompute_dirty_task() -> int:
    """Accounts whose responses or loops changed: health now, churn risk with it."""
    from loops.services.churn import churn_score
    from loops.services.health import health_recompute_dirty

    ids = health_recompute_dirty()
    if ids:
        churn_score(account_ids=ids)
    return len(ids)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1750)
def health_nightly_task() -> int:
    """Beat, nightly: every account's snapshot (set-based), then every current account's churn risk."""
    from loops.services.churn import churn_score
    from loops.services.health import health_recompute

    done = health_recompute()
    churn_score()
    return done


@shared_task(acks_late=True, time_limit=120, soft_time_limit=110)
def reports_due_task() -> int:
    """Beat, every minute: claim each scheduled report run that is due and queue its rendering."""
    from loops.reports.distribution import reports_stalled, schedules_due
    from vocplatform.queueing import enqueue, requeue_claim

    created = schedules_due(enqueue=lambda report_id: enqueue(report_render_task, report_id, swept=True))
    # Reports whose task the broker lost or whose worker died: the database says what is pending.
    to_render, to_email = reports_stalled()
    for report_id in requeue_claim("report-render", to_render):
        enqueue(report_render_task, report_id, swept=True)
    for report_id in requeue_claim("report-email", to_email):
        enqueue(report_email_task, report_id, swept=True)
    return len(created)


@shared_task(acks_late=True, time_limit=900, soft_time_limit=870)
def report_render_task(report_id: int) -> bool:
    """Render one archived report (claimed first: a redelivered task does not render it twice),
    then queue its email when it goes to a list."""
    from loops.models import GeneratedReport
    from loops.reports.distribution import report_render
    from vocplatform.queueing import enqueue

    rendered = report_render(report_id=report_id)
    if GeneratedReport.objects.filter(pk=report_id, status="done", send_email=True, emailed_at__isnull=True).exists():
        enqueue(report_email_task, report_id, swept=True)
    return rendered


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5, time_limit=120, soft_time_limit=110
)
def report_email_task(report_id: int) -> int:
    from loops.reports.distribution import report_email

    return report_email(report_id=report_id)
