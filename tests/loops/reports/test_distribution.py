"""Scheduled distribution: the next run in the list's time zone, a due check that claims each run
once however many beats fire, rendering into the archive and emailing the PDF once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection

from loops.models import DistributionList, GeneratedReport, Recipient, ReportSchedule
from loops.reports.distribution import (
    next_run_after,
    report_email,
    report_render,
    reports_stalled,
    run_period,
    schedule_run_claim,
    schedules_due,
)
from loops.tasks import report_render_task, reports_due_task

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _memory_mail(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def schedule(crafted, supervisor, team) -> ReportSchedule:  # type: ignore[no-untyped-def]
    berlin = DistributionList.objects.create(name="North leads", time_zone="Europe/Berlin")
    berlin.recipients.add(
        Recipient.objects.create(name="Sue", email="sue@staff.example", user=supervisor),
        Recipient.objects.create(name="Director", email="director@example.com"),
    )
    Recipient.objects.create(name="Gone", email="gone@example.com", active=False).lists.add(berlin)
    return ReportSchedule.objects.create(
        name="Weekly North", distribution_list=berlin, kind="weekly", rendered_as=supervisor, team=team,
        weekday=0, time=dt.time(8, 0),
    )  # fmt: skip


def test_every_monday_at_eight_in_the_lists_zone(schedule):
    # Monday 17 March 2025, Berlin is UTC+1: 08:00 there is 07:00 UTC.
    assert next_run_after(schedule, dt.datetime(2025, 3, 17, 6, 59, tzinfo=UTC)) == dt.datetime(
        2025, 3, 17, 7, 0, tzinfo=UTC
    )
    assert next_run_after(schedule, dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)) == dt.datetime(
        2025, 3, 24, 7, 0, tzinfo=UTC
    )
    # Summer time from 30 March: the run stays at 08:00 Berlin, 06:00 UTC.
    assert next_run_after(schedule, dt.datetime(2025, 3, 25, tzinfo=UTC)) == dt.datetime(2025, 3, 31, 6, 0, tzinfo=UTC)
    assert run_period(schedule, dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)) == (
        dt.date(2025, 3, 10),
        dt.date(2025, 3, 16),
    )


def test_the_due_check_arms_claims_once_renders_and_emails_once(schedule, django_capture_on_commit_callbacks):
    monday = dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)
    queued: list[int] = []
    assert schedules_due(now=monday - dt.timedelta(hours=1), enqueue=queued.append) == []
    schedule.refresh_from_db()
    assert schedule.next_run_at == monday  # armed
    with django_capture_on_commit_callbacks(execute=True):
        created = schedules_due(now=monday + dt.timedelta(seconds=30), enqueue=queued.append)
        again = schedules_due(now=monday + dt.timedelta(seconds=45), enqueue=queued.append)
    assert len(created) == 1 and again == [] and queued == created
    report = GeneratedReport.objects.get()
    assert (report.due_at, report.period_start, report.period_end) == (
        monday,
        dt.date(2025, 3, 10),
        dt.date(2025, 3, 16),
    )
    schedule.refresh_from_db()
    assert schedule.next_run_at == dt.datetime(2025, 3, 24, 7, 0, tzinfo=UTC)

    assert report_render(report_id=report.pk) is True
    assert report_render(report_id=report.pk) is False  # a redelivered task renders nothing
    report.refresh_from_db()
    assert report.status == "done" and report.pages >= 1 and bytes(report.pdf).startswith(b"%PDF")
    assert report_email(report_id=report.pk) == 2
    assert report_email(report_id=report.pk) == 0  # nor sends twice
    (message,) = mail.outbox
    assert sorted(message.to) == ["director@example.com", "sue@staff.example"]
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".pdf") and mimetype == "application/pdf" and content == bytes(report.pdf)
    report.refresh_from_db()
    assert report.emailed_at is not None and report.emailed_to == ["director@example.com", "sue@staff.example"]


def test_two_beats_that_read_the_same_due_run_make_one_report(schedule):
    due = dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=due)
    first_read = ReportSchedule.objects.select_related("distribution_list").get(pk=schedule.pk)
    second_read = ReportSchedule.objects.select_related("distribution_list").get(pk=schedule.pk)
    now = due + dt.timedelta(seconds=5)
    assert schedule_run_claim(schedule=first_read, now=now, enqueue=lambda pk: None) is not None
    assert schedule_run_claim(schedule=second_read, now=now, enqueue=lambda pk: None) is None
    assert GeneratedReport.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: the race needs PostgreSQL")
def test_parallel_due_checks_on_postgresql_make_one_report(seeded_defaults, schedule):
    import threading

    from django.db import connections

    due = dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=due)
    barrier, made = threading.Barrier(4), []

    def beat() -> None:
        try:
            barrier.wait()
            made.extend(schedules_due(now=due + dt.timedelta(seconds=1), enqueue=lambda pk: None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and GeneratedReport.objects.count() == 1


def test_the_beat_task_renders_and_emails_through_celery(schedule, django_capture_on_commit_callbacks, monkeypatch):
    due = dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=due)
    monkeypatch.setattr("django.utils.timezone.now", lambda: due + dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert reports_due_task() == 1
    report = GeneratedReport.objects.get()
    assert report.status == "done" and report.emailed_at is not None and len(mail.outbox) == 1
    assert report_render_task(report.pk) is False and len(mail.outbox) == 1


def test_a_report_whose_worker_died_is_claimed_again_after_the_lease(schedule, settings):
    report = GeneratedReport.objects.create(
        kind="weekly", title="x", rendered_as=schedule.rendered_as, period_start=dt.date(2025, 3, 10),
        period_end=dt.date(2025, 3, 16), status="rendering", created_at=dt.datetime(2025, 3, 17, tzinfo=UTC),
        claimed_at=dt.datetime(2025, 3, 17, 7, tzinfo=UTC),
    )  # fmt: skip
    settings.REPORTS_RENDER_LEASE_SECONDS = 600
    assert report_render(report_id=report.pk, now=dt.datetime(2025, 3, 17, 7, 5, tzinfo=UTC)) is False
    assert report_render(report_id=report.pk, now=dt.datetime(2025, 3, 17, 7, 11, tzinfo=UTC)) is True
    report.refresh_from_db()
    assert report.status == "done"


def test_a_failed_send_releases_its_claim_for_the_retry(schedule, monkeypatch):
    report = GeneratedReport.objects.create(
        kind="weekly", title="x", rendered_as=schedule.rendered_as, schedule=schedule, send_email=True,
        period_start=dt.date(2025, 3, 10), period_end=dt.date(2025, 3, 16), status="done", pdf=b"%PDF-1.7",
        created_at=dt.datetime(2025, 3, 17, tzinfo=UTC),
    )  # fmt: skip

    def refuse(self, fail_silently=False):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        report_email(report_id=report.pk)
    report.refresh_from_db()
    assert report.email_claimed_at is None and report.emailed_at is None
    monkeypatch.undo()
    assert report_email(report_id=report.pk) == 2


def test_reports_whose_task_was_lost_are_found_and_done_by_the_beat(schedule, settings):
    """A queued report whose render task the broker lost, and a rendered one whose email task was
    lost or whose emailing worker died, are enqueued again by the due check (renders and sends once)."""
    settings.SWEEP_GRACE_SECONDS = 60
    start = dt.datetime(2025, 3, 17, 7, tzinfo=UTC)
    common = {"kind": "weekly", "rendered_as": schedule.rendered_as, "schedule": schedule, "send_email": True,
              "period_start": dt.date(2025, 3, 10), "period_end": dt.date(2025, 3, 16)}  # fmt: skip
    queued = GeneratedReport.objects.create(title="lost render", status="queued", created_at=start, **common)
    unsent = GeneratedReport.objects.create(
        title="lost email", status="done", pdf=b"%PDF-1.7", created_at=start, finished_at=start, **common
    )
    died = GeneratedReport.objects.create(
        title="died sending", status="done", pdf=b"%PDF-1.7", created_at=start, finished_at=start,
        email_claimed_at=start, **common,
    )  # fmt: skip
    assert reports_stalled(now=start + dt.timedelta(seconds=30)) == ([], []), "within the grace period: queued"
    later = start + dt.timedelta(minutes=11)
    assert reports_stalled(now=later) == ([queued.pk], [unsent.pk, died.pk])

    reports_due_task()  # eager in tests: renders and emails what it re-enqueues

    for report in (queued, unsent, died):
        report.refresh_from_db()
        assert report.status == "done" and report.emailed_at is not None, report.title
    assert len(mail.outbox) == 3
    assert reports_stalled() == ([], [])
    reports_due_task()
    assert len(mail.outbox) == 3, "nothing is sent twice"


MONDAY_RUN = dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


def _run_this_monday(schedule: ReportSchedule) -> None:
    schedules_due(now=MONDAY_RUN - dt.timedelta(hours=1), enqueue=lambda pk: None)  # armed
    assert len(schedules_due(now=MONDAY_RUN + dt.timedelta(seconds=30), enqueue=lambda pk: None)) == 1


def test_moving_the_time_just_after_a_run_takes_effect_next_week(schedule, monkeypatch):
    """Moved from 08:00 to 09:00 half an hour after Monday's run: no second pack for the same week."""
    from django.contrib import admin
    from django.utils import timezone

    from loops.admin import ReportScheduleAdmin

    _run_this_monday(schedule)
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_RUN + dt.timedelta(minutes=30))
    schedule.refresh_from_db()
    schedule.time = dt.time(9, 0)
    ReportScheduleAdmin(ReportSchedule, admin.site).save_model(None, schedule, None, True)  # type: ignore[arg-type]
    assert schedule.next_run_at == MONDAY_RUN + dt.timedelta(days=7, hours=1)
    schedules_due(now=MONDAY_RUN + dt.timedelta(hours=1, seconds=30), enqueue=lambda pk: None)
    assert GeneratedReport.objects.filter(schedule=schedule).count() == 1


def test_changing_the_lists_zone_just_after_a_run_takes_effect_next_week(schedule):
    from types import SimpleNamespace

    from django.contrib import admin

    from loops.admin import DistributionListAdmin

    _run_this_monday(schedule)
    berlin = DistributionList.objects.get(pk=schedule.distribution_list_id)
    berlin.time_zone = "America/New_York"
    berlin.save()
    list_admin = DistributionListAdmin(DistributionList, admin.site)
    unchanged_schedules = SimpleNamespace(save=lambda commit=True: [], deleted_objects=[], save_m2m=lambda: None)
    list_form = SimpleNamespace(instance=berlin, changed_data=["time_zone"])
    list_admin.save_formset(None, list_form, unchanged_schedules, True)  # type: ignore[arg-type]
    schedules_due(now=MONDAY_RUN + dt.timedelta(minutes=30), enqueue=lambda pk: None)  # re-armed
    schedules_due(now=MONDAY_RUN + dt.timedelta(hours=6), enqueue=lambda pk: None)  # 08:00 in New York
    assert GeneratedReport.objects.filter(schedule=schedule).count() == 1
