"""Surveys and their questions, read-only: shared configuration every staff member may read."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, QuerySet
from rest_framework import generics, serializers

from surveys.models import Question, Survey


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "position", "kind", "text", "help_text", "required", "choices"]


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = ["id", "name", "touchpoint", "status", "expiry_days", "closes_at", "created_at", "questions"]


class SurveyFilter(django_filters.FilterSet):
    class Meta:
        model = Survey
        fields = ["status", "touchpoint"]


def _surveys() -> QuerySet[Survey]:
    questions = Prefetch("questions", queryset=Question.objects.order_by("position", "pk"))
    return Survey.objects.prefetch_related(questions)


class SurveyListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = SurveySerializer
    filterset_class = SurveyFilter
    cursor_ordering = "pk"

    def get_queryset(self) -> QuerySet[Survey]:
        return _surveys()


class SurveyDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = SurveySerializer

    def get_queryset(self) -> QuerySet[Survey]:
        return _surveys()
