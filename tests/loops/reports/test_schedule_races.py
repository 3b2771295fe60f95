"""Report schedules edited while a run is due, and the "Send now" button clicked twice."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.admin import DistributionListAdmin, ReportScheduleAdmin
from loops.models import DistributionList, GeneratedReport, Recipient, ReportSchedule
from loops.reports.distribution import report_email, report_render, schedules_due

pytestmark = pytest.mark.django_db
UTC = dt.UTC
MONDAY_RUN = dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


@pytest.fixture(autouse=True)
def _memory_mail(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def schedule(supervisor, team) -> ReportSchedule:  # type: ignore[no-untyped-def]
    berlin = DistributionList.objects.create(name="North leads", time_zone="Europe/Berlin")
    berlin.recipients.add(Recipient.objects.create(name="Sue", email="sue@staff.example", user=supervisor))
    schedule = ReportSchedule.objects.create(
        name="Weekly North", distribution_list=berlin, kind="weekly", rendered_as=supervisor, team=team,
        weekday=0, time=dt.time(8, 0),
    )  # fmt: skip
    # Last week's run happened; this Monday's is armed.
    schedules_due(now=MONDAY_RUN - dt.timedelta(days=7, hours=1), enqueue=lambda pk: None)
    assert (
        len(schedules_due(now=MONDAY_RUN - dt.timedelta(days=7) + dt.timedelta(seconds=30), enqueue=lambda pk: None))
        == 1
    )
    schedule.refresh_from_db()
    assert schedule.next_run_at == MONDAY_RUN
    return schedule


def test_adding_a_recipient_to_the_list_while_its_run_is_due_still_sends_this_weeks_pack(schedule, monkeypatch):
    """At 08:00:20 (the run is due; beat claims it within the minute) an admin adds a recipient to
    the list: the pack due at 08:00 must still be made, not moved to next Monday."""
    now = MONDAY_RUN + dt.timedelta(seconds=20)
    monkeypatch.setattr(timezone, "now", lambda: now)
    berlin = schedule.distribution_list
    berlin.recipients.add(Recipient.objects.create(name="New lead", email="lead@staff.example"))
    list_admin = DistributionListAdmin(DistributionList, admin.site)
    unchanged_schedules = SimpleNamespace(save=lambda commit=True: [], deleted_objects=[], save_m2m=lambda: None)
    list_form = SimpleNamespace(instance=berlin, changed_data=["recipients"])
    list_admin.save_formset(None, list_form, unchanged_schedules, True)  # type: ignore[arg-type]
    schedules_due(now=MONDAY_RUN + dt.timedelta(seconds=40), enqueue=lambda pk: None)
    schedules_due(now=MONDAY_RUN + dt.timedelta(hours=12), enqueue=lambda pk: None)
    assert GeneratedReport.objects.filter(schedule=schedule, due_at=MONDAY_RUN).count() == 1


def test_renaming_a_schedule_while_its_run_is_due_still_sends_this_weeks_pack(schedule, monkeypatch):
    now = MONDAY_RUN + dt.timedelta(seconds=20)
    monkeypatch.setattr(timezone, "now", lambda: now)
    schedule.name = "Weekly North (leads)"
    ReportScheduleAdmin(ReportSchedule, admin.site).save_model(None, schedule, None, True)  # type: ignore[arg-type]
    schedules_due(now=MONDAY_RUN + dt.timedelta(seconds=40), enqueue=lambda pk: None)
    schedules_due(now=MONDAY_RUN + dt.timedelta(hours=12), enqueue=lambda pk: None)
    assert GeneratedReport.objects.filter(schedule=schedule).exclude(due_at__lt=MONDAY_RUN).count() == 1


def test_an_admin_save_that_read_the_schedule_before_beat_claimed_its_run_makes_no_second_pack(schedule, monkeypatch):
    """The admin's change page reads the schedule (last run: a week ago), beat claims Monday's run
    and commits, then the admin's save (time moved to 09:00) writes the schedule it read: the run
    beat just made must count, so no second pack goes out at 09:00 the same day."""
    admins_copy = ReportSchedule.objects.select_related("distribution_list").get(pk=schedule.pk)
    assert len(schedules_due(now=MONDAY_RUN + dt.timedelta(seconds=5), enqueue=lambda pk: None)) == 1
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_RUN + dt.timedelta(seconds=6))
    admins_copy.time = dt.time(9, 0)
    ReportScheduleAdmin(ReportSchedule, admin.site).save_model(None, admins_copy, None, True)  # type: ignore[arg-type]
    schedules_due(now=MONDAY_RUN + dt.timedelta(hours=1, seconds=30), enqueue=lambda pk: None)
    made_today = GeneratedReport.objects.filter(
        schedule=schedule, due_at__gte=MONDAY_RUN, due_at__lt=MONDAY_RUN + dt.timedelta(days=1)
    )
    assert made_today.count() == 1


def test_send_now_clicked_twice_renders_and_emails_the_pack_once(
    schedule, supervisor, django_capture_on_commit_callbacks
):
    """A double click on "Send now" posts twice; the list must get the pack once."""
    client = login(supervisor)
    url = reverse("loops:schedule_send", args=[schedule.pk])
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(url)
        second = client.post(url)
    assert first.status_code == second.status_code == 302
    for report in GeneratedReport.objects.filter(schedule=schedule, due_at__isnull=True):
        report_render(report_id=report.pk)
        report_email(report_id=report.pk)
    assert GeneratedReport.objects.filter(schedule=schedule, due_at__isnull=True).count() == 1
    assert len(mail.outbox) == 1
