"""Responses, read and exported. The customer's name and email appear only where they consented to
attribution (the `attributed_*` annotations of surveys.selectors.responses); no contact id is given."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from surveys.models import Answer, Band, Response
from surveys.models.responses import has_theme
from surveys.selectors.responses import response_get, response_list
from vocplatform.api_filters import DateTimeFilter, IdFilter
from vocplatform.spreadsheets import neutralised


class AnalysisSerializer(serializers.Serializer):
    negative = serializers.BooleanField(source="is_negative")
    sentiment = serializers.FloatField(allow_null=True)
    reason = serializers.CharField()
    themes = serializers.ListField(child=serializers.CharField())

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["themes"] = [theme.get("name") for theme in instance.themes]
        return data


class AttributionSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()


class ResponseSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    contact = serializers.SerializerMethodField(help_text="Only where the customer consented to attribution.")
    analysis = serializers.SerializerMethodField()

    class Meta:
        model = Response
        fields = [
            "id",
            "survey",
            "touchpoint",
            "account",
            "account_external_id",
            "score_kind",
            "score",
            "score_band",
            "comment",
            "consent_to_attribution",
            "contact",
            "submitted",
            "analysis",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(AttributionSerializer(allow_null=True))
    def get_contact(self, response: Response) -> dict[str, str] | None:
        if not response.consent_to_attribution:
            return None
        return {"name": response.attributed_name, "email": response.attributed_email}  # type: ignore[attr-defined]

    @extend_schema_field(AnalysisSerializer(allow_null=True))
    def get_analysis(self, response: Response) -> dict[str, Any] | None:
        analysis = getattr(response, "analysis", None)
        return AnalysisSerializer(analysis).data if analysis is not None else None


class AnswerSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="question.kind")
    question_text = serializers.CharField(source="question.text")

    class Meta:
        model = Answer
        fields = ["question", "kind", "question_text", "number", "choices", "text"]


class ResponseDetailSerializer(ResponseSerializer):
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta(ResponseSerializer.Meta):
        fields = [*ResponseSerializer.Meta.fields, "answers"]


class ResponseFilter(django_filters.FilterSet):
    survey = IdFilter(field_name="survey_id")
    account = IdFilter(field_name="account_id")
    band = django_filters.ChoiceFilter(field_name="score_band", choices=Band.choices)
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    negative = django_filters.BooleanFilter(method="filter_negative", help_text="A staff correction wins.")
    theme = django_filters.CharFilter(method="filter_theme")

    class Meta:
        model = Response
        fields = ["survey", "touchpoint", "account", "band", "created_after", "created_before", "negative", "theme"]

    def filter_negative(self, queryset: QuerySet[Response], name: str, value: bool | None) -> QuerySet[Response]:
        if value is None:
            return queryset
        return queryset.filter(
            Q(analysis__corrected=value) | Q(analysis__corrected__isnull=True, analysis__negative=value)
        )

    def filter_theme(self, queryset: QuerySet[Response], name: str, value: str) -> QuerySet[Response]:
        return queryset.filter(has_theme(value)) if value else queryset


class ResponseListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = ResponseSerializer
    filterset_class = ResponseFilter

    def get_queryset(self) -> QuerySet[Response]:
        return response_list(viewer=self.request.user)  # type: ignore[arg-type]


class ResponseDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = ResponseDetailSerializer

    def get_object(self) -> Response:
        return response_get(viewer=self.request.user, pk=self.kwargs["pk"])  # type: ignore[arg-type]


class CsvRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return renderers.JSONRenderer().render(data)  # only errors reach a renderer; the CSV is streamed


COLUMNS = [
    "id", "created_at", "survey", "touchpoint", "account_external_id", "account_name", "score_kind", "score",
    "score_band", "comment", "consent_to_attribution", "contact_name", "contact_email", "negative", "themes",
]  # fmt: skip


def _cell(value: Any) -> str:
    return neutralised("" if value is None else str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(responses: QuerySet[Response]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for r in responses.iterator(chunk_size=500):
        analysis = getattr(r, "analysis", None)
        themes = "|".join(t.get("name", "") for t in analysis.themes) if analysis else ""
        values = [
            r.pk, r.created_at.isoformat(), r.survey.name, r.touchpoint, r.account.external_id, r.account.name,
            r.score_kind, r.score, r.score_band, r.comment, r.consent_to_attribution,
            r.attributed_name, r.attributed_email,  # type: ignore[attr-defined]
            analysis.is_negative if analysis else "", themes,
        ]  # fmt: skip
        yield writer.writerow([_cell(v) for v in values])


class ResponseExportView(generics.ListAPIView):  # type: ignore[type-arg]
    """Every response the caller may see (with the list's filters) as CSV, streamed. Names and emails
    only where the customer consented to attribution."""

    serializer_class = ResponseSerializer
    filterset_class = ResponseFilter
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Response]:
        return response_list(viewer=self.request.user)  # type: ignore[arg-type]

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, UTF-8")})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:  # type: ignore[override]
        responses = self.filter_queryset(self.get_queryset())
        streamed = StreamingHttpResponse(csv_rows(responses), content_type="text/csv; charset=utf-8")
        streamed["Content-Disposition"] = 'attachment; filename="responses.csv"'
        return streamed

    def handle_exception(self, exc: Exception) -> ApiResponse:
        # Errors are JSON, whatever the Accept header asked for.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)
