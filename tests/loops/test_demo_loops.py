"""The demo organisation's loops: open, overdue, escalated and closed ones, with plans, root causes,
overrides and answered follow-ups, written through the real services; loading twice adds nothing."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from loops.demo.history import demo_loops_load
from loops.models import Escalation, Loop, PlanStep, PolicyOverride
from loops.services.alerts import responses_awaiting_alert
from loops.services.followup import followups_unrecorded
from surveys.demo.organisation import demo_load
from surveys.demo.season import demo_season_load
from surveys.models import Response
from surveys.services.analysis import responses_reanalyse


def load_demo(now: dt.datetime) -> dict[str, int]:
    demo_load(password="x")
    demo_season_load(rng=random.Random(1), now=now)
    responses_reanalyse(response_ids=Response.objects.values_list("pk", flat=True), announce=False)
    return demo_loops_load(rng=random.Random(2), now=now)


@pytest.fixture
def demo(db):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return now, load_demo(now)


def test_the_demo_has_loops_in_every_state_consistent_and_loading_twice_adds_nothing(demo):
    # One test: loading the demo takes most of its time.
    _assert_every_state_worth_showing(*demo)
    _assert_every_loop_belongs_to_a_response_the_rules_matched_and_nothing_is_left_for_the_sweeper(demo[0])
    _assert_loading_the_loops_twice_adds_nothing(demo[0])


def _assert_every_state_worth_showing(now, counts):  # type: ignore[no-untyped-def]
    assert counts["loops"] == Loop.objects.count() >= 100
    open_loops = Loop.objects.filter(status__in=Loop.OPEN_STATUSES)
    assert open_loops.filter(first_contact_at__isnull=True, first_contact_due_at__lt=now).exists(), "overdue"
    assert open_loops.filter(escalation_level__gte=1).exists(), "escalated"
    assert open_loops.filter(opened_at__gt=now - timezone.timedelta(days=2)).exists() or open_loops.count() > 10
    closed = Loop.objects.filter(status=Loop.Status.CLOSED)
    assert closed.count() == counts["closed"] >= 50
    assert not closed.filter(root_causes__isnull=True).exists()
    assert not closed.filter(resolution_summary="").exists()
    assert PlanStep.objects.filter(loop__in=closed).exists()
    assert {True, False} <= set(closed.values_list("recovered", flat=True))
    assert {"close_without_contact", "waive_sla"} <= set(PolicyOverride.objects.values_list("kind", flat=True))
    assert Escalation.objects.filter(level=2).exists()
    # An answer in the last half hour opens its loop at `now` itself (never later): see demo_loops_load.
    assert all(loop.opened_at <= now for loop in Loop.objects.all())


def _assert_every_loop_belongs_to_a_response_the_rules_matched_and_nothing_is_left_for_the_sweeper(now):  # type: ignore[no-untyped-def]
    for loop in Loop.objects.select_related("response", "response__analysis", "rule"):
        assert loop.response.score_band == "detractor" or loop.response.analysis.negative
        assert loop.opened_at >= loop.response.created_at
    assert responses_awaiting_alert(now=now + timezone.timedelta(minutes=5)) == []
    assert followups_unrecorded(now=now + timezone.timedelta(minutes=5)) == []


def _assert_loading_the_loops_twice_adds_nothing(now):  # type: ignore[no-untyped-def]
    before = (Loop.objects.count(), PlanStep.objects.count(), Escalation.objects.count())
    again = demo_loops_load(rng=random.Random(3), now=now)
    assert again["loops"] == 0
    assert (Loop.objects.count(), PlanStep.objects.count(), Escalation.objects.count()) == before


def test_the_demo_shows_each_kind_of_override_whatever_the_time_it_is_loaded(db):  # type: ignore[no-untyped-def]
    # Loaded at this instant, the dice once left no loop closed without a customer contact.
    load_demo(dt.datetime(2026, 12, 5, 6, 14, 12, tzinfo=dt.UTC))
    assert {"close_without_contact", "waive_sla"} <= set(PolicyOverride.objects.values_list("kind", flat=True))


def test_loading_the_demo_beside_a_real_organisation_leaves_its_data_alone(answer, contact):
    """Its unread notifications stay unread and its stored health history stays as it is."""
    from io import StringIO

    from django.core.management import call_command

    from loops.models import HealthSnapshot, Notification

    loop = Loop.objects.get(response=answer(contact, 2, "Support never called back"))
    notes = Notification.objects.filter(loop=loop)
    notes.update(created_at=timezone.now() - dt.timedelta(days=5), read_at=None, emailed_at=None)
    month_ago = timezone.localdate() - dt.timedelta(days=30)
    HealthSnapshot.objects.create(
        account=contact.account, date=month_ago, score=12.5, band="red", based_on=3, components=[],
        computed_at=timezone.now() - dt.timedelta(days=30),
    )  # fmt: skip
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    assert notes.exists() and not notes.filter(read_at__isnull=False).exists()
    assert not notes.filter(emailed_at__isnull=False).exists()
    kept = HealthSnapshot.objects.get(account=contact.account, date=month_ago)
    assert (kept.score, kept.band, kept.based_on) == (12.5, "red", 3)
