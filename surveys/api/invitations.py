"""Invitations, read and cancelled. An answered invitation whose customer declined attribution
shows no contact and no event, as in the staff app: its answer time would otherwise name the
anonymous response (the event names its contact)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.models import Invitation
from surveys.selectors.invitations import invitation_list
from surveys.services.invitations import invitation_cancel
from vocplatform.api_filters import DateTimeFilter, IdFilter


class InvitationContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    email = serializers.EmailField()


class InvitationSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    contact = serializers.SerializerMethodField()
    event = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "survey",
            "account",
            "account_external_id",
            "contact",
            "event",
            "status",
            "suppressed_by",
            "suppression_detail",
            "scheduled_for",
            "expires_at",
            "sent_at",
            "opened_at",
            "answered_at",
            "bounced_at",
            "reminders_sent",
            "created_at",
        ]

    @extend_schema_field(InvitationContactSerializer(allow_null=True))
    def get_contact(self, invitation: Invitation) -> dict[str, Any] | None:
        if getattr(invitation, "anonymous", False):
            return None
        contact = invitation.contact
        return {"id": contact.pk, "external_id": contact.external_id, "name": contact.name, "email": contact.email}

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_event(self, invitation: Invitation) -> int | None:
        return None if getattr(invitation, "anonymous", False) else invitation.event_id


class InvitationFilter(django_filters.FilterSet):
    survey = IdFilter(field_name="survey_id")
    account = IdFilter(field_name="account_id")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Invitation
        fields = ["status", "survey", "account", "created_after"]


def _invitations(request: Request) -> QuerySet[Invitation]:
    return invitation_list(viewer=request.user)  # type: ignore[arg-type]


class InvitationListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter

    def get_queryset(self) -> QuerySet[Invitation]:
        return _invitations(self.request)


class InvitationDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = InvitationSerializer

    def get_object(self) -> Invitation:
        return get_object_or_404(_invitations(self.request), pk=self.kwargs["pk"])


class InvitationCancelView(generics.GenericAPIView):  # type: ignore[type-arg]
    """Withdraw a scheduled, sent or opened invitation: nothing more is emailed and the link expires now."""

    serializer_class = InvitationSerializer

    @extend_schema(request=None, responses={200: InvitationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        invitation = get_object_or_404(_invitations(request), pk=pk)
        if not invitation_cancel(invitation_id=invitation.pk):
            current = invitation.get_status_display().lower()
            raise serializers.ValidationError(
                {"status": [f"Only a scheduled, sent or opened invitation can be cancelled; this one is {current}."]}
            )
        return Response(InvitationSerializer(get_object_or_404(_invitations(request), pk=pk)).data)
