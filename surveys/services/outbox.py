"""The email outbox: a row per message, rendered once, claimed before the send, marked after.

A worker killed mid-send leaves its row in `sending`; the sweeper hands it out
again once the claim's lease has run out. The Message-ID is fixed per row, so
in the rare case of a send that happened but was not marked, the repeat
carries the same id and mail systems can drop it.
"""

from __future__ import annotations

import datetime as dt
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from surveys.models import Invitation, OutboxMessage, Question
from surveys.models.surveys import survey_open
from surveys.services.tokens import survey_url, token_for, unsubscribe_url

MAX_ATTEMPTS = 5


def _one_click_scale(invitation: Invitation, token: str) -> list[dict[str, object]]:
    """Buttons for a first NPS/CSAT/CES/stars question: one click records that score."""
    first = invitation.survey.questions.order_by("position", "pk").first()
    if first is None or not first.is_score or first.kind not in {Question.Kind.NPS, Question.Kind.CSAT}:
        return []
    low, high = first.scale  # type: ignore[misc]
    return [{"score": score, "url": survey_url(token, score=score)} for score in range(low, high + 1)]


def outbox_message_build(*, invitation: Invitation, kind: str, sequence: int) -> tuple[OutboxMessage, bool]:
    """Render the invitation's email into an outbox row (once: the row is unique per step)."""
    existing = OutboxMessage.objects.filter(invitation=invitation, kind=kind, sequence=sequence).first()
    if existing:
        return existing, False
    token = token_for(invitation.token_nonce)
    first = invitation.survey.questions.order_by("position", "pk").first()
    context = {
        "invitation": invitation,
        "survey": invitation.survey,
        "contact": invitation.contact,
        "reminder": kind == OutboxMessage.Kind.REMINDER,
        "question": first,
        "scale": _one_click_scale(invitation, token),
        "survey_url": survey_url(token),
        "unsubscribe_url": unsubscribe_url(token),
    }
    subject = invitation.survey.email_subject
    if kind == OutboxMessage.Kind.REMINDER:
        subject = f"Reminder: {subject}"
    message = OutboxMessage.objects.create(
        invitation=invitation,
        kind=kind,
        sequence=sequence,
        to_email=invitation.contact.email,
        subject=subject,
        body_text=render_to_string("surveys/email/invitation.txt", context),
        body_html=render_to_string("surveys/email/invitation.html", context),
        message_id=make_msgid(domain="vocplatform.localhost"),
    )
    return message, True


def sendable(now: dt.datetime) -> Q:
    """What may still be mailed: the invitation waits for an answer (not answered, expired or
    bounced since the row was written), its survey still takes answers (active, not past its
    closing time) and its address still takes mail (not opted out, no bounce)."""
    return Q(
        invitation__status__in=[Invitation.Status.SENT, Invitation.Status.OPENED],
        invitation__expires_at__gt=now,  # its link is dead even before the expiry sweep marks it
        invitation__contact__opted_out=False,
        invitation__contact__undeliverable_at__isnull=True,
    ) & survey_open(now, "invitation__survey__")


def _claim(message_id: int, now: dt.datetime) -> bool:
    """Claim the row for this send if it is due and may still be mailed; cancel it if it may not.

    Both conditions sit in the UPDATE, so a bounce, an answer or a closed survey since the row was
    written (or while a retry waited) stops it: a retry to a bounced address, a reminder to a
    customer who has answered, an invitation to a survey that no longer takes answers never go out.
    """
    lease = dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    claimable = Q(status=OutboxMessage.Status.PENDING) | Q(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=now - lease
    )
    if OutboxMessage.objects.filter(claimable, sendable(now), pk=message_id).update(
        status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    ):
        return True
    # A claim whose worker died may have sent it already (the customer may have answered through
    # it): the row says so, rather than passing for one that never went out.
    maybe_sent = "Not tried again: an earlier try may have gone out before its worker died."
    OutboxMessage.objects.filter(claimable, pk=message_id).exclude(sendable(now)).update(
        status=OutboxMessage.Status.CANCELLED,
        last_error=Case(
            When(status=OutboxMessage.Status.SENDING, then=Value(maybe_sent)),
            default=F("last_error"),
            output_field=TextField(),
        ),
    )
    return False


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    survey = message.invitation.survey
    sender = survey.from_email or settings.DEFAULT_FROM_EMAIL
    if survey.from_name:
        # Each falls back on its own: a name with the default address, or an address alone.
        sender = formataddr((survey.from_name, parseaddr(sender)[1]))
    unsubscribe = unsubscribe_url(token_for(message.invitation.token_nonce))
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=sender,
        to=[message.to_email],
        reply_to=[survey.reply_to] if survey.reply_to else None,
        headers={
            "Message-ID": message.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Vocplatform-Outbox": str(message.pk),
        },
    )
    email.attach_alternative(message.body_html, "text/html")
    return email


def outbox_send(*, message_id: int) -> bool:
    """Send one message if it can be claimed. True when this call sent it.

    The row is marked sent as soon as the server has accepted the message, before the
    connection's closing round trip: a worker killed in between is the one window in which a
    message can go out twice (with the same Message-ID), and this keeps it to milliseconds.
    """
    now = timezone.now()
    if not _claim(message_id, now):
        return False
    message = OutboxMessage.objects.select_related("invitation__survey").get(pk=message_id)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        sent = connection.send_messages([_email(message)])
        if not sent:
            raise RuntimeError("the email backend reported that nothing was sent")
    except Exception as exc:
        failed = message.attempts >= MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.SENDING).update(
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        connection.close()
        raise
    OutboxMessage.objects.filter(pk=message_id).update(status=OutboxMessage.Status.SENT, sent_at=timezone.now())
    connection.close()
    return True


def outbox_stale(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Messages whose send was lost, due for another try.

    Pending for longer than the back-off of their attempts so far (the queue lost the task, or
    a send failed), or claimed by a worker that has not finished within the lease (it died).
    A message out of attempts is marked failed instead, for staff to see in the outbox.
    """
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=now - lease, attempts__gte=MAX_ATTEMPTS
    ).update(status=OutboxMessage.Status.FAILED, last_error="gave up: no worker finished the send")
    candidates = OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.PENDING, created_at__lt=now - lease)
        | Q(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - lease),
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("created_at")[:limit]
    return [
        message.pk
        for message in candidates.only("pk", "status", "attempts", "claimed_at")
        if message.status == OutboxMessage.Status.SENDING or _backed_off(message, now, lease)
    ]


def _backed_off(message: OutboxMessage, now: dt.datetime, lease: dt.timedelta) -> bool:
    # Exponential back-off between attempts: lease, 2 x lease, 4 x lease, ...
    if not message.attempts or message.claimed_at is None:
        return True
    return now - message.claimed_at >= lease * 2 ** (message.attempts - 1)


@transaction.atomic
def outbox_cancel_for(*, invitation_id: int) -> int:
    return OutboxMessage.objects.filter(invitation_id=invitation_id, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.CANCELLED
    )
