"""Churn risk: train on accounts whose outcome is known, store a versioned model, score the rest.

Features per account: the health components (as the health model sees them today), the CRM
fields that describe it (segment, region, business unit, revenue, tenure) and every imported
custom attribute (numbers as numbers, text as categories). `loops.health.churn` does the
learning; this module reads and writes the database around it.
"""

from __future__ import annotations

import datetime as dt
import pickle
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from loops.models import AccountRisk, ChurnModelVersion, HealthComponent
from loops.services.health import component_values, snapshot_date
from surveys.models import Account

if TYPE_CHECKING:  # scikit-learn loads with loops.health.churn: only where a model is trained
    from loops.health.churn import ChurnDataset, ChurnModel, ChurnReport

# Accounts scored at a time: their features, variants and risks are held in memory together.
SCORE_BATCH = 2000
ACCOUNT_FIELDS = ("pk", "custom_attributes", "segment", "region", "business_unit", "annual_revenue", "customer_since")


def _feature_row(account: dict[str, Any], health: dict[str, float | None], today: dt.date) -> dict[str, object]:
    row: dict[str, object] = {f"health:{key}": value for key, value in health.items()}
    for field in ("segment", "region", "business_unit"):
        row[field] = account[field] or None
    row["annual_revenue"] = float(account["annual_revenue"]) if account["annual_revenue"] is not None else None
    since = account["customer_since"]
    row["tenure_days"] = float((today - since).days) if since else None
    for name, value in (account["custom_attributes"] or {}).items():
        if isinstance(value, bool):
            row[f"attr:{name}"] = str(value)
        elif isinstance(value, int | float) or value is None:
            row[f"attr:{name}"] = value
        else:
            row[f"attr:{name}"] = str(value)[:80]
    return row


def feature_rows(accounts: QuerySet[Account], *, now: dt.datetime | None = None) -> dict[int, dict[str, object]]:
    now = now or timezone.now()
    records = list(accounts.order_by("pk").values(*ACCOUNT_FIELDS))
    configured = [c for c in HealthComponent.objects.filter(active=True) if c.kind != HealthComponent.Kind.ATTRIBUTE]
    health = component_values([(r["pk"], r["custom_attributes"]) for r in records], configured, now)
    today = snapshot_date(now)
    return {r["pk"]: _feature_row(r, health[r["pk"]], today) for r in records}


def labelled_dataset(accounts: QuerySet[Account] | None = None) -> ChurnDataset:
    from loops.health.churn import ChurnDataset

    known = (accounts if accounts is not None else Account.objects.all()).exclude(outcome=Account.Outcome.UNKNOWN)
    outcomes = dict(known.values_list("pk", "outcome"))
    rows = feature_rows(known)
    ids = sorted(rows)
    return ChurnDataset(
        rows=[rows[pk] for pk in ids], labels=[int(outcomes[pk] == Account.Outcome.CHURNED) for pk in ids]
    )


def churn_model_train(
    *, folds: int = 5, progress: Callable[[int, int], None] | None = None
) -> tuple[ChurnModelVersion, ChurnReport]:
    """Train, store as the active version, and score every current account. Raises NotEnoughData."""
    from loops.health.churn import train_churn_model

    model, report = train_churn_model(labelled_dataset(), folds=folds, progress=progress)
    now = timezone.now()
    with transaction.atomic():
        ChurnModelVersion.objects.filter(active=True).update(active=False)
        version = ChurnModelVersion.objects.create(
            version=f"churn-{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}",
            blob=pickle.dumps(model),
            report=asdict(report),
            features=report.features,
            created_at=now,
        )
    churn_score()
    return version, report


def active_model() -> tuple[ChurnModelVersion, ChurnModel] | None:
    version = ChurnModelVersion.objects.filter(active=True).order_by("-created_at").first()
    if version is None:
        return None
    # The blob is written only by churn_model_train in this database: trusted, like a migration.
    return version, pickle.loads(bytes(version.blob))  # noqa: S301


def churn_score(*, account_ids: Sequence[int] | None = None) -> int:
    """Score current customers (not churned) with the active model; no model, no score (never a fake one).

    Accounts go ``SCORE_BATCH`` at a time, each batch written before the next is read, so memory
    does not grow with the number of accounts (gradient boosting drivers predict about 80 variants
    of every row).
    """
    loaded = active_model()
    if loaded is None:
        return 0
    stored, model = loaded
    customers = Account.objects.exclude(outcome=Account.Outcome.CHURNED).filter(churned_at__isnull=True)
    # An account that has churned since it was last scored keeps no risk: it is no longer a customer.
    gone = AccountRisk.objects.exclude(account__in=customers)
    accounts = customers
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
        gone = gone.filter(account_id__in=list(account_ids))
    gone.delete()
    ids = list(accounts.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    batches = (accounts.filter(pk__in=ids[start : start + SCORE_BATCH]) for start in range(0, len(ids), SCORE_BATCH))
    return sum(_score_batch(stored.version, model, batch, now) for batch in batches)


def _score_batch(version: str, model: ChurnModel, accounts: QuerySet[Account], now: dt.datetime) -> int:
    rows = feature_rows(accounts, now=now)
    ids = sorted(rows)
    features = [rows[pk] for pk in ids]
    risks = [
        AccountRisk(
            account_id=pk,
            probability=round(probability, 4),
            drivers=[{"feature": name, "weight": round(weight, 4)} for name, weight in drivers],
            model_version=version,
            scored_at=now,
        )
        for pk, probability, drivers in zip(
            ids, model.predict_proba(features), model.drivers_many(features), strict=True
        )
    ]
    AccountRisk.objects.bulk_create(
        risks,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=["probability", "drivers", "model_version", "scored_at"],
        batch_size=SCORE_BATCH,
    )
    return len(risks)
