"""The reminder sweep, every SWEEP_SECONDS, takes the oldest due reminders in batches: reminders that
cannot go now (opted out, bounced, expired, outside the send window) must not starve the rest."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from surveys.models import Invitation, OutboxMessage
from surveys.services.frequency import next_send_time
from surveys.services.invitations import invitation_remind, reminders_due
from surveys.tasks import invitations_sweep_task
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def zone_at_noon() -> str:
    """A time zone where it is about noon now, inside the default 08:00-20:00 send window."""
    offset = (12 - timezone.now().hour) % 24
    if offset > 12:
        offset -= 24
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-2 is UTC+2


@pytest.fixture
def survey():
    survey = SurveyFactory(reminder_count=1, reminder_interval_days=3)
    QuestionFactory(survey=survey, position=0)
    return survey


def sent_invitation(survey, contact, reminder_due: dt.datetime) -> Invitation:
    now = timezone.now()
    return InvitationFactory(
        survey=survey,
        contact=contact,
        status=Invitation.Status.SENT,
        scheduled_for=now - dt.timedelta(days=5),
        sent_at=now - dt.timedelta(days=5),
        next_reminder_at=reminder_due,
        expires_at=now + dt.timedelta(days=20),
    )


def test_contacts_unsubscribed_by_a_crm_import_do_not_hold_up_everyone_elses_reminders(survey, tmp_path):
    now = timezone.now()
    # 200 customers were invited; then the nightly CRM sync marked them unsubscribed.
    crm = AccountFactory(external_id="BIG")
    lines = ["id,account,email,opted_out"]
    for n in range(200):
        contact = ContactFactory(account=crm, external_id=f"C{n}", email=f"c{n}@big.example", time_zone=zone_at_noon())
        sent_invitation(survey, contact, reminder_due=now - dt.timedelta(days=2))
        lines.append(f"C{n},BIG,c{n}@big.example,yes")
    csv = tmp_path / "crm.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import_contacts", str(csv), stdout=io.StringIO(), stderr=io.StringIO())
    # One customer who is still subscribed and whose reminder is due now.
    jane = ContactFactory(email="jane@acme.example", time_zone=zone_at_noon())
    invitation = sent_invitation(survey, jane, reminder_due=now - dt.timedelta(hours=1))

    for _ in range(3):  # three sweeps, three minutes
        invitations_sweep_task()

    invitation.refresh_from_db()
    # The sweep takes the 200 oldest due reminders: ones that cannot go must not fill every batch.
    assert invitation.reminders_sent == 1
    assert OutboxMessage.objects.filter(invitation=invitation, kind=OutboxMessage.Kind.REMINDER).exists()


def night_zone() -> str:
    """A time zone where it is about 02:00 now, outside the default 08:00-20:00 send window."""
    offset = (2 - timezone.now().hour) % 24
    if offset > 12:
        offset -= 24
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def test_a_reminder_due_at_night_waits_for_the_send_window_instead_of_blocking_the_batch(survey):
    now = timezone.now()
    sleeper = ContactFactory(time_zone=night_zone())
    invitation = sent_invitation(survey, sleeper, reminder_due=now - dt.timedelta(hours=1))

    assert reminders_due(now=now) == [invitation.pk]
    assert invitation_remind(invitation_id=invitation.pk, now=now) is False

    invitation.refresh_from_db()
    assert invitation.reminders_sent == 0
    assert invitation.next_reminder_at == next_send_time(sleeper.time_zone, now=now) > now
    assert reminders_due(now=now) == []


def test_a_publish_the_broker_refuses_stops_none_of_the_sweeps_other_work(survey, monkeypatch):
    from kombu.exceptions import OperationalError

    from surveys import tasks

    def refused(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    now = timezone.now()
    due = InvitationFactory(survey=survey, status=Invitation.Status.SCHEDULED, scheduled_for=now)
    stale = sent_invitation(survey, ContactFactory(), reminder_due=None)
    Invitation.objects.filter(pk=stale.pk).update(expires_at=now - dt.timedelta(minutes=1))
    monkeypatch.setattr(tasks.invitations_dispatch_task, "delay", refused)

    outcome = invitations_sweep_task()

    assert outcome["due"] == 1  # found; its task waits for the next sweep
    assert Invitation.objects.get(pk=due.pk).status == Invitation.Status.SCHEDULED
    assert outcome["expired"] == 1
    assert Invitation.objects.get(pk=stale.pk).status == Invitation.Status.EXPIRED
