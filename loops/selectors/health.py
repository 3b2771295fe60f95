"""Read queries for account health and churn risk, narrowed by the visibility rule first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from loops.models import HealthSnapshot
from surveys.models import Account
from vocplatform.visibility import visible

UNKNOWN = "unknown"
BANDS = ("red", "yellow", "green", UNKNOWN)


def accounts_by_health(*, viewer: Any, band: str = "", today: dt.date) -> QuerySet[Account]:
    latest = HealthSnapshot.objects.filter(account=OuterRef("pk"), date__lte=today).order_by("-date")
    accounts = (
        visible(Account.objects.all(), viewer)
        .filter(churned_at__isnull=True)
        .exclude(outcome=Account.Outcome.CHURNED)
        .annotate(
            health=Subquery(latest.values("score")[:1]),
            band=Subquery(latest.values("band")[:1]),
            based_on=Subquery(latest.values("based_on")[:1]),
            risk=F("churn_risk__probability"),
        )
        .select_related("owner")
    )
    return in_band(accounts, band).order_by(F("risk").desc(nulls_last=True), F("health").asc(nulls_last=True), "name")


def in_band(accounts: QuerySet[Account], band: str) -> QuerySet[Account]:
    """Accounts annotated by accounts_by_health, narrowed to one band (any other value: all). An
    account never scored (no snapshot yet) is unknown too, so the bands add up to all accounts."""
    if band == UNKNOWN:
        return accounts.filter(Q(band=UNKNOWN) | Q(band__isnull=True))
    return accounts.filter(Q(band=band)) if band in BANDS else accounts


def account_for_health(*, viewer: Any, pk: int) -> Account:
    return get_object_or_404(visible(Account.objects.select_related("owner", "churn_risk"), viewer), pk=pk)
