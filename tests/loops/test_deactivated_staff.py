"""A staff member deactivated while the sweeper is emailing their notifications, or while their report is sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from loops.models import DistributionList, GeneratedReport, Notification, Recipient, ReportSchedule
from loops.reports.distribution import report_email, schedule_report_create
from loops.services import notifications
from vocplatform.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_mail(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_notifications_still_pending_when_their_recipient_is_deactivated_are_not_emailed(
    manager, teammate, monkeypatch
):
    """The sweeper lists the pending notifications, then emails them one by one. An admin who
    deactivates max after the list was read but before his turn came must stop his emails."""
    now = timezone.now()
    # The sweeper takes the newest first: tina's, then max's.
    Notification.objects.create(recipient=manager, key="b", kind="alert", text="For max, secret", created_at=now)
    Notification.objects.create(
        recipient=teammate, key="a", kind="alert", text="For tina", created_at=now + dt.timedelta(milliseconds=1)
    )
    real_send = notifications.send_mail

    def send_then_an_admin_deactivates_max(*args, **kwargs):  # type: ignore[no-untyped-def]
        sent = real_send(*args, **kwargs)
        User.objects.filter(pk=manager.pk).update(is_active=False)  # committed by the admin meanwhile
        return sent

    monkeypatch.setattr(notifications, "send_mail", send_then_an_admin_deactivates_max)
    notifications.notifications_email_pending(now=now + dt.timedelta(seconds=1))
    assert [message.to for message in mail.outbox] == [["tina@staff.example"]]


def test_a_deactivated_staff_members_list_entry_no_longer_gets_the_pack(supervisor, manager, team):
    """max leaves and is deactivated; his entry in the report directory still points at him. The
    weekly pack (customers' comments, owners, overdue loops) must not keep reaching his mailbox."""
    north = DistributionList.objects.create(name="North", time_zone="UTC")
    north.recipients.add(
        Recipient.objects.create(name="Sue", email="sue@staff.example", user=supervisor),
        Recipient.objects.create(name="Max", email="max@staff.example", user=manager),
    )
    schedule = ReportSchedule.objects.create(
        name="Weekly North", distribution_list=north, kind="weekly", rendered_as=supervisor, team=team,
        weekday=0, time=dt.time(8, 0),
    )  # fmt: skip
    report = schedule_report_create(schedule=schedule, run_at=timezone.now(), due_at=None)
    GeneratedReport.objects.filter(pk=report.pk).update(
        status=GeneratedReport.Status.DONE, pdf=b"%PDF-1.7 fake", pages=1, finished_at=timezone.now()
    )
    User.objects.filter(pk=manager.pk).update(is_active=False)
    report_email(report_id=report.pk)
    (message,) = mail.outbox
    assert message.to == ["sue@staff.example"]
