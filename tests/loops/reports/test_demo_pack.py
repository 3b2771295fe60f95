"""The weekly pack for the demo organisation, turned into PNGs of its first pages (pdftoppm) so a
reviewer can look at them: they exist and hold a real page, not a blank one."""

from __future__ import annotations

import random
import re
import subprocess

import pytest
from django.utils import timezone

from loops.demo.history import demo_loops_load
from loops.models import Loop
from loops.reports.filters import default_filters
from loops.reports.packs import render_pack
from loops.selectors.cases import loops_visible
from surveys.demo.organisation import demo_load
from surveys.demo.season import demo_season_load
from surveys.models import Response
from surveys.services.analysis import responses_reanalyse
from vocplatform.models import User

pytestmark = pytest.mark.django_db


def test_weekly_pack_of_the_demo_organisation_as_pngs(tmp_path):
    demo_load(password="x")
    now = timezone.now()
    demo_season_load(rng=random.Random(1), now=now)
    responses_reanalyse(response_ids=Response.objects.values_list("pk", flat=True), announce=False)
    demo_loops_load(rng=random.Random(2), now=now)
    sam = User.objects.get(username="sam")  # leads Enterprise East and West

    _title, rendered = render_pack(kind="weekly", viewer=sam, filters=default_filters(viewer=sam, days=28), now=now)
    pdf = tmp_path / "weekly.pdf"
    pdf.write_bytes(rendered.pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)  # fmt: skip
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == min(3, rendered.pages) >= 2
    for page in pages:
        assert page.read_bytes().startswith(b"\x89PNG") and page.stat().st_size > 15_000, page
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "SLA compliance by owner" in text and "Overdue loops" in text
    # Every loop the pack names is one Sam may see, and the demo has loops he may not (Sofia's team's).
    named = {int(n) for n in re.findall(r"#(\d+)", text)}
    visible = set(loops_visible(sam).values_list("pk", flat=True))
    assert named and named <= visible
    assert Loop.objects.exclude(pk__in=visible).exists()
