"""Actual against target, with the variance and whether its sign is good news."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from loops.models import Target
from loops.reports.targets import churn_rate, target_rows
from tests.loops.reports.conftest import FIRST, LAST, NOW

pytestmark = pytest.mark.django_db


def _target(metric: str, value: str, segment: str = "") -> Target:
    return Target.objects.create(
        metric=metric, segment=segment, period_start=FIRST, period_end=LAST, value=Decimal(value)
    )


def test_actual_against_target_with_variance_and_sign(crafted, admin_user, period):
    _target("nps", "10")
    _target("sla_compliance", "80")
    _target("response_rate", "70")
    _target("churn", "5", segment="SMB")
    Target.objects.create(  # another period: not shown
        metric="nps", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 1, 31), value=Decimal("0")
    )
    rows = {row.target.metric: row for row in target_rows(viewer=admin_user, filters=period, now=NOW)}
    assert set(rows) == {"nps", "sla_compliance", "response_rate", "churn"}
    nps, sla, rate, churn = rows["nps"], rows["sla_compliance"], rows["response_rate"], rows["churn"]
    assert (round(nps.actual, 1), round(nps.variance, 1), nps.sign, nps.on_track) == (22.2, 12.2, "+", True)
    assert (sla.actual, sla.variance, sla.sign, sla.on_track) == (25.0, -55.0, "−", False)
    assert (round(rate.actual, 1), round(rate.variance, 1), rate.on_track) == (78.9, 8.9, True)
    # SMB customers on 3 March: Beta, Gamma, Delta; Delta churned on 10 March. Above target is bad news.
    assert (round(churn.actual, 1), round(churn.variance, 1), churn.sign, churn.on_track) == (33.3, 28.3, "+", False)


def test_a_segment_target_is_measured_on_that_segment(crafted, admin_user, period):
    _target("nps", "50", segment="SMB")
    (row,) = target_rows(viewer=admin_user, filters=period, now=NOW)
    assert (row.actual, row.variance, row.sign, row.on_track) == (40.0, -10.0, "−", False)  # Beta 7 0 9, Gamma 10 9


def test_targets_respect_visibility(crafted, supervisor, period):
    _target("nps", "0")
    (row,) = target_rows(viewer=supervisor, filters=period, now=NOW)
    assert (row.actual, row.sign) == (0.0, "±")  # Acme and Beta only
    assert churn_rate(viewer=supervisor, filters=period) == (1, 3)  # Acme, Beta, Delta


def test_a_target_outside_its_range_is_refused(db):
    target = Target(metric="nps", period_start=FIRST, period_end=LAST, value=Decimal("-120"))
    with pytest.raises(ValidationError):
        target.full_clean()
