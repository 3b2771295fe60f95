"""The sweeper's health pass: the accounts it recomputes are the ones whose churn risk it scores."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_every_account_whose_health_the_sweep_recomputed_gets_its_churn_risk_too():
    """loops_sweep_task queues health_recompute_dirty_task: "health now, churn risk with it"."""
    import random

    from loops.models import AccountRisk, ChurnModelVersion, HealthDirty
    from loops.services.churn import churn_model_train
    from loops.tasks import health_recompute_dirty_task
    from surveys.models import Account

    rng = random.Random(3)
    for _ in range(60):
        tickets = rng.randint(0, 40)
        churned = tickets + rng.randint(-8, 8) > 25
        AccountFactory(
            outcome=Account.Outcome.CHURNED if churned else Account.Outcome.RETAINED,
            custom_attributes={"support_tickets": tickets},
        )
    churn_model_train(folds=2)
    assert ChurnModelVersion.objects.filter(active=True).exists()
    AccountRisk.objects.all().delete()

    # A busy day: 2,001 accounts were marked (an import, a burst of answers). The first marked
    # rows in the table are the most recently marked ones.
    now = timezone.now()
    accounts = Account.objects.bulk_create(
        Account(external_id=f"BULK-{n}", name=f"Bulk {n}", custom_attributes={"support_tickets": n % 40})
        for n in range(2001)
    )
    HealthDirty.objects.bulk_create(
        HealthDirty(account=account, since=now - dt.timedelta(seconds=n)) for n, account in enumerate(accounts)
    )

    health_recompute_dirty_task()

    recomputed = set(Account.objects.filter(pk__in=[a.pk for a in accounts]).values_list("pk", flat=True)) - set(
        HealthDirty.objects.values_list("account_id", flat=True)
    )
    assert len(recomputed) == 2000
    scored = set(AccountRisk.objects.values_list("account_id", flat=True))
    # Every account unmarked is scored, or it would keep a stale risk until the nightly run.
    assert recomputed - scored == set()
