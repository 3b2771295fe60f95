"""Who may act on a loop above its owner (its team's supervisor, not any supervisor who can see it),
the health pages on the site's calendar for every viewer, and form input that cannot be an id."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login
from loops.models import HealthSnapshot, PolicyOverride
from loops.services import cases
from tests.factories import UserFactory
from vocplatform.models import User

pytestmark = pytest.mark.django_db


def test_a_supervisor_who_only_watches_another_teams_loop_cannot_mark_its_overrides_reviewed(
    loop, manager, supervisor, outsider
):
    other_supervisor = outsider.team.supervisor
    cases.loop_watch(loop_id=loop.pk, actor=other_supervisor, watch=True)
    cases.loop_waive_sla(loop_id=loop.pk, actor=manager, stage="resolution", reason="Customer on holiday")
    override = PolicyOverride.objects.get()
    response = login(other_supervisor).post(reverse("loops:override_review", args=[override.pk]))
    assert response.status_code == 404
    override.refresh_from_db()
    assert override.reviewed_at is None
    # It is still waiting for the supervisor of the manager's team.
    assert b"Customer on holiday" in login(supervisor).get(reverse("loops:override_list")).content


def _clock(monkeypatch, hour: int) -> dt.datetime:
    """Freeze django.utils.timezone.now at `hour`:00 UTC today (sessions stay valid)."""
    fixed = timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    return fixed


def test_health_pages_show_the_latest_snapshot_to_a_viewer_west_of_utc(monkeypatch, account, manager):
    now = _clock(monkeypatch, 5)  # 19:00 the day before in Honolulu
    today_utc = now.date()
    HealthSnapshot.objects.create(
        account=account,
        date=today_utc - dt.timedelta(days=1),
        score=40,
        band="red",
        based_on=1,
        computed_at=now - dt.timedelta(days=1),
    )
    HealthSnapshot.objects.create(
        account=account, date=today_utc, score=80, band="green", based_on=1, computed_at=now - dt.timedelta(hours=1)
    )
    User.objects.filter(pk=manager.pk).update(time_zone="Pacific/Honolulu")
    browser = login(manager)
    listed = browser.get(reverse("loops:health_list"))
    assert [row.health for row in listed.context["page"].object_list] == [80]
    page = browser.get(reverse("loops:account_health", args=[account.pk]))
    assert page.context["snapshot"].score == 80


def test_recompute_now_stores_the_snapshot_under_the_same_day_for_every_viewer(monkeypatch, account, manager):
    now = _clock(monkeypatch, 12)  # 02:00 the next day in Kiritimati (UTC+14)
    User.objects.filter(pk=manager.pk).update(time_zone="Pacific/Kiritimati")
    HealthSnapshot.objects.create(
        account=account, date=now.date(), score=12, band="red", based_on=1, computed_at=now - dt.timedelta(hours=6)
    )
    login(manager).post(reverse("loops:account_health_recompute", args=[account.pk]))
    assert list(HealthSnapshot.objects.values_list("date", flat=True)) == [now.date()]
    # A colleague in UTC sees the figure just recomputed, not the morning's.
    colleague = UserFactory(username="utc-admin", role=User.Role.ADMIN)
    page = login(colleague).get(reverse("loops:account_health", args=[account.pk]))
    assert page.context["snapshot"].computed_at == now


@pytest.mark.parametrize("action", ["details", "close"])
def test_an_out_of_range_root_cause_id_is_a_form_error_not_a_server_error(loop, manager, action):
    """SQLite (the embedded mode) raises OverflowError for the id; PostgreSQL finds no row."""
    browser = login(manager)
    browser.raise_request_exception = False
    data = {
        "priority": "normal",
        "effort_hours": "1",
        "expenses": "0",
        "resolution_summary": "Done",
        "reason": "Customer unreachable",
        "root_causes": ["9" * 20],
    }
    response = browser.post(reverse("loops:loop_action", args=[loop.pk, action]), data)
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_a_supervisor_who_only_watches_another_teams_loop_cannot_reassign_it(loop, manager, outsider):
    other_supervisor = outsider.team.supervisor
    cases.loop_watch(loop_id=loop.pk, actor=other_supervisor, watch=True)
    browser = login(other_supervisor)
    assert browser.get(reverse("loops:loop_detail", args=[loop.pk])).context["can_reassign"] is False
    response = browser.post(
        reverse("loops:loop_action", args=[loop.pk, "reassign"]),
        {"owner": other_supervisor.pk, "reason": "I will take it"},
    )
    assert response.status_code == 404
    loop.refresh_from_db()
    assert loop.owner == manager


def test_the_supervisor_of_the_account_managers_team_may_reassign_and_review(loop, manager, supervisor, teammate):
    cases.loop_waive_sla(loop_id=loop.pk, actor=manager, stage="resolution", reason="Customer on holiday")
    browser = login(supervisor)
    assert browser.get(reverse("loops:loop_detail", args=[loop.pk])).context["can_reassign"] is True
    response = browser.post(
        reverse("loops:loop_action", args=[loop.pk, "reassign"]),
        {"owner": teammate.pk, "reason": "Max is on leave"},
    )
    assert response.status_code == 302
    loop.refresh_from_db()
    assert loop.owner == teammate
    override = PolicyOverride.objects.get(kind=PolicyOverride.Kind.WAIVE_SLA)
    assert browser.post(reverse("loops:override_review", args=[override.pk])).status_code == 302
    override.refresh_from_db()
    assert override.reviewed_by == supervisor


def test_an_account_never_scored_is_listed_under_the_unknown_band(account, manager):
    browser = login(manager)
    assert [a.pk for a in browser.get(reverse("loops:health_list")).context["page"].object_list] == [account.pk]
    unknown = browser.get(reverse("loops:health_list"), {"band": "unknown"})
    assert [a.pk for a in unknown.context["page"].object_list] == [account.pk]
