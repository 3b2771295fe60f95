"""Read queries over the path from an event to an email: events, invitations and outbox messages.

Each is narrowed by the visibility rule first, through the account it belongs to.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from surveys.models import Event, Invitation, OutboxMessage, Response
from vocplatform.models import User
from vocplatform.visibility import _System, visible

Viewer = User | AnonymousUser | _System


def invitation_list(*, viewer: Viewer, status: str = "", survey: int | None = None) -> QuerySet[Invitation]:
    invitations = visible(Invitation.objects.all(), viewer, "account")
    if status:
        invitations = invitations.filter(status=status)
    if survey:
        invitations = invitations.filter(survey_id=survey)
    # An answered invitation whose response declined attribution shows no contact: its answer
    # time would otherwise tie the anonymous response in the browser to a name.
    anonymous = Exists(Response.objects.filter(invitation=OuterRef("pk"), consent_to_attribution=False))
    return (
        invitations.select_related("survey", "contact", "account")
        .annotate(anonymous=anonymous)
        .order_by("-created_at", "-pk")
    )


def outbox_message_list(*, viewer: Viewer, status: str = "") -> QuerySet[OutboxMessage]:
    messages = visible(OutboxMessage.objects.all(), viewer, "invitation__account")
    if status:
        messages = messages.filter(status=status)
    # The bodies are the bulk of a row and a list never shows them.
    return messages.defer("body_text", "body_html").order_by("-created_at", "-pk")


def outbox_message_get(*, viewer: Viewer, pk: int) -> OutboxMessage:
    messages = visible(OutboxMessage.objects.all(), viewer, "invitation__account")
    return get_object_or_404(messages.select_related("invitation__survey", "invitation__account"), pk=pk)


def event_list(*, viewer: Viewer) -> QuerySet[Event]:
    events = visible(Event.objects.all(), viewer, "account")
    return (
        events.select_related("contact", "account")
        .annotate(invitation_count=Count("invitations"))
        .order_by("-received_at", "-pk")
    )
