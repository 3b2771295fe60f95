"""Notifications: in the app at once, by email within a minute or in a daily digest, per person.

Producers call `notify` with a key naming the fact ("loop-opened:12"); the unique key
makes a repeated producer harmless. Email goes out from the sweeper's task, which claims
each row before sending, so two workers never send one twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from loops.models import Loop, Notification, NotificationSettings
from loops.selectors.cases import loops_visible
from vocplatform.models import User

# A claimed email whose worker died is retried after this long.
EMAIL_LEASE = dt.timedelta(minutes=10)


def delivery_for(user: User) -> str:
    setting = NotificationSettings.objects.filter(user=user).values_list("delivery", flat=True).first()
    return setting or NotificationSettings.Delivery.IMMEDIATE


def notify(
    *,
    recipients: Iterable[User | None],
    key: str,
    kind: str,
    text: str,
    loop: Loop | None = None,
    now: dt.datetime | None = None,
) -> list[Notification]:
    """Tell each active recipient who may open the loop (when there is one) once. Returns the
    notifications created now (none for a repeat)."""
    created = []
    now = now or timezone.now()
    people = {u.pk: u for u in recipients if u is not None and u.is_active}.values()
    for user in [u for u in people if loop is None or loops_visible(u).filter(pk=loop.pk).exists()]:
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    recipient=user, loop=loop, key=f"{key}:{user.pk}"[:120], kind=kind, text=text[:300], created_at=now
                )
        except IntegrityError:
            continue
        created.append(note)
    # No task per notification: the sweeper emails what is pending every SWEEP_SECONDS, so a burst
    # (a loader, an escalation pass) costs one task, not thousands.
    return created


def _immediate_recipients() -> Q:
    return ~Q(recipient__notification_settings__delivery__in=["digest", "none"])


def notifications_email_pending(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Email unsent notifications of people who want them at once. Safe in parallel: each row is claimed.
    Someone no longer active staff is emailed nothing, not even what was written before they left."""
    now = now or timezone.now()
    pending = Notification.objects.filter(
        _immediate_recipients(),
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_LEASE),
        recipient__is_active=True,
        emailed_at__isnull=True,
        created_at__gte=now - dt.timedelta(days=2),
    ).values_list("pk", flat=True)[:limit]
    sent = 0
    for pk in list(pending):
        # The recipient again in the claim: someone deactivated since the list was read gets nothing.
        claimed = Notification.objects.filter(
            Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_LEASE),
            pk=pk,
            emailed_at__isnull=True,
            recipient__is_active=True,
        ).update(email_claimed_at=now)
        if not claimed:
            continue
        note = Notification.objects.select_related("recipient", "loop").get(pk=pk)
        if note.recipient.email:
            _send(note.recipient, f"[vocplatform] {note.text}", [note])
        Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notifications_digest_send(*, now: dt.datetime | None = None) -> int:
    """Once a day: one email per digest reader with what they have not been emailed yet."""
    now = now or timezone.now()
    readers = User.objects.filter(is_active=True, notification_settings__delivery=NotificationSettings.Delivery.DIGEST)
    sent = 0
    for user in readers:
        with transaction.atomic():
            # Still active as their turn comes (someone deactivated during the run gets nothing).
            if not User.objects.select_for_update().filter(pk=user.pk, is_active=True).exists():
                continue
            notes = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(recipient=user, emailed_at__isnull=True)
                .select_related("loop")[:200]
            )
            if not notes:
                continue
            if user.email:
                _send(user, f"[vocplatform] {len(notes)} things need your attention", notes)
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=now, email_claimed_at=now)
            sent += 1
    return sent


def _send(user: User, subject: str, notes: list[Notification]) -> None:
    context = {"user": user, "notes": notes, "base_url": settings.SITE_URL}
    body = render_to_string("loops/email/notifications.txt", context)
    send_mail(subject[:150], body, settings.DEFAULT_FROM_EMAIL, [user.email])


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    query = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        query = query.filter(pk__in=list(ids))
    return query.update(read_at=timezone.now())
