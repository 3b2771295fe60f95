"""The account report shows the health snapshot filed on the site's calendar (snapshot_date), as the
health pages do, whatever the hour in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from loops.models import HealthSnapshot
from loops.reports.packs import account_context
from loops.services.health import health_recompute, snapshot_date
from vocplatform.visibility import SYSTEM

pytestmark = pytest.mark.django_db


def test_the_account_report_shows_the_snapshot_just_filed_on_the_sites_calendar(settings, account):
    """TIME_ZONE east of UTC: at 01:30 in Tokyo it is still the day before in UTC. The health page
    (snapshot_date) shows the snapshot filed today; the account report pack must show the same one,
    not yesterday's."""
    settings.TIME_ZONE = "Asia/Tokyo"
    now = dt.datetime(2026, 12, 5, 16, 30, tzinfo=dt.UTC)  # 2026-12-06 01:30 in Tokyo
    HealthSnapshot.objects.create(
        account=account,
        date=dt.date(2026, 12, 5),
        score=20,
        band="red",
        based_on=1,
        computed_at=now - dt.timedelta(hours=12),
    )
    health_recompute(account_ids=[account.pk], now=now)
    filed = HealthSnapshot.objects.get(account=account, date=snapshot_date(now))
    assert filed.date == dt.date(2026, 12, 6)

    context = account_context(viewer=SYSTEM, account_id=account.pk, now=now)

    assert context["snapshot"].pk == filed.pk
