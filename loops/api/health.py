"""Account health and churn risk, read-only, narrowed by the visibility rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from loops.models import HealthSnapshot
from loops.selectors.health import BANDS, account_for_health, accounts_by_health, in_band
from loops.services.health import snapshot_date
from surveys.models import Account
from vocplatform.models import User

HISTORY_DAYS = 90


class AccountHealthSerializer(serializers.ModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    health = serializers.FloatField(allow_null=True, help_text="0–100, from the latest snapshot.")
    band = serializers.CharField(allow_null=True)
    based_on = serializers.IntegerField(allow_null=True, help_text="Components with data.")
    churn_risk = serializers.FloatField(source="risk", allow_null=True, help_text="Probability, 0–1.")

    class Meta:
        model = Account
        fields = ["id", "external_id", "name", "owner", "segment", "region", "health", "band", "based_on", "churn_risk"]


class HealthFilter(django_filters.FilterSet):
    band = django_filters.ChoiceFilter(choices=[(b, b) for b in BANDS], method="filter_band")
    owner = django_filters.CharFilter(field_name="owner__username")

    class Meta:
        model = Account
        fields = ["band", "segment", "region", "owner"]

    def filter_band(self, accounts: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        return in_band(accounts, value)


class HealthListView(generics.ListAPIView):  # type: ignore[type-arg]
    """Current accounts with their latest health score and band and their churn risk."""

    serializer_class = AccountHealthSerializer
    filterset_class = HealthFilter
    cursor_ordering = "pk"

    def get_queryset(self) -> QuerySet[Account]:
        return accounts_by_health(viewer=self.request.user, today=snapshot_date())


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = HealthSnapshot
        fields = ["date", "score", "band", "based_on", "components", "computed_at"]


class PointSerializer(serializers.Serializer):
    date = serializers.DateField()
    score = serializers.FloatField(allow_null=True)
    band = serializers.CharField()


class RiskSerializer(serializers.Serializer):
    probability = serializers.FloatField()
    drivers = serializers.ListField(child=serializers.JSONField())
    model_version = serializers.CharField()
    scored_at = serializers.DateTimeField()


class AccountHealthDetailSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    latest = SnapshotSerializer(allow_null=True)
    history = PointSerializer(many=True, help_text=f"The last {HISTORY_DAYS} days, oldest first.")
    churn_risk = RiskSerializer(allow_null=True)


class AccountHealthView(generics.GenericAPIView):  # type: ignore[type-arg]
    serializer_class = AccountHealthDetailSerializer

    @extend_schema(responses={200: AccountHealthDetailSerializer})
    def get(self, request: Request, pk: int) -> Response:
        account = account_for_health(viewer=request.user, pk=pk)
        today = snapshot_date()
        snapshots = list(
            HealthSnapshot.objects.filter(
                account=account, date__gt=today - dt.timedelta(days=HISTORY_DAYS), date__lte=today
            ).order_by("date")
        )
        latest = HealthSnapshot.objects.filter(account=account, date__lte=today).order_by("-date").first()
        risk = getattr(account, "churn_risk", None)
        body: dict[str, Any] = {
            "account": account.pk,
            "external_id": account.external_id,
            "name": account.name,
            "latest": latest,
            "history": snapshots,
            "churn_risk": risk,
        }
        return Response(AccountHealthDetailSerializer(body).data)
