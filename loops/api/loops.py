"""Loops over the API, with the staff app's rules: the services in loops.services.cases decide what
may change (status order, first contact before "contacted", closing needs a summary and a root cause,
and a reason when no contact was logged). A loop the caller may not see is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from loops.forms import CHANNELS, STEP_DUE_MAX_DAYS_AGO
from loops.models import Loop, Note, PlanStep, Priority, RootCause
from loops.selectors.cases import loop_get, loops_visible, next_due
from loops.services import cases
from surveys.api.responses import AttributionSerializer
from vocplatform.api_fields import UsernameField
from vocplatform.api_filters import DateTimeFilter, IdFilter
from vocplatform.models import Team, User


class StepSerializer(serializers.ModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PlanStep
        fields = ["id", "description", "owner", "due_on", "status", "done_at", "created_at"]


class NoteSerializer(serializers.ModelSerializer):
    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Note
        fields = ["id", "kind", "channel", "text", "author", "created_at"]


class LoopSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    queue_team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True
    )
    root_causes = serializers.ManyRelatedField(
        child_relation=serializers.SlugRelatedField(slug_field="name", read_only=True), read_only=True
    )
    next_due_at = serializers.DateTimeField(source="next_due", read_only=True, allow_null=True)

    class Meta:
        model = Loop
        fields = [
            "id",
            "status",
            "priority",
            "account",
            "account_external_id",
            "account_name",
            "response",
            "owner",
            "queue_team",
            "reason_for_engagement",
            "opened_at",
            "first_contact_at",
            "first_contact_due_at",
            "resolution_due_at",
            "next_due_at",
            "waiting_since",
            "resolved_at",
            "closed_at",
            "escalation_level",
            "reopened_count",
            "effort_hours",
            "expenses",
            "resolution_summary",
            "root_causes",
            "recovered",
        ]


class LoopDetailSerializer(LoopSerializer):
    customer = serializers.SerializerMethodField(help_text="Only where the customer consented to attribution.")
    steps = StepSerializer(many=True, read_only=True)
    notes = NoteSerializer(many=True, read_only=True)

    class Meta(LoopSerializer.Meta):
        fields = [*LoopSerializer.Meta.fields, "customer", "steps", "notes"]

    @extend_schema_field(AttributionSerializer(allow_null=True))
    def get_customer(self, loop: Loop) -> dict[str, str] | None:
        name, email = getattr(loop, "attributed_name", ""), getattr(loop, "attributed_email", "")
        return {"name": name, "email": email} if (name or email) else None


class LoopFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Loop.Status.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    owner = django_filters.CharFilter(field_name="owner__username", help_text="The owner's username.")
    account = IdFilter(field_name="account_id")
    opened_after = DateTimeFilter(field_name="opened_at", lookup_expr="gte")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Past the deadline that matters now.")

    class Meta:
        model = Loop
        fields = ["status", "priority", "owner", "account", "opened_after", "overdue"]

    def filter_overdue(self, queryset: QuerySet[Loop], name: str, value: bool | None) -> QuerySet[Loop]:
        if value is None:
            return queryset
        late = Q(next_due__lt=timezone.now(), waiting_since__isnull=True, status__in=Loop.OPEN_STATUSES)
        # A waived SLA leaves next_due NULL; such a loop is not late, and a NULL must not drop it from
        # the negation (NOT (NULL < now) is NULL, not true).
        return queryset.filter(late) if value else queryset.filter(Q(next_due__isnull=True) | ~late)


def _loops(request: Request) -> QuerySet[Loop]:
    return (
        loops_visible(request.user)  # type: ignore[arg-type]
        .annotate(next_due=next_due())
        .select_related("account", "owner", "queue_team")
        .prefetch_related("root_causes")
    )


class LoopListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = LoopSerializer
    filterset_class = LoopFilter

    def get_queryset(self) -> QuerySet[Loop]:
        return _loops(self.request)


def _detail(request: Request, pk: int) -> dict[str, Any]:
    loop = loop_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
    return LoopDetailSerializer(loop).data  # type: ignore[return-value]


class LoopDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = LoopDetailSerializer

    def get_object(self) -> Loop:
        return loop_get(viewer=self.request.user, pk=self.kwargs["pk"])  # type: ignore[arg-type]


def _actor(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


STATUS_CHANGES = [(s.value, s.label) for s in (Loop.Status.CONTACTED, Loop.Status.IN_PROGRESS, Loop.Status.RESOLVED)]


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=STATUS_CHANGES,
        help_text="Forward only: new → contacted/in progress → resolved. Close with /close.",
    )


class LoopStatusView(generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = StatusSerializer

    @extend_schema(responses={200: LoopDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        loop = loop_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
        data = self._valid(request)
        cases.loop_set_status(loop_id=loop.pk, actor=_actor(request), status=data["status"])
        return Response(_detail(request, pk))

    def _valid(self, request: Request) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data  # type: ignore[return-value]


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)
    kind = serializers.ChoiceField(
        choices=Note.Kind.choices, default=Note.Kind.NOTE, help_text="contact: a conversation with the customer."
    )
    channel = serializers.ChoiceField(
        choices=CHANNELS, required=False, allow_blank=True, default="", help_text="How the customer was reached."
    )
    at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="When the contact was.")


class LoopNotesView(LoopStatusView):
    """Add a note, or log a customer contact (the first one meets the first-contact SLA)."""

    serializer_class = NoteInputSerializer  # type: ignore[assignment]

    @extend_schema(responses={201: NoteSerializer})
    def post(self, request: Request, pk: int) -> Response:
        loop = loop_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
        data = self._valid(request)
        if data["kind"] == Note.Kind.CONTACT:
            note = cases.loop_log_contact(
                loop_id=loop.pk, actor=_actor(request), channel=data["channel"], text=data["text"], at=data["at"]
            )
        else:
            note = cases.note_add(loop_id=loop.pk, actor=_actor(request), text=data["text"])
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class StepInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=300)
    owner = UsernameField(help_text="Username or email of the staff member who does it.")
    due_on = serializers.DateField()

    def validate_due_on(self, due: dt.date) -> dt.date:
        if due < timezone.localdate() - dt.timedelta(days=STEP_DUE_MAX_DAYS_AGO):
            raise serializers.ValidationError("That date is more than a year ago.")
        return due


class LoopStepsView(LoopStatusView):
    serializer_class = StepInputSerializer  # type: ignore[assignment]

    @extend_schema(responses={201: StepSerializer})
    def post(self, request: Request, pk: int) -> Response:
        loop = loop_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
        data = self._valid(request)
        step = cases.step_add(
            loop_id=loop.pk,
            actor=_actor(request),
            description=data["description"],
            owner=data["owner"],
            due_on=data["due_on"],
        )
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)


class CloseSerializer(serializers.Serializer):
    resolution_summary = serializers.CharField(max_length=10_000)
    root_causes = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=RootCause.objects.filter(active=True), help_text="Root cause names."
    )
    reason_without_contact = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required when no contact is logged."
    )
    send_followup = serializers.BooleanField(default=False, help_text="Ask the customer whether it is resolved.")


class LoopCloseView(LoopStatusView):
    serializer_class = CloseSerializer  # type: ignore[assignment]

    @extend_schema(responses={200: LoopDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        loop = loop_get(viewer=request.user, pk=pk)  # type: ignore[arg-type]
        data = self._valid(request)
        cases.loop_close(
            loop_id=loop.pk,
            actor=_actor(request),
            resolution_summary=data["resolution_summary"],
            root_causes=data["root_causes"],
            reason_without_contact=data["reason_without_contact"],
            send_followup=data["send_followup"],
        )
        return Response(_detail(request, pk))


class RootCauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = RootCause
        fields = ["id", "name", "description", "active"]


class RootCauseListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = RootCauseSerializer
    cursor_ordering = "pk"
    filterset_fields = ["active"]

    def get_queryset(self) -> QuerySet[RootCause]:
        return RootCause.objects.all()
