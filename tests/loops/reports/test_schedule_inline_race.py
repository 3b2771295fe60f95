"""A schedule edited inline, on its distribution list's admin page, keeps the run times the due check
wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import BaseModelFormSet
from django.utils import timezone

from conftest import login
from loops.models import DistributionList, GeneratedReport, Recipient, ReportSchedule
from loops.reports.distribution import schedules_due
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
MONDAY_RUN = dt.datetime(2025, 3, 17, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


def test_an_inline_schedule_save_that_read_the_schedule_before_beat_claimed_its_run_keeps_the_due_check_working(
    supervisor, team, monkeypatch
):
    """Same story as test_an_admin_save_that_read_the_schedule_before_beat_claimed_its_run_makes_no_second_pack,
    but the admin moves the time to 09:00 in the schedule's row on the distribution list's page:
    the inline form writes back the run times it read, so the due check meets the run it already
    made (unique schedule + due_at) and fails every minute from then on."""
    berlin = DistributionList.objects.create(name="North leads", time_zone="Europe/Berlin")
    sue = Recipient.objects.create(name="Sue", email="sue@staff.example", user=supervisor)
    berlin.recipients.add(sue)
    schedule = ReportSchedule.objects.create(
        name="Weekly North", distribution_list=berlin, kind="weekly", rendered_as=supervisor, team=team,
        weekday=0, time=dt.time(8, 0),
    )  # fmt: skip
    schedules_due(now=MONDAY_RUN - dt.timedelta(days=7, hours=1), enqueue=lambda pk: None)
    schedules_due(now=MONDAY_RUN - dt.timedelta(days=7) + dt.timedelta(seconds=30), enqueue=lambda pk: None)
    schedule.refresh_from_db()
    assert schedule.next_run_at == MONDAY_RUN

    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_RUN + dt.timedelta(seconds=6))
    client = login(superuser)
    real_save_existing = BaseModelFormSet.save_existing
    claimed: list[int] = []

    def beat_claims_between_read_and_write(self, form, obj, commit=True):  # type: ignore[no-untyped-def]
        # The formset has read the schedule; beat's due check claims Monday's run and commits now.
        if not claimed:
            claimed.extend(schedules_due(now=MONDAY_RUN + dt.timedelta(seconds=5), enqueue=lambda pk: None))
        return real_save_existing(self, form, obj, commit=commit)

    monkeypatch.setattr(BaseModelFormSet, "save_existing", beat_claims_between_read_and_write)
    response = client.post(
        f"/admin/loops/distributionlist/{berlin.pk}/change/",
        {
            "name": "North leads",
            "time_zone": "Europe/Berlin",
            "recipients": [sue.pk],
            "schedules-TOTAL_FORMS": "1",
            "schedules-INITIAL_FORMS": "1",
            "schedules-MIN_NUM_FORMS": "0",
            "schedules-MAX_NUM_FORMS": "1000",
            "schedules-0-id": schedule.pk,
            "schedules-0-distribution_list": berlin.pk,
            "schedules-0-name": "Weekly North",
            "schedules-0-kind": "weekly",
            "schedules-0-rendered_as": supervisor.pk,
            "schedules-0-team": team.pk,
            "schedules-0-account": "",
            "schedules-0-weekday": "0",
            "schedules-0-time": "09:00:00",
            "schedules-0-period_days": "7",
            "schedules-0-active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(claimed) == 1  # beat made Monday's 08:00 run while the admin's save was under way

    # Beat's next due checks, up to the evening: no failure, and no second pack today.
    for minutes in (61, 62, 600):
        schedules_due(now=MONDAY_RUN + dt.timedelta(minutes=minutes), enqueue=lambda pk: None)
    made_today = GeneratedReport.objects.filter(
        schedule=schedule, due_at__gte=MONDAY_RUN, due_at__lt=MONDAY_RUN + dt.timedelta(days=1)
    )
    assert made_today.count() == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at is not None and schedule.next_run_at > MONDAY_RUN + dt.timedelta(hours=10)
