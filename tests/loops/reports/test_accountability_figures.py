"""Close-the-loop accountability and the advocacy measures against hand-computed values
(the loops L1…L7 of the crafted organisation, see conftest)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from loops.reports import accountability, advocacy
from tests.loops.reports.conftest import NOW
from vocplatform.models import Team

pytestmark = pytest.mark.django_db


def test_accountability_totals_for_an_admin(crafted, admin_user, period):
    total = accountability.accountability_total(viewer=admin_user, filters=period, now=NOW)
    # Opened in the period: L1 L2 L3 L4 L5 L7 (L6 opened on 1 March).
    assert total.opened == 6
    # First contact after 4 h (L1), 30 h (L2), 2 h (L3): 12 h on average; resolved after 72 h and 120 h.
    assert (total.contacted, total.first_contact_hours) == (3, 12.0)
    assert (total.resolved, total.resolution_hours) == (2, 96.0)
    # Met: L1. Breached: L2 (late contact, resolution overdue), L3 (resolved late), L5 (never contacted).
    # L4 is within its deadlines and L7 is paused: neither counts.
    assert (total.met, total.breached, total.compliance) == (1, 3, 25.0)
    # Overdue now: L2 and L5 (L6's resolution SLA is waived, L7 is paused, L4 is not due).
    assert total.overdue == 2
    # Escalated in the period: L2 (L5 only had a reminder, L6's escalation was in February). Overrides: L3, L6.
    assert (total.escalated, total.overridden) == (1, 2)
    assert (total.followed_up, total.recovered, total.recovery) == (2, 1, 50.0)


def test_accountability_by_owner_and_by_team(crafted, admin_user, manager, teammate, outsider, period):
    rows = {r.label: r for r in accountability.accountability_by_owner(viewer=admin_user, filters=period, now=NOW)}
    assert set(rows) == {"Max", "Tina", "Otto", "Unassigned"}
    max_, tina, otto = rows["Max"], rows["Tina"], rows["Otto"]
    assert (max_.key, max_.opened, max_.first_contact_hours, max_.met, max_.breached, max_.compliance) == (
        manager.pk,
        2,
        17.0,
        1,
        1,
        50.0,
    )
    assert (max_.overdue, max_.escalated, max_.overridden, max_.recovery) == (1, 1, 1, 100.0)
    assert (tina.opened, tina.met, tina.breached, tina.compliance, tina.overridden, tina.recovery) == (
        2,
        0,
        1,
        0.0,
        1,
        0.0,
    )
    assert (otto.opened, otto.breached, otto.overdue) == (1, 1, 1)
    assert rows["Unassigned"].opened == 1  # L4, in North's queue
    teams = {r.label: r for r in accountability.accountability_by_team(viewer=admin_user, filters=period, now=NOW)}
    north, south = teams["North"], teams["South"]
    assert (north.opened, north.met, north.breached, round(north.compliance, 1), north.overdue) == (5, 1, 2, 33.3, 1)
    assert (south.opened, south.breached, south.compliance, south.overdue) == (1, 1, 0.0, 1)


def test_a_supervisor_sees_the_figures_of_their_teams_only(crafted, supervisor, period):
    total = accountability.accountability_total(viewer=supervisor, filters=period, now=NOW)
    assert (total.opened, total.met, total.breached, total.overdue, total.escalated, total.overridden) == (
        5,
        1,
        2,
        1,
        1,
        2,
    )
    overdue = accountability.overdue_loops(viewer=supervisor, filters=period, now=NOW)
    assert [loop.pk for loop in overdue] == [crafted.loops["L2"].pk]
    assert overdue[0].due_now.isoformat() == "2025-03-15T09:00:00+00:00"


def test_team_filter_counts_unassigned_loops_in_the_queue_team(crafted, admin_user, period):
    north = Team.objects.get(name="North")
    total = accountability.accountability_total(
        viewer=admin_user, filters=dataclasses.replace(period, team=north.pk), now=NOW
    )
    assert (total.opened, total.breached, total.overdue) == (5, 2, 1)


@pytest.mark.parametrize(
    ("figure", "loops"),
    [
        ("opened", {"L1", "L2", "L3", "L4", "L5", "L7"}),
        ("met", {"L1"}),
        ("breached", {"L2", "L3", "L5"}),
        ("overdue", {"L2", "L5"}),
        ("escalated", {"L2"}),
        ("overridden", {"L3", "L6"}),
        ("recovered", {"L1"}),
        ("followed_up", {"L1", "L3"}),
    ],
)
def test_each_figure_lists_exactly_the_loops_it_counts(crafted, admin_user, period, figure, loops):
    found = accountability.figure_loops(viewer=admin_user, filters=period, figure=figure, now=NOW)
    names = {name for name, loop in crafted.loops.items() if loop.pk in set(found.values_list("pk", flat=True))}
    assert names == loops


def test_advocacy_measures(crafted, admin_user, period):
    effort = advocacy.effort_and_duration(viewer=admin_user, filters=period)
    assert (effort.loops, effort.closed) == (6, 2)
    # L1 took 3 d 2 h, L3 5 d 1 h: 4.06 days on average, both in the 3–7 days band.
    assert round(effort.average_days, 2) == 4.06
    assert [n for _label, n, _i in effort.bands] == [0, 0, 2, 0, 0]
    # Effort 2.5 + 1 + 4 + 0 + 3 + 0.5 = 11 h; expenses 100 + 250.50 + 10 = 360.50.
    assert (effort.effort_hours, effort.expenses) == (Decimal("11"), Decimal("360.50"))
    assert (effort.effort_per_loop, effort.expenses_per_loop) == (Decimal("1.83"), Decimal("60.08"))
    reasons = {g.label: g.loops for g in advocacy.loops_by(viewer=admin_user, filters=period, dimension="reason")}
    assert reasons == {"Billing error": 2, "Slow support": 2, "Outage": 1, "(none)": 1}
    segments = {
        g.value: (g.loops, g.effort_hours)
        for g in advocacy.loops_by(viewer=admin_user, filters=period, dimension="segment")
    }
    assert segments == {"Enterprise": (2, Decimal("3.5")), "SMB": (4, Decimal("7.5"))}
    units = {g.value: g.loops for g in advocacy.loops_by(viewer=admin_user, filters=period, dimension="business_unit")}
    assert units == {"Cloud": 2, "Retail": 4}
    lines = {g.value: g.loops for g in advocacy.loops_by_product_line(viewer=admin_user, filters=period)}
    assert lines == {"Analytics": 3, "Storage": 5}
    causes = [(c.name, c.loops) for c in advocacy.root_causes(viewer=admin_user, filters=period)]
    assert causes == [("Invoicing", 2), ("Process gap", 2), ("Outage", 1)]


def test_customers_per_loop_over_time(crafted, admin_user, supervisor, period):
    trend = advocacy.engagement_trend(viewer=admin_user, filters=period)
    # Week 1: Acme, Beta and Gamma answered; L1 and L3 opened. Week 2: the same three; L2 L4 L5 L7.
    assert [(e.customers, e.loops, e.ratio) for e in trend] == [(3, 2, 1.5), (3, 4, 0.75)]
    assert [(e.customers, e.loops) for e in advocacy.engagement_trend(viewer=supervisor, filters=period)] == [
        (2, 2),
        (2, 3),
    ]
