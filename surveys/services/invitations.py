"""The invitation state machine after scheduling: dispatch (frequency rules, then the outbox),
reminders, expiry, bounces and opt-outs. Each step claims its rows so it can run twice safely."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from surveys.models import Contact, Invitation, OutboxMessage
from surveys.models.surveys import survey_open
from surveys.services.frequency import active_rules, next_send_time, suppression_for
from surveys.services.outbox import outbox_message_build
from surveys.services.tokens import token_for
from surveys.signals import invitation_bounced
from vocplatform.queueing import enqueue_on_commit

DISPATCH_BATCH = 200


def _enqueue_send(message_id: int) -> None:
    from surveys.tasks import outbox_send_task

    enqueue_on_commit(outbox_send_task, message_id, swept=True)


@transaction.atomic
def invitation_dispatch(*, invitation_id: int, now: dt.datetime | None = None) -> str:
    """Suppress, defer to the send window, or hand the invitation to the outbox. Returns what happened."""
    now = now or timezone.now()
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("survey", "contact", "account")
        .filter(pk=invitation_id, status=Invitation.Status.SCHEDULED, scheduled_for__lte=now)
        .first()
    )
    if invitation is None:
        return "not due"
    # Lock the contact too: two invitations for one contact dispatched at once must see each other.
    Contact.objects.select_for_update().filter(pk=invitation.contact_id).first()
    rules = active_rules()
    if now >= invitation.expires_at:
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.EXPIRED)
        return "expired"
    suppressed = suppression_for(invitation, now=now, rules=rules)
    if suppressed:
        Invitation.objects.filter(pk=invitation.pk).update(
            status=Invitation.Status.SUPPRESSED, suppressed_by=suppressed.rule, suppression_detail=suppressed.detail
        )
        return f"suppressed: {suppressed.rule}"
    send_at = next_send_time(invitation.contact.time_zone, now=now, rules=rules)
    if send_at > now:
        Invitation.objects.filter(pk=invitation.pk).update(scheduled_for=send_at)
        return "deferred to the send window"
    message, created = outbox_message_build(invitation=invitation, kind=OutboxMessage.Kind.INVITATION, sequence=0)
    survey = invitation.survey
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.SENT,
        sent_at=now,
        next_reminder_at=now + dt.timedelta(days=survey.reminder_interval_days) if survey.reminder_count else None,
    )
    if created:
        _enqueue_send(message.pk)
    return "sent"


def invitations_dispatch(*, invitation_ids: Iterable[int]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for invitation_id in invitation_ids:
        outcome = invitation_dispatch(invitation_id=invitation_id).split(":")[0]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def invitations_due(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    now = now or timezone.now()
    due = Invitation.objects.filter(status=Invitation.Status.SCHEDULED, scheduled_for__lte=now)
    return list(due.order_by("scheduled_for").values_list("pk", flat=True)[:limit])


@transaction.atomic
def invitation_remind(*, invitation_id: int, now: dt.datetime | None = None) -> bool:
    """Queue the next reminder if one is due; the conditional update on reminders_sent claims it."""
    now = now or timezone.now()
    invitation = (
        Invitation.objects.select_related("survey", "contact", "account")
        .filter(pk=invitation_id, status__in=[Invitation.Status.SENT, Invitation.Status.OPENED])
        .filter(next_reminder_at__lte=now, expires_at__gt=now, contact__opted_out=False)
        .filter(survey_open(now), contact__undeliverable_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.reminders_sent >= invitation.survey.reminder_count:
        return False
    window_opens = next_send_time(invitation.contact.time_zone, now=now)
    if window_opens > now:
        # Outside the send window: due again when it opens, so that the sweep's batch of the
        # oldest due reminders is not filled by ones that cannot go yet.
        Invitation.objects.filter(pk=invitation.pk, reminders_sent=invitation.reminders_sent).update(
            next_reminder_at=window_opens
        )
        return False
    sequence = invitation.reminders_sent + 1
    more = sequence < invitation.survey.reminder_count
    claimed = Invitation.objects.filter(pk=invitation.pk, reminders_sent=invitation.reminders_sent).update(
        reminders_sent=sequence,
        next_reminder_at=now + dt.timedelta(days=invitation.survey.reminder_interval_days) if more else None,
    )
    if not claimed:
        return False
    message, created = outbox_message_build(invitation=invitation, kind=OutboxMessage.Kind.REMINDER, sequence=sequence)
    if created:
        _enqueue_send(message.pk)
    return created


def reminders_due(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    now = now or timezone.now()
    # What invitation_remind checks, so that reminders it would skip (an expired link, a contact
    # opted out by an import, a bounced address) cannot fill every batch ahead of due ones.
    due = Invitation.objects.filter(
        survey_open(now),
        status__in=[Invitation.Status.SENT, Invitation.Status.OPENED],
        next_reminder_at__lte=now,
        expires_at__gt=now,
        reminders_sent__lt=F("survey__reminder_count"),
        contact__opted_out=False,
        contact__undeliverable_at__isnull=True,
    )
    return list(due.order_by("next_reminder_at").values_list("pk", flat=True)[:limit])


def invitations_expire(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return Invitation.objects.filter(status__in=Invitation.OPEN_STATUSES, expires_at__lte=now).update(
        status=Invitation.Status.EXPIRED, next_reminder_at=None
    )


def invitation_mark_opened(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT).update(
        status=Invitation.Status.OPENED, opened_at=timezone.now()
    )


def contacts_at(email: str) -> QuerySet[Contact]:
    """The contacts of every account with this address, in any case. An ASCII address is matched by
    the database; others are compared in Python, since SQLite's LIKE (iexact) folds ASCII letters
    only ("BÜCHER" and "bücher" differ there, not on PostgreSQL)."""
    if email.isascii():
        return Contact.objects.filter(email__iexact=email)
    # Narrowed first by the address's longest ASCII part, which both databases match in any case.
    ascii_part = max(re.findall(r"[\x00-\x7f]+", email), key=len, default="@")
    wanted = email.lower()
    candidates = Contact.objects.filter(email__icontains=ascii_part).values_list("pk", "email")
    return Contact.objects.filter(pk__in=[pk for pk, stored in candidates if stored.lower() == wanted])


@transaction.atomic
def contact_opt_out(*, contact_id: int) -> bool:
    """Opt the contact out of every survey, and with it every contact of any account with the same
    address (one person asked): pending invitations and reminders stop. False if already out."""
    now = timezone.now()
    email = Contact.objects.filter(pk=contact_id).values_list("email", flat=True).first()
    contacts = Contact.objects.filter(Q(pk=contact_id) | Q(pk__in=contacts_at(email or "").values("pk")))
    changed = contacts.filter(opted_out=False).update(opted_out=True, opted_out_at=now)
    Invitation.objects.filter(contact__in=contacts, status=Invitation.Status.SCHEDULED).update(
        status=Invitation.Status.SUPPRESSED,
        suppressed_by=Invitation.Suppression.OPTED_OUT,
        suppression_detail="opted out before sending",
    )
    Invitation.objects.filter(contact__in=contacts, next_reminder_at__isnull=False).update(next_reminder_at=None)
    OutboxMessage.objects.filter(invitation__contact__in=contacts, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.CANCELLED
    )
    return bool(changed)


@transaction.atomic
def email_mark_undeliverable(*, email: str, message_id: str = "") -> int:
    """A bounce or complaint: the address is undeliverable and its open invitations bounced.

    With a ``message_id`` only the invitation that message belonged to (and any not yet sent) is
    bounced; the address still gets no more mail: no reminders, and nothing waiting in the outbox.
    """
    now = timezone.now()
    contacts = contacts_at(email)
    contacts.filter(undeliverable_at__isnull=True).update(undeliverable_at=now)
    Invitation.objects.filter(contact__in=contacts, next_reminder_at__isnull=False).update(next_reminder_at=None)
    OutboxMessage.objects.filter(invitation__contact__in=contacts, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.CANCELLED
    )
    affected = Invitation.objects.filter(contact__in=contacts, status__in=Invitation.OPEN_STATUSES)
    if message_id:
        affected = affected.filter(Q(messages__message_id=message_id) | Q(status=Invitation.Status.SCHEDULED))
    candidates = list(affected.values_list("pk", flat=True).distinct())
    # The status again in the UPDATE: an answer committed since the read (the UPDATE waited for its
    # row lock, then re-checks the row) keeps its invitation answered.
    bounced = Invitation.objects.filter(pk__in=candidates, status__in=Invitation.OPEN_STATUSES)
    bounced.update(status=Invitation.Status.BOUNCED, bounced_at=now, next_reminder_at=None)
    ids = list(
        Invitation.objects.filter(pk__in=candidates, status=Invitation.Status.BOUNCED, bounced_at=now).values_list(
            "pk", flat=True
        )
    )
    for invitation_id in ids:
        transaction.on_commit(lambda pk=invitation_id: invitation_bounced.send(Invitation, invitation_id=pk))  # type: ignore[misc]
    return len(ids)


def invitation_link_token(invitation: Invitation) -> str:
    return token_for(invitation.token_nonce)


@transaction.atomic
def invitation_cancel(*, invitation_id: int, now: dt.datetime | None = None) -> bool:
    """Withdraw an invitation nobody has answered: no more emails, and its link stops working.
    (There is no "cancelled" status: a withdrawn invitation expires now.) False if it was not open."""
    now = now or timezone.now()
    withdrawn = Invitation.objects.filter(pk=invitation_id, status__in=Invitation.OPEN_STATUSES).update(
        status=Invitation.Status.EXPIRED, expires_at=now, next_reminder_at=None
    )
    if withdrawn:
        OutboxMessage.objects.filter(invitation_id=invitation_id, status=OutboxMessage.Status.PENDING).update(
            status=OutboxMessage.Status.CANCELLED
        )
    return bool(withdrawn)
