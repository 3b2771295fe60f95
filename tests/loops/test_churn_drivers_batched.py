"""Churn drivers for many accounts at once (`ChurnModel.drivers_many`, which `churn_score` uses batch
by batch) are the very figures the account-by-account computation gave, for both kinds of model:
`_drivers_one_by_one` below is that computation as it stood, kept here as the reference."""

from __future__ import annotations

import functools
import pickle
import random
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

import loops.health.churn
import loops.services.churn
from loops.health.churn import BOOSTING, LOGISTIC, ChurnDataset, ChurnModel, Row, train_churn_model
from loops.models import AccountRisk, ChurnModelVersion
from loops.services.churn import churn_score, feature_rows, labelled_dataset
from surveys.models import Account
from tests.factories import AccountFactory

Drivers = list[tuple[str, float]]


def _drivers_one_by_one(model: ChurnModel, row: Row, *, top: int = 3) -> Drivers:
    """`ChurnModel.drivers` before batching: one row through each calibration member, or one row and
    its perturbed copies through `predict_proba`, summed feature by feature in dicts."""
    columns = model._columns
    contributions: dict[str, float]
    if model.kind == LOGISTIC:
        matrix = columns.matrix([row])
        contributions = dict.fromkeys(columns.names, 0.0)
        members = model.calibrated.calibrated_classifiers_
        for member, reference, owners in zip(members, model._references, model._owners, strict=True):
            design = np.asarray(member.estimator.named_steps["columns"].transform(matrix))[0]
            parts = member.estimator.named_steps["model"].coef_[0] * (design - reference)
            for name, part in zip(owners, parts, strict=True):
                contributions[name] += float(part) / len(members)
    else:
        settings = [(name, value, share) for name in columns.names for value, share in columns.typical[name]]
        actual, *variants = model.predict_proba([row, *({**row, name: value} for name, value, _ in settings)])
        typical = dict.fromkeys(columns.names, 0.0)
        for (name, _, share), probability in zip(settings, variants, strict=True):
            typical[name] += share * probability
        contributions = {name: actual - probability for name, probability in typical.items()}
    raising = sorted((item for item in contributions.items() if item[1] > 0), key=lambda item: -item[1])
    return [(columns.readable(name, row.get(name)), value) for name, value in raising[:top]]


def _assert_same_drivers(batched: list[Drivers], expected: list[Drivers]) -> None:
    assert len(batched) == len(expected)
    for got, want in zip(batched, expected, strict=True):
        assert [name for name, _ in got] == [name for name, _ in want]
        assert [value for _, value in got] == pytest.approx([value for _, value in want], rel=0, abs=1e-9)


def _accounts(n: int, *, seed: int) -> ChurnDataset:
    """A long silence decides churn, a tenth of the labels flipped; plan, seats and region mean
    little; a third of the silences are unknown and one plan is rare."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    labels = []
    for _ in range(n):
        silence = rng.uniform(0, 180)
        rows.append(
            {
                "days_silent": silence if rng.random() < 0.67 else None,
                "plan": rng.choice(["Starter", "Pro", "Enterprise", "Legacy" if rng.random() < 0.03 else None]),
                "seats": rng.randint(1, 50),
                "region": rng.choice(["north", "south", "east", "west"]),
            }
        )
        labels.append(int((silence > 90) != (rng.random() < 0.1)))
    return ChurnDataset(rows=rows, labels=labels)


# Beside ordinary accounts: nothing known, an unseen plan, a feature the model never saw, a blank
# category, a number as text or Decimal, values far outside the training range.
ODD_ROWS: list[Row] = [
    {},
    {"days_silent": 170.0, "plan": "Platinum", "seats": 3, "region": "north"},
    {"days_silent": 20.0, "plan": "Pro", "industry": "mining"},
    {"days_silent": "150", "plan": "  ", "seats": Decimal("12.5"), "region": None},
    {"days_silent": 10_000.0, "plan": "Legacy", "seats": -4, "region": "south"},
]


@functools.cache
def _trained(kind: str) -> ChurnModel:
    model, _ = train_churn_model(_accounts(200, seed=5), folds=2, candidates=(kind,))
    return model


@pytest.fixture(params=[LOGISTIC, BOOSTING])
def model(request: pytest.FixtureRequest) -> ChurnModel:
    return _trained(request.param)


def test_drivers_of_many_accounts_equal_the_one_by_one_figures(model: ChurnModel) -> None:
    rows: list[Row] = [*_accounts(60, seed=11).rows, *ODD_ROWS]

    batched = model.drivers_many(rows)

    _assert_same_drivers(batched, [_drivers_one_by_one(model, row) for row in rows])
    _assert_same_drivers(batched, [model.drivers(row) for row in rows])
    assert any(batched) and not all(batched)  # some accounts have drivers, safe ones none


def test_asking_for_more_drivers_gives_the_same_figures_further_down(model: ChurnModel) -> None:
    rows: list[Row] = list(_accounts(20, seed=12).rows)

    _assert_same_drivers(model.drivers_many(rows, top=10), [_drivers_one_by_one(model, row, top=10) for row in rows])


def test_no_accounts_have_no_drivers(model: ChurnModel) -> None:
    assert model.drivers_many([]) == []


def test_boosting_drivers_do_not_depend_on_how_many_rows_go_into_one_prediction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = _trained(BOOSTING)
    rows: list[Row] = [*_accounts(23, seed=13).rows, *ODD_ROWS]
    settings = sum(len(mix) for mix in model._columns.typical.values())
    # Five accounts (and their perturbed copies) per predict_proba call: six calls, the last partial.
    monkeypatch.setattr(loops.health.churn, "PERTURBED_ROWS_PER_CALL", 5 * (settings + 1))

    batched = model.drivers_many(rows)

    _assert_same_drivers(batched, [_drivers_one_by_one(model, row) for row in rows])


def _store(model: ChurnModel) -> ChurnModelVersion:
    return ChurnModelVersion.objects.create(
        version=f"churn-test-{model.kind}", blob=pickle.dumps(model), features=model.features, created_at=timezone.now()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [LOGISTIC, BOOSTING])
def test_churn_score_in_batches_stores_the_drivers_scored_one_by_one(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(21)
    for silent in (rng.uniform(0, 180) for _ in range(120)):
        churned = silent + rng.uniform(-30, 30) > 90
        AccountFactory(
            outcome=Account.Outcome.CHURNED if churned else Account.Outcome.RETAINED,
            custom_attributes={"days_silent": silent, "plan": rng.choice(["Starter", "Pro"])},
            annual_revenue=rng.choice([None, rng.randint(10, 900) * 1000]),
        )
    for attributes in [  # beside the retained accounts, a handful with no outcome yet
        {"days_silent": 170, "plan": "Starter"},
        {"days_silent": 5, "plan": "Pro"},
        {"days_silent": 95.5, "plan": "Platinum"},
        {"plan": "Pro", "seats": "many"},
        {},
        {"days_silent": 60, "plan": "Starter", "flagged": True},
        {"days_silent": 130, "plan": None},
    ]:
        AccountFactory(custom_attributes=attributes, segment=rng.choice(["SMB", "Enterprise", ""]))
    model, _ = train_churn_model(labelled_dataset(), folds=2, candidates=(kind,))
    stored = _store(model)
    monkeypatch.setattr(loops.services.churn, "SCORE_BATCH", 25)

    scored = churn_score()

    rows = feature_rows(Account.objects.exclude(outcome=Account.Outcome.CHURNED))
    risks = {risk.account_id: risk for risk in AccountRisk.objects.all()}
    assert scored == len(rows) > 2 * 25 and set(risks) == set(rows)
    for pk, row in rows.items():
        expected = [{"feature": name, "weight": round(weight, 4)} for name, weight in _drivers_one_by_one(model, row)]
        assert risks[pk].drivers == expected
        assert risks[pk].probability == round(model.predict_proba([row])[0], 4)
        assert risks[pk].model_version == stored.version
    assert any(risk.drivers for risk in risks.values())
