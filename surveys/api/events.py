"""Events from other systems (POST, idempotent by external id), the events list, and bounces."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.models import Event
from surveys.selectors.invitations import event_list
from surveys.services.events import MAX_BATCH, EventInput, EventsRefused, events_ingest
from surveys.services.invitations import email_mark_undeliverable
from vocplatform.api_fields import JSONObjectField
from vocplatform.api_filters import DateTimeFilter, IdFilter
from vocplatform.permissions import AdminForWrites, HasScope, IsStaffUser

INTAKE_SCOPES = {"POST": ("events", "write")}
OCCURRED_AT_SKEW = dt.timedelta(days=1)
OCCURRED_AT_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class EventInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=200, help_text="Your id for the event; sending it again does nothing."
    )
    type = serializers.RegexField(r"^[a-z0-9_.:-]{1,100}$", help_text="e.g. ticket.closed")
    contact_external_id = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    account_external_id = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    properties = JSONObjectField(required=False, default=dict)
    occurred_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When it happened; now if left out."
    )

    def validate_occurred_at(self, value: dt.datetime | None) -> dt.datetime | None:
        """An event is in the past (a day's clock skew allowed) and after 2000: an invitation's send
        time and expiry are counted from it, and dates near the end of the calendar overflow."""
        if value is None:
            return value
        if value > timezone.now() + OCCURRED_AT_SKEW:
            raise serializers.ValidationError("An event cannot have happened more than a day from now.")
        if value < OCCURRED_AT_EARLIEST:
            raise serializers.ValidationError("An event must have happened in 2000 or later.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("contact_external_id") and not attrs.get("contact_email"):
            raise serializers.ValidationError({"contact_external_id": "Give contact_external_id or contact_email."})
        return attrs


class EventBatchSerializer(serializers.Serializer):
    # many=True makes a ListSerializer, which takes max_length; the stubs only know the child's arguments.
    events = EventInputSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)  # type: ignore[call-arg]


class EventResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    invitations = serializers.IntegerField()


class EventSerializer(serializers.ModelSerializer):
    contact_external_id = serializers.CharField(source="contact.external_id", allow_null=True)
    account_external_id = serializers.CharField(source="account.external_id")
    invitation_count = serializers.IntegerField()

    class Meta:
        model = Event
        fields = [
            "id",
            "external_id",
            "type",
            "contact",
            "contact_external_id",
            "account",
            "account_external_id",
            "properties",
            "occurred_at",
            "received_at",
            "source",
            "invitation_count",
        ]


class EventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter()
    account = IdFilter(field_name="account_id")
    occurred_after = DateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = DateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["type", "account", "source"]


class EventsView(generics.ListAPIView):  # type: ignore[type-arg]
    """GET: the events on the caller's accounts. POST: one event, or {"events": [...]} with up to 1,000;
    idempotent by external_id (CX admins, or keys with the events or write scope)."""

    permission_classes = [IsStaffUser, HasScope, AdminForWrites]
    required_scopes = INTAKE_SCOPES
    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self) -> QuerySet[Event]:
        return event_list(viewer=self.request.user)  # type: ignore[arg-type]

    @extend_schema(
        request=EventInputSerializer,
        responses={201: EventResultSerializer, 200: OpenApiResponse(EventResultSerializer, "All were duplicates.")},
        description='One event as the body, or a batch as {"events": [...]} (up to 1,000; all or nothing).',
    )
    def post(self, request: Request) -> Response:
        batch = isinstance(request.data, dict) and "events" in request.data
        serializer = (EventBatchSerializer if batch else EventInputSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data["events"] if batch else [serializer.validated_data]
        try:
            with transaction.atomic():
                result = events_ingest(items=[EventInput(**row) for row in rows])
        except EventsRefused as refused:
            fields = {"events": {str(i): e for i, e in refused.errors.items()}} if batch else refused.errors[0]
            raise serializers.ValidationError(fields) from None
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(EventResultSerializer(result).data, status=code)


class BounceSerializer(serializers.Serializer):
    email = serializers.EmailField()
    kind = serializers.ChoiceField(choices=["bounce", "complaint"], default="bounce")
    message_id = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class BounceResultSerializer(serializers.Serializer):
    invitations_bounced = serializers.IntegerField()


class BouncesView(generics.GenericAPIView):  # type: ignore[type-arg]
    """Your email provider reports a bounce or a spam complaint: the address stops receiving surveys."""

    permission_classes = [IsStaffUser, HasScope, AdminForWrites]
    required_scopes = INTAKE_SCOPES
    serializer_class = BounceSerializer

    @extend_schema(responses={200: BounceResultSerializer})
    def post(self, request: Request) -> Response:
        serializer = BounceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        affected = email_mark_undeliverable(email=data["email"], message_id=data["message_id"])
        return Response({"invitations_bounced": affected})
