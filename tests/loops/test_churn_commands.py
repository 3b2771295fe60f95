"""Churn risk from the command line and on the account page: too little labelled data gives a
clear message and no model (never a fake score); enough gives a versioned model, a probability
and the drivers of each current account's risk; the evaluation on the real telco export meets
its floor and keeps nothing."""

import json
import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from conftest import login
from loops.models import AccountRisk, ChurnModelVersion
from surveys.models import Account
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
TELCO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "churn" / "telco_accounts.csv"


def test_too_little_labelled_data_stores_no_model_and_says_why(manager):
    AccountFactory.create_batch(5, outcome=Account.Outcome.CHURNED)
    with pytest.raises(CommandError, match=r"No model stored: .*at least 50 labelled accounts"):
        call_command("train_churn_model", stdout=StringIO(), stderr=StringIO())
    assert not ChurnModelVersion.objects.exists()
    assert not AccountRisk.objects.exists()


def test_a_trained_model_scores_current_accounts_and_explains_the_risk(manager, account):
    rng = random.Random(3)
    for _ in range(120):
        tickets = rng.randint(0, 40)
        churned = tickets + rng.randint(-8, 8) > 25
        AccountFactory(
            outcome=Account.Outcome.CHURNED if churned else Account.Outcome.RETAINED,
            custom_attributes={"support_tickets": tickets, "plan": rng.choice(["Starter", "Pro"])},
        )
    account.custom_attributes = {"support_tickets": 38, "plan": "Starter"}
    account.save()
    out = StringIO()
    call_command("train_churn_model", "--folds", "3", stdout=out, stderr=StringIO())
    assert "chosen:" in out.getvalue() and "ROC AUC" in out.getvalue()
    version = ChurnModelVersion.objects.get(active=True)
    assert version.report["roc_auc"] > 0.8
    risk = AccountRisk.objects.get(account=account)
    assert risk.probability > 0.5 and risk.model_version == version.version
    assert any("support_tickets" in d["feature"] for d in risk.drivers)
    assert not AccountRisk.objects.filter(account__outcome=Account.Outcome.CHURNED).exists()
    page = login(manager).get(reverse("loops:account_health", args=[account.pk]))
    assert b"support_tickets" in page.content


def test_more_folds_than_either_outcome_has_accounts_is_a_clear_refusal(manager):
    for n in range(55):
        AccountFactory(outcome=Account.Outcome.CHURNED if n < 10 else Account.Outcome.RETAINED)
    with pytest.raises(CommandError, match="11 folds need at least 11 accounts of either outcome; the smaller has 10"):
        call_command("train_churn_model", "--folds", "11", stdout=StringIO(), stderr=StringIO())
    assert not ChurnModelVersion.objects.exists()


def test_an_account_that_churned_since_it_was_scored_keeps_no_risk(manager, account):
    """Its old risk stayed on the risk page, near the top, from the model before."""
    from django.utils import timezone

    from loops.selectors.health import accounts_by_health

    rng = random.Random(3)
    for _ in range(120):
        tickets = rng.randint(0, 40)
        AccountFactory(
            outcome=Account.Outcome.CHURNED if tickets + rng.randint(-8, 8) > 25 else Account.Outcome.RETAINED,
            custom_attributes={"support_tickets": tickets},
        )
    account.custom_attributes = {"support_tickets": 38}
    account.save()
    call_command("train_churn_model", "--folds", "3", stdout=StringIO(), stderr=StringIO())
    assert AccountRisk.objects.filter(account=account).exists()
    Account.objects.filter(pk=account.pk).update(outcome=Account.Outcome.CHURNED)  # a CRM label, no date
    call_command("train_churn_model", "--folds", "3", stdout=StringIO(), stderr=StringIO())
    assert not AccountRisk.objects.filter(account=account).exists()
    assert not accounts_by_health(viewer=manager, today=timezone.localdate()).filter(pk=account.pk).exists()


@pytest.mark.evaluation
@pytest.mark.skipif(not TELCO.exists(), reason=f"the real churn data is not at {TELCO}")
def test_the_telco_evaluation_reaches_the_roc_auc_floor_and_keeps_nothing():
    out = StringIO()
    call_command(
        "evaluate_churn_model",
        "--data",
        str(TELCO),
        "--id-column",
        "customerID",
        "--label-column",
        "Churn",
        "--positive-value",
        "Yes",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["n"] == 7043 and figures["positives"] == 1869 and figures["folds"] == 5
    assert figures["roc_auc"] >= 0.84
    assert figures["brier"] <= 0.15
    assert not Account.objects.exists()
