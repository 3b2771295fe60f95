"""Notifications reach people the way they chose: emailed within a sweep, in one daily digest,
or only in the app; the same fact never notifies twice and no email goes out twice."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from conftest import login
from loops.models import AlertRule, Escalation, Loop, Notification, NotificationSettings
from loops.services.escalation import escalations_run
from loops.services.notifications import notifications_digest_send, notifications_email_pending, notify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_same_fact_notifies_each_person_once(manager, supervisor):
    first = notify(recipients=[manager, supervisor, manager], key="fact:1", kind="x", text="Something happened")
    again = notify(recipients=[manager], key="fact:1", kind="x", text="Something happened")
    assert len(first) == 2 and again == []
    assert Notification.objects.count() == 2


def test_immediate_readers_get_one_email_each_and_never_twice(manager, loop):
    mail.outbox.clear()
    sent = notifications_email_pending()
    assert sent >= 1
    assert [m.to for m in mail.outbox] == [[manager.email]] * sent
    assert f"/crm/loops/{loop.pk}/" in mail.outbox[0].body
    assert notifications_email_pending() == 0
    assert len(mail.outbox) == sent


def test_digest_readers_get_one_email_a_day_and_in_app_readers_none(manager, supervisor, teammate):
    NotificationSettings.objects.create(user=manager, delivery="digest")
    NotificationSettings.objects.create(user=teammate, delivery="none")
    for n in range(3):
        notify(recipients=[manager, teammate], key=f"fact:{n}", kind="x", text=f"Fact {n}")
    assert notifications_email_pending() == 0
    assert notifications_digest_send() == 1
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert "3 things need your attention" in mail.outbox[0].subject
    assert all(f"Fact {n}" in mail.outbox[0].body for n in range(3))
    assert notifications_digest_send() == 0


def test_an_alert_rules_extra_recipient_watches_the_loops_it_opens(answer, contact, outsider):
    """Told of a new loop, they can open it (and hear when it closes)."""
    AlertRule.objects.get(name="Detractor score").extra_recipients.add(outsider)
    loop = Loop.objects.get(response=answer(contact, 2, "Support never called back"))
    assert Notification.objects.filter(recipient=outsider, loop=loop, kind="loop_opened").exists()
    assert login(outsider).get(reverse("loops:loop_detail", args=[loop.pk])).status_code == 200


def test_nobody_is_notified_of_a_loop_they_cannot_open(loop, outsider):
    assert notify(recipients=[outsider], key="test", kind="assigned", text="Look", loop=loop) == []


def test_someone_no_longer_active_is_told_and_emailed_nothing(loop, manager, settings):
    """Not even what was written before they left; the escalation is still recorded."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert Notification.objects.filter(recipient=manager, emailed_at__isnull=True).exists()
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    escalations_run(now=loop.first_contact_warn_at + dt.timedelta(minutes=1))
    assert Escalation.objects.filter(loop=loop, level=0, recipient=manager).exists()
    assert not Notification.objects.filter(recipient=manager, kind="reminder").exists()
    notifications_email_pending()
    assert mail.outbox == []
