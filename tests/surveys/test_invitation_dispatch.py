"""Dispatch applies every contact-frequency rule, records what suppressed an invitation, and sends each email once."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from surveys.models import Account, FrequencyRule, Invitation, OutboxMessage, Survey
from surveys.services.events import invitation_build
from surveys.services.invitations import (
    contact_opt_out,
    email_mark_undeliverable,
    invitation_dispatch,
    invitation_remind,
    invitations_expire,
    reminders_due,
)
from surveys.services.outbox import outbox_send, outbox_stale
from tests.factories import AccountFactory, ContactFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

# Tomorrow's noon: inside the default send window, and the invitations it makes are still open when
# the outbox sends (it reads the real clock).
NOON_UTC = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def survey():
    survey = SurveyFactory(min_gap_days=90, reminder_count=1, reminder_interval_days=3)
    QuestionFactory(survey=survey, position=0)
    return survey


def invite(survey, contact, when=NOON_UTC):
    invitation = invitation_build(survey=survey, contact=contact, scheduled_for=when)
    invitation.save()
    return invitation


def dispatch(invitation, now=NOON_UTC, capture=None):
    outcome = invitation_dispatch(invitation_id=invitation.pk, now=now)
    invitation.refresh_from_db()
    return outcome


def already_sent(survey, contact, days_ago):
    invitation = invite(survey, contact, NOON_UTC - dt.timedelta(days=days_ago))
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.SENT, sent_at=NOON_UTC - dt.timedelta(days=days_ago)
    )
    return invitation


def test_a_due_invitation_goes_to_the_outbox_and_is_sent_once(survey, contact, django_capture_on_commit_callbacks):
    invitation = invite(survey, contact)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch(invitation) == "sent"
    assert invitation.status == Invitation.Status.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jane@acme.com"]
    assert "/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    assert html.count("?score=") == 11, "the NPS scale is in the email as one-click buttons"
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch(invitation) == "not due"
    assert outbox_send(message_id=OutboxMessage.objects.get().pk) is False
    assert len(mail.outbox) == 1


def test_the_contact_gap_rule_suppresses_a_second_survey_within_30_days(survey, contact):
    other = SurveyFactory()
    already_sent(other, contact, days_ago=29)
    invitation = invite(survey, contact)
    assert dispatch(invitation) == "suppressed: contact_gap"
    assert invitation.status == Invitation.Status.SUPPRESSED
    assert invitation.get_suppressed_by_display() == "Contact was surveyed recently"
    assert "30 days" in invitation.suppression_detail


def test_after_the_gap_the_contact_can_be_asked_again(survey, contact):
    already_sent(SurveyFactory(), contact, days_ago=31)
    assert dispatch(invite(survey, contact)) == "sent"


def test_the_contact_gap_follows_the_admins_setting(survey, contact):
    FrequencyRule.objects.filter(kind="contact_gap").update(days=7)
    already_sent(SurveyFactory(), contact, days_ago=8)
    assert dispatch(invite(survey, contact)) == "sent"


def test_the_per_survey_gap_is_longer_than_the_contact_gap(survey, contact):
    already_sent(survey, contact, days_ago=60)
    assert dispatch(invite(survey, contact)) == "suppressed: survey_gap"


def test_the_account_cap_limits_invitations_per_account(survey):
    FrequencyRule.objects.filter(kind="account_cap").update(limit=2, days=30)
    account = AccountFactory()
    for _ in range(2):
        already_sent(SurveyFactory(), ContactFactory(account=account), days_ago=5)
    assert dispatch(invite(survey, ContactFactory(account=account))) == "suppressed: account_cap"


def test_opted_out_contacts_are_never_sent_to(survey, contact):
    contact_opt_out(contact_id=contact.pk)
    contact.refresh_from_db()
    invitation = invite(survey, contact)
    assert dispatch(invitation) == "suppressed: opted_out"


def test_churned_accounts_are_not_surveyed(survey, contact):
    Account.objects.filter(pk=contact.account_id).update(outcome=Account.Outcome.CHURNED)
    assert dispatch(invite(survey, contact)) == "suppressed: churned"


def test_an_undeliverable_address_is_not_tried_again(survey, contact):
    email_mark_undeliverable(email="JANE@acme.com")
    assert dispatch(invite(survey, contact)) == "suppressed: undeliverable"


def test_an_inactive_survey_sends_nothing(survey, contact):
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.DRAFT)
    assert dispatch(invite(survey, contact)) == "suppressed: survey_not_active"


def test_no_email_at_3am_in_the_contacts_time_zone(survey, contact):
    contact.time_zone = "Asia/Tokyo"  # 12:00 UTC is 21:00 in Tokyo, after the 08–20 window
    contact.save()
    invitation = invite(survey, contact)
    assert dispatch(invitation) == "deferred to the send window"
    assert invitation.status == Invitation.Status.SCHEDULED
    next_morning = NOON_UTC.date() + dt.timedelta(days=1)
    assert invitation.scheduled_for == dt.datetime.combine(
        next_morning, dt.time(8), tzinfo=dt.timezone(dt.timedelta(hours=9))
    )
    assert dispatch(invitation, now=invitation.scheduled_for) == "sent"


def test_the_send_window_survives_a_dst_change(survey, contact):
    contact.time_zone = "Europe/Berlin"  # DST starts 2026-03-29 at 02:00 local
    contact.save()
    late_evening = dt.datetime(2026, 3, 28, 21, 30, tzinfo=dt.UTC)  # 22:30 CET
    invitation = invite(survey, contact, late_evening)
    dispatch(invitation, now=late_evening)
    assert invitation.scheduled_for == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)  # 08:00 CEST


def test_an_invitation_past_its_expiry_is_never_sent(survey, contact):
    invitation = invite(survey, contact)
    assert dispatch(invitation, now=invitation.expires_at + dt.timedelta(minutes=1)) == "expired"


def test_one_reminder_after_three_days_then_none(survey, contact, django_capture_on_commit_callbacks):
    invitation = invite(survey, contact)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(invitation)
    assert reminders_due(now=NOON_UTC + dt.timedelta(days=2, hours=23)) == []
    three_days = NOON_UTC + dt.timedelta(days=3)
    assert reminders_due(now=three_days) == [invitation.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert invitation_remind(invitation_id=invitation.pk, now=three_days) is True
        assert invitation_remind(invitation_id=invitation.pk, now=three_days) is False
    assert [m.subject.startswith("Reminder") for m in mail.outbox] == [False, True]
    assert reminders_due(now=NOON_UTC + dt.timedelta(days=30)) == []


def test_reminders_stop_once_the_customer_answers(survey, contact):
    invitation = invite(survey, contact)
    dispatch(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.ANSWERED, next_reminder_at=None)
    assert reminders_due(now=NOON_UTC + dt.timedelta(days=4)) == []


def test_reminders_stop_when_the_customer_opts_out(survey, contact):
    invitation = invite(survey, contact)
    dispatch(invitation)
    contact_opt_out(contact_id=contact.pk)
    assert reminders_due(now=NOON_UTC + dt.timedelta(days=4)) == []
    assert invitation_remind(invitation_id=invitation.pk, now=NOON_UTC + dt.timedelta(days=4)) is False


def test_several_reminders_are_spaced_by_the_interval(contact):
    survey = SurveyFactory(reminder_count=2, reminder_interval_days=2)
    QuestionFactory(survey=survey, position=0)
    invitation = invite(survey, contact)
    dispatch(invitation)
    assert invitation_remind(invitation_id=invitation.pk, now=NOON_UTC + dt.timedelta(days=2))
    assert not invitation_remind(invitation_id=invitation.pk, now=NOON_UTC + dt.timedelta(days=3))
    assert invitation_remind(invitation_id=invitation.pk, now=NOON_UTC + dt.timedelta(days=4))
    assert OutboxMessage.objects.filter(kind="reminder").count() == 2


def test_open_invitations_expire(survey, contact):
    invitation = invite(survey, contact)
    dispatch(invitation)
    assert invitations_expire(now=invitation.expires_at + dt.timedelta(seconds=1)) == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.EXPIRED


def test_a_bounce_marks_the_open_invitation_bounced(survey, contact):
    invitation = invite(survey, contact)
    dispatch(invitation)
    assert email_mark_undeliverable(email="jane@acme.com") == 1
    invitation.refresh_from_db()
    contact.refresh_from_db()
    assert invitation.status == Invitation.Status.BOUNCED and contact.undeliverable_at is not None


def test_a_send_claimed_by_a_dead_worker_is_handed_out_again_after_the_lease(survey, contact, settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    invitation = invite(survey, contact)
    dispatch(invitation)
    message = OutboxMessage.objects.get()
    claimed = timezone.now() - dt.timedelta(seconds=30)
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", claimed_at=claimed, attempts=1)
    assert outbox_send(message_id=message.pk) is False, "another worker holds a fresh claim"
    assert outbox_stale() == []
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=61))
    assert outbox_stale() == [message.pk]
    assert outbox_send(message_id=message.pk) is True
    assert len(mail.outbox) == 1


def failed_once(survey, contact, settings):
    """The invitation's email, after a send the mail server refused."""
    settings.EMAIL_BACKEND = "tests.surveys.failing_mail.FailingBackend"
    dispatch(invite(survey, contact))
    message = OutboxMessage.objects.get()
    with pytest.raises(ConnectionRefusedError):
        outbox_send(message_id=message.pk)
    message.refresh_from_db()
    return message


def test_a_failed_send_goes_back_to_pending_with_the_error(survey, contact, settings):
    message = failed_once(survey, contact, settings)
    assert message.status == "pending" and "ConnectionRefusedError" in message.last_error


def test_a_bounce_stops_a_retry_waiting_in_the_outbox(survey, contact, settings):
    message = failed_once(survey, contact, settings)
    assert email_mark_undeliverable(email="jane@acme.com") == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_send(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.CANCELLED and mail.outbox == []


def test_a_message_whose_invitation_closed_since_it_was_written_is_cancelled_not_sent(survey, contact):
    """The send re-checks at its claim: an answer, an expiry or a bounce from another path stops it."""
    invitation = invite(survey, contact)
    dispatch(invitation)
    reminder = invitation_remind(invitation_id=invitation.pk, now=NOON_UTC + dt.timedelta(days=3))
    assert reminder
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.ANSWERED)
    for message in OutboxMessage.objects.all():
        assert outbox_send(message_id=message.pk) is False
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.CANCELLED}
    assert mail.outbox == []
    assert outbox_stale(now=NOON_UTC + dt.timedelta(days=30)) == []


def test_a_bounce_on_one_message_stops_reminders_of_the_addresses_other_invitations(contact):
    """A message id bounces only its own invitation, but the address takes no more mail at all."""
    surveys = [SurveyFactory(reminder_count=2, reminder_interval_days=2) for _ in range(2)]
    invitations = []
    for survey in surveys:
        QuestionFactory(survey=survey, position=0)
        invitations.append(invite(survey, contact))
    dispatch(invitations[0])
    Invitation.objects.filter(pk=invitations[1].pk).update(
        status=Invitation.Status.SENT, sent_at=NOON_UTC, next_reminder_at=NOON_UTC + dt.timedelta(days=2)
    )
    first_message = OutboxMessage.objects.get(invitation=invitations[0])
    assert email_mark_undeliverable(email="jane@acme.com", message_id=first_message.message_id) == 1
    invitations[1].refresh_from_db()
    assert invitations[1].status == Invitation.Status.SENT and invitations[1].next_reminder_at is None
    later = NOON_UTC + dt.timedelta(days=2)
    assert invitation_remind(invitation_id=invitations[1].pk, now=later) is False
    assert outbox_send(message_id=first_message.pk) is False and mail.outbox == []


@pytest.mark.parametrize("closing", ["status", "closes_at"])
def test_a_closed_survey_sends_nothing_more(survey, contact, closing):
    """Its link says the survey has closed: no reminder is queued and nothing waiting is sent."""
    invitation = invite(survey, contact)
    dispatch(invitation)
    closed = {"status": Survey.Status.CLOSED, "closes_at": timezone.now() - dt.timedelta(minutes=1)}
    Survey.objects.filter(pk=survey.pk).update(**{closing: closed[closing]})
    later = NOON_UTC + dt.timedelta(days=3)
    assert reminders_due(now=later) == []
    assert invitation_remind(invitation_id=invitation.pk, now=later) is False
    waiting = OutboxMessage.objects.get(invitation=invitation)
    assert outbox_send(message_id=waiting.pk) is False
    waiting.refresh_from_db()
    assert waiting.status == OutboxMessage.Status.CANCELLED and mail.outbox == []


def test_mail_of_an_invitation_past_its_expiry_is_not_sent_before_the_expiry_sweep(survey, contact):
    """Its link is dead as soon as expires_at passes; the status says so only after the sweep."""
    invitation = invite(survey, contact)
    dispatch(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    waiting = OutboxMessage.objects.get(invitation=invitation)
    assert outbox_send(message_id=waiting.pk) is False and mail.outbox == []


def test_a_send_whose_worker_died_is_not_tried_again_once_the_customer_has_answered(survey, contact, settings):
    """The customer may have answered through that very email: the row says it may have gone out."""
    settings.OUTBOX_LEASE_SECONDS = 60
    invitation = invite(survey, contact)
    dispatch(invitation)
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", claimed_at=timezone.now() - dt.timedelta(seconds=61), attempts=1
    )
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.ANSWERED)
    assert outbox_send(message_id=message.pk) is False and mail.outbox == []
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.CANCELLED
    assert message.last_error == "Not tried again: an earlier try may have gone out before its worker died."
