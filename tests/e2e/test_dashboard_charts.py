"""The feedback dashboard in Chromium: a chart's legend is read to its end inside the chart."""

import pytest
from playwright.sync_api import Page

from conftest import PASSWORD
from tests.factories import UserFactory
from vocplatform.models import User

pytestmark = pytest.mark.browser


def test_the_nps_charts_legend_is_read_to_its_end_inside_the_chart(site, desk: Page):
    # In the demo the legend under "NPS over time" stops at "…: noise, not a t": the note is one
    # SVG <text> line, wider than the 640-unit chart, and the SVG clips it.
    UserFactory(username="sue", role=User.Role.SUPERVISOR)
    desk.goto(f"{site}/auth/login/")
    desk.get_by_label("Username").fill("sue")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.goto(f"{site}/crm/loops/reports/feedback/")
    overflow = desk.evaluate(
        """() => {
            const charts = [...document.querySelectorAll('svg.chart')];
            const svg = charts.find(s => s.textContent.includes('margin of error'));
            const note = [...svg.querySelectorAll('text')].find(t => t.textContent.includes('not a trend'));
            const box = note.getBBox();
            return {right: box.x + box.width, width: svg.viewBox.baseVal.width};
        }"""
    )
    assert overflow["right"] <= overflow["width"], overflow
