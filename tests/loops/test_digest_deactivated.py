"""The daily digest skips a reader deactivated while the digests go out."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from loops.models import Notification, NotificationSettings
from loops.services import notifications
from vocplatform.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_mail(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_a_digest_reader_deactivated_while_the_digests_go_out_gets_no_digest(manager, teammate, monkeypatch):
    """The digest lists its readers, then sends one digest after another. An admin who deactivates
    one reader after the list was read but before their turn must stop their digest (customers'
    complaints, accounts' names), as the immediate emails now do."""
    now = timezone.now()
    for user in (manager, teammate):
        NotificationSettings.objects.create(user=user, delivery=NotificationSettings.Delivery.DIGEST)
        Notification.objects.create(
            recipient=user, key=f"k{user.pk}", kind="alert", text=f"For {user.username}, secret", created_at=now
        )
    real_send = notifications.send_mail
    first: list[str] = []

    def send_then_an_admin_deactivates_the_other(subject, body, sender, to, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent = real_send(subject, body, sender, to, *args, **kwargs)
        if not first:
            first.extend(to)
            other = teammate if to == [manager.email] else manager
            User.objects.filter(pk=other.pk).update(is_active=False)  # committed by the admin meanwhile
        return sent

    monkeypatch.setattr(notifications, "send_mail", send_then_an_admin_deactivates_the_other)
    notifications.notifications_digest_send(now=now)
    assert [message.to for message in mail.outbox] == [first]
