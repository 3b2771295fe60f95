"""The dashboard pages: each number links to the rows behind it, the lists behind the links hold
exactly as many rows as the number says, and nobody sees another team's figures."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from conftest import login

pytestmark = pytest.mark.django_db

PERIOD = "from=2025-03-03&to=2025-03-16"


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):  # type: ignore[no-untyped-def]
    from tests.loops.reports.conftest import NOW

    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


def _links(html: str, route: str) -> list[tuple[str, str]]:
    """(href, number shown) of every link to `route`."""
    path = re.escape(reverse(route))
    return [
        (unescape(href), unescape(text).strip())
        for href, text in re.findall(rf'<a[^>]*href="({path}\?[^"]*)"[^>]*>(.*?)</a>', html, flags=re.S)
    ]


def _count(browser, href: str) -> int:  # type: ignore[no-untyped-def]
    response = browser.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


def _figure(text: str) -> int:
    return int(re.search(r'class="figure">\s*(\d+)', text).group(1))  # type: ignore[union-attr]


def test_every_accountability_number_drills_down_to_as_many_loops(crafted, admin_user):
    browser = login(admin_user)
    html = browser.get(f"{reverse('loops:report_accountability')}?{PERIOD}").content.decode()
    links = [(href, text) for href, text in _links(html, "loops:report_loops") if text.isdigit()]
    assert len(links) > 40  # every owner and team row, and the totals
    for href, text in links:
        assert _count(browser, href) == int(text), href


def test_the_accountability_cards_show_the_hand_computed_totals(crafted, admin_user):
    html = login(admin_user).get(f"{reverse('loops:report_accountability')}?{PERIOD}").content.decode()
    assert re.search(r'id="fig-opened"[^>]*><span class="figure">6<', html)
    assert re.search(r'id="fig-compliance"[^>]*><span class="figure">25\.0%<', html)
    assert re.search(r'id="fig-overdue"[^>]*><span class="figure">2<', html)


def test_feedback_numbers_drill_down_to_as_many_responses(crafted, admin_user):
    browser = login(admin_user)
    html = browser.get(f"{reverse('loops:report_feedback')}?{PERIOD}").content.decode()
    links = _links(html, "loops:report_responses")
    counted = 0
    for href, text in links:
        query = parse_qs(urlsplit(href).query)
        if text.isdigit() and ("score" in query or "theme" in query):
            assert _count(browser, href) == int(text), href
            counted += 1
    assert counted >= 11 + 10  # the score distribution and the themes
    assert re.search(r'id="fig-nps"[^>]*><span class="figure">22\.2<', html)
    assert "small sample: noise" in html
    rate = next(href for href, _text in links if "figure=answered" in href)
    assert _count(browser, rate) == 15
    promoters = next(href for href, text in links if "band=promoter" in href and "kind=nps" in href)
    assert _count(browser, promoters) == 5


def test_advocacy_numbers_drill_down_to_as_many_loops(crafted, admin_user):
    browser = login(admin_user)
    html = browser.get(f"{reverse('loops:report_advocacy')}?{PERIOD}").content.decode()
    links = [(href, text) for href, text in _links(html, "loops:report_loops") if text.isdigit()]
    assert {"dimension", "cause", "duration"} <= {key for href, _ in links for key in parse_qs(urlsplit(href).query)}
    for href, text in links:
        assert _count(browser, href) == int(text), href
    assert re.search(r'id="fig-effort"[^>]*><span class="figure">11\.00<', html)


def test_targets_page_shows_variance_with_its_sign(crafted, admin_user):
    from decimal import Decimal

    from loops.models import Target
    from tests.loops.reports.conftest import FIRST, LAST

    Target.objects.create(metric="sla_compliance", period_start=FIRST, period_end=LAST, value=Decimal("80"))
    html = login(admin_user).get(f"{reverse('loops:report_targets')}?{PERIOD}").content.decode()
    assert "−55.0" in html and "off track" in html


def test_a_supervisor_drilling_down_sees_only_their_teams_loops(crafted, supervisor, outsider):
    browser = login(supervisor)
    response = browser.get(f"{reverse('loops:report_loops')}?{PERIOD}&figure=overdue")
    assert [loop.pk for loop in response.context["page"]] == [crafted.loops["L2"].pk]
    assert "Gamma" not in response.content.decode()
    html = browser.get(f"{reverse('loops:report_accountability')}?{PERIOD}").content.decode()
    assert "Gamma" not in html and "Otto" not in html
    # Asking for the other team's figures gives nothing, not their numbers.
    south = outsider.team_id
    html = browser.get(f"{reverse('loops:report_accountability')}?{PERIOD}&team={south}").content.decode()
    assert re.search(r'id="fig-opened"[^>]*><span class="figure">0<', html)


def test_pages_need_a_staff_login_and_bad_filters_fall_back(crafted, client, admin_user):
    assert client.get(reverse("loops:report_feedback")).status_code == 302
    browser = login(admin_user)
    for name in ("report_feedback", "report_accountability", "report_advocacy", "report_targets", "report_index"):
        response = browser.get(reverse(f"loops:{name}") + "?from=2025-02-30&to=x&team=²&owner=-1&survey=abc")
        assert response.status_code == 200, name


def test_the_dashboard_costs_a_fixed_number_of_queries(crafted, admin_user, django_assert_max_num_queries):
    browser = login(admin_user)
    with django_assert_max_num_queries(40):
        browser.get(f"{reverse('loops:report_feedback')}?{PERIOD}")
    with django_assert_max_num_queries(30):
        browser.get(f"{reverse('loops:report_accountability')}?{PERIOD}")
