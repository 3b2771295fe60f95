"""Scheduled distribution: when each schedule runs next, the due check that claims a run before
anything is rendered, rendering a report into the archive, and emailing it to its list.

Every step claims its row with a conditional UPDATE and goes on only if it changed one row, so
two beats, a redelivered task or a double click never render or send twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import replace

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from loops.models import GeneratedReport, ReportKind, ReportSchedule
from loops.reports.filters import default_filters
from loops.reports.packs import render_pack
from loops.selectors.cases import Viewer
from vocplatform.models import Team, User

logger = logging.getLogger(__name__)

Enqueue = Callable[[int], object]


EMAIL_LEASE = dt.timedelta(minutes=10)


def render_lease() -> dt.timedelta:
    """A report still "rendering" after this long lost its worker and may be claimed again."""
    return dt.timedelta(seconds=int(settings.REPORTS_RENDER_LEASE_SECONDS))


def _zone(schedule: ReportSchedule) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(schedule.distribution_list.time_zone)


def next_run_after(schedule: ReportSchedule, after: dt.datetime) -> dt.datetime:
    """The first moment after `after` that is the schedule's weekday and time in the list's zone
    (a wall-clock time that a DST change skips is read as zoneinfo reads it: an hour later)."""
    zone = _zone(schedule)
    day = after.astimezone(zone).date()
    for offset in range(8):
        date = day + dt.timedelta(days=offset)
        if date.weekday() != schedule.weekday:
            continue
        candidate = dt.datetime.combine(date, schedule.time, zone).astimezone(dt.UTC)
        if candidate > after:
            return candidate
    raise AssertionError("a weekday recurs within eight days")  # pragma: no cover


def next_run_armed(schedule: ReportSchedule, now: dt.datetime) -> dt.datetime:
    """The first run of a new or changed schedule: after now, and no sooner than six days after its
    last run, so that moving the day, time or zone just after a run takes effect from the next
    week instead of sending this week's pack again."""
    last = schedule.last_run_at
    return next_run_after(schedule, now if last is None else max(now, last + dt.timedelta(days=6)))


def run_period(schedule: ReportSchedule, run_at: dt.datetime) -> tuple[dt.date, dt.date]:
    """The days a run covers: `period_days` whole days up to the day before the run, in the list's zone."""
    last = run_at.astimezone(_zone(schedule)).date() - dt.timedelta(days=1)
    return last - dt.timedelta(days=schedule.period_days - 1), last


def report_create(
    *,
    kind: str,
    rendered_as: User,
    date_from: dt.date,
    date_to: dt.date,
    requested_by: User | None = None,
    team: Team | None = None,
    account_id: int | None = None,
    schedule: ReportSchedule | None = None,
    due_at: dt.datetime | None = None,
    send_email: bool = False,
    now: dt.datetime | None = None,
) -> GeneratedReport:
    now = now or timezone.now()
    return GeneratedReport.objects.create(
        kind=kind,
        title=f"{ReportKind(kind).label}, {date_from:%d %b %Y} – {date_to:%d %b %Y}",
        rendered_as=rendered_as,
        requested_by=requested_by,
        team=team,
        account_id=account_id,
        schedule=schedule,
        due_at=due_at,
        send_email=send_email,
        period_start=date_from,
        period_end=date_to,
        created_at=now,
    )


def schedule_report_create(
    *, schedule: ReportSchedule, run_at: dt.datetime, due_at: dt.datetime | None
) -> GeneratedReport:
    date_from, date_to = run_period(schedule, run_at)
    return report_create(
        kind=schedule.kind,
        rendered_as=schedule.rendered_as,
        date_from=date_from,
        date_to=date_to,
        team=schedule.team,
        account_id=schedule.account_id,
        schedule=schedule,
        due_at=due_at,
        send_email=True,
        now=run_at,
    )


def schedules_due(*, now: dt.datetime | None = None, enqueue: Enqueue) -> list[int]:
    """The beat's due check: arm new schedules, then claim each due run (moving `next_run_at` on
    with a conditional UPDATE) and create its report in the same transaction. Only the process whose
    UPDATE changed the row goes on; the unique (schedule, due_at) constraint is the backstop.
    A run missed while nothing ran is made once, late, not once per missed week."""
    now = now or timezone.now()
    for schedule in ReportSchedule.objects.filter(active=True, next_run_at__isnull=True).select_related(
        "distribution_list"
    ):
        ReportSchedule.objects.filter(pk=schedule.pk, next_run_at__isnull=True).update(
            next_run_at=next_run_armed(schedule, now)
        )
    created = []
    due = ReportSchedule.objects.filter(active=True, next_run_at__lte=now).select_related(
        "distribution_list", "rendered_as", "team"
    )
    for schedule in due:
        try:
            report = schedule_run_claim(schedule=schedule, now=now, enqueue=enqueue)
        except IntegrityError:  # its run made already: logged, and no stop for the schedules after it
            logger.exception("Report schedule %s: its run at %s exists already", schedule.pk, schedule.next_run_at)
            continue
        if report is not None:
            created.append(report.pk)
    return created


def schedule_run_claim(*, schedule: ReportSchedule, now: dt.datetime, enqueue: Enqueue) -> GeneratedReport | None:
    """Claim the run `schedule.next_run_at` (as this process last read it) and create its report;
    None when another process claimed it first (its UPDATE moved next_run_at, so ours matches nothing)."""
    due_at = schedule.next_run_at
    assert due_at is not None
    with transaction.atomic():
        claimed = ReportSchedule.objects.filter(pk=schedule.pk, next_run_at=due_at).update(
            next_run_at=next_run_after(schedule, now), last_run_at=now
        )
        if not claimed:
            return None
        report = schedule_report_create(schedule=schedule, run_at=due_at, due_at=due_at)
        transaction.on_commit(functools.partial(enqueue, report.pk))
    return report


def _progress(report_id: int) -> Callable[[int], None]:
    def update(percent: int) -> None:
        GeneratedReport.objects.filter(pk=report_id).update(percent=min(max(percent, 0), 99))

    return update


def report_render(*, report_id: int, now: dt.datetime | None = None) -> bool:
    """Render a queued report into the archive. False when someone else has it (or it is done)."""
    now = now or timezone.now()
    claimable = Q(status=GeneratedReport.Status.QUEUED) | Q(
        status=GeneratedReport.Status.RENDERING, claimed_at__lt=now - render_lease()
    )
    claimed = GeneratedReport.objects.filter(claimable, pk=report_id).update(
        status=GeneratedReport.Status.RENDERING, claimed_at=now, percent=5
    )
    if not claimed:
        return False
    report = GeneratedReport.objects.select_related("rendered_as", "team").get(pk=report_id)
    viewer: Viewer = report.rendered_as
    filters = replace(default_filters(viewer=viewer), date_from=report.period_start, date_to=report.period_end)
    try:
        title, rendered = render_pack(
            kind=report.kind,
            viewer=viewer,
            filters=filters,
            team=report.team,
            account_id=report.account_id,
            now=now,
            progress=_progress(report_id),
        )
    except Http404:
        # The account is gone or no longer the viewer's to see: nothing to render, nothing to retry.
        GeneratedReport.objects.filter(pk=report_id).update(
            status=GeneratedReport.Status.FAILED, error="Not visible to the person it is rendered for."
        )
        return True
    except Exception as error:
        # Rendering the same data again fails the same way: record it for the archive page and stop.
        logger.exception("Report %s failed to render", report_id)
        GeneratedReport.objects.filter(pk=report_id).update(
            status=GeneratedReport.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        return True
    GeneratedReport.objects.filter(pk=report_id).update(
        title=title[:200],
        pdf=rendered.pdf,
        pages=rendered.pages,
        status=GeneratedReport.Status.DONE,
        percent=100,
        finished_at=timezone.now(),
    )
    return True


def report_recipients(report: GeneratedReport) -> list[str]:
    # Staff who have left get nothing, whether they asked for the pack or are on a list.
    if report.schedule is None:
        asked = report.requested_by
        return [asked.email] if asked and asked.is_active and asked.email else []
    recipients = (
        report.schedule.distribution_list.recipients.filter(active=True)
        .exclude(user__is_active=False)
        .order_by("email")
    )
    return list(recipients.values_list("email", flat=True))


def reports_stalled(*, now: dt.datetime | None = None, limit: int = 100) -> tuple[list[int], list[int]]:
    """Reports whose task was lost (the broker forgot it, or its worker died): those still queued
    after SWEEP_GRACE_SECONDS or rendering past the lease, and those rendered for a list but not
    emailed (no claim, or a claim past the lease). The beat's due check enqueues them again."""
    now = now or timezone.now()
    grace = dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    render = GeneratedReport.objects.filter(
        Q(status=GeneratedReport.Status.QUEUED, created_at__lt=now - grace)
        | Q(status=GeneratedReport.Status.RENDERING, claimed_at__lt=now - render_lease())
    )
    email = GeneratedReport.objects.filter(
        _email_claimable(now), status=GeneratedReport.Status.DONE, send_email=True, finished_at__lt=now - grace
    )
    return (
        list(render.order_by("created_at").values_list("pk", flat=True)[:limit]),
        list(email.order_by("finished_at").values_list("pk", flat=True)[:limit]),
    )


def _email_claimable(now: dt.datetime) -> Q:
    unclaimed = Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_LEASE)
    return unclaimed & Q(emailed_at__isnull=True)


def report_email(*, report_id: int, now: dt.datetime | None = None) -> int:
    """Email a rendered report to its list, the PDF attached. Marked before the send (claimed) and
    after it (emailed); a failed send releases the claim so the retry can send, and a claim whose
    worker died lapses after EMAIL_LEASE."""
    now = now or timezone.now()
    claimed = GeneratedReport.objects.filter(
        _email_claimable(now), pk=report_id, status=GeneratedReport.Status.DONE, send_email=True
    ).update(email_claimed_at=now)
    if not claimed:
        return 0
    report = GeneratedReport.objects.select_related("schedule__distribution_list", "requested_by").get(pk=report_id)
    to = report_recipients(report)
    if not to:
        GeneratedReport.objects.filter(pk=report_id).update(emailed_at=now, emailed_to=[])
        return 0
    message = EmailMessage(
        subject=report.title,
        body=f"{report.title}\n\nThe report is attached ({report.pages} pages).\n",
        to=to,
    )
    message.attach(report.filename, bytes(report.pdf), "application/pdf")
    try:
        message.send()
    except Exception:
        GeneratedReport.objects.filter(pk=report_id).update(email_claimed_at=None)
        raise
    GeneratedReport.objects.filter(pk=report_id).update(emailed_at=timezone.now(), emailed_to=to)
    return len(to)


def reports_visible(viewer: Viewer) -> QuerySet[GeneratedReport]:
    """The archive a person may open: admins all; others what was rendered for them, what they
    asked for, and what was emailed to them."""
    reports = GeneratedReport.objects.all()
    if not isinstance(viewer, User) or not viewer.is_active:
        return reports.none()
    if viewer.is_cx_admin:
        return reports
    recipient = GeneratedReport.objects.filter(schedule__distribution_list__recipients__user=viewer).values("pk")
    return reports.filter(Q(rendered_as=viewer) | Q(requested_by=viewer) | Q(pk__in=recipient))


def schedules_visible(viewer: Viewer) -> QuerySet[ReportSchedule]:
    """Admins see every schedule; a supervisor those that render what they see."""
    schedules = ReportSchedule.objects.select_related("distribution_list", "rendered_as", "team", "account")
    if not isinstance(viewer, User) or not viewer.is_active:
        return schedules.none()
    return schedules if viewer.is_cx_admin else schedules.filter(rendered_as=viewer)
