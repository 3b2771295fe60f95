"""REST endpoints of the surveys app: input serializer → service → output. Errors use the project's one format."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from surveys.services.events import MAX_BATCH, EventInput, EventsRefused, events_ingest
from surveys.services.invitations import email_mark_undeliverable


class EventInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=200, help_text="Your id for the event; sending it again does nothing."
    )
    type = serializers.RegexField(r"^[a-z0-9_.:-]{1,100}$", help_text="e.g. ticket.closed")
    contact_external_id = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    account_external_id = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    properties = serializers.DictField(required=False, default=dict)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

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


class EventsView(APIView):
    """POST one event, or {"events": [...]} with up to 1,000. Idempotent by external_id."""

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


class BouncesView(APIView):
    """Your email provider reports a bounce or a spam complaint: the address stops receiving surveys."""

    def post(self, request: Request) -> Response:
        serializer = BounceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        affected = email_mark_undeliverable(email=data["email"], message_id=data["message_id"])
        return Response({"invitations_bounced": affected})
