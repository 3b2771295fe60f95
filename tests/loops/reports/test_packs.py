"""The PDF packs read back with pdftotext: every section is there with the hand-computed numbers,
and a supervisor's pack holds their teams' loops and nobody else's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from loops.reports.packs import render_pack
from tests.loops.reports.conftest import NOW
from vocplatform.models import Team

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return result.stdout.decode()


def flat_text(pdf: bytes, tmp_path: Path) -> str:
    """The text in reading order with whitespace collapsed: phrases that wrap in a cell read whole."""
    path = tmp_path / "pack-raw.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(result.stdout.decode().split())


def line_with(text: str, *words: str) -> str:
    lines = [line for line in text.splitlines() if all(word in line for word in words)]
    assert lines, f"no line with {words}"
    return lines[0]


def test_weekly_pack_for_a_supervisor(crafted, supervisor, period, tmp_path):
    title, rendered = render_pack(kind="weekly", viewer=supervisor, filters=period, now=NOW)
    text = pdf_text(rendered.pdf, tmp_path)
    assert title.startswith("Weekly accountability report: all my teams")
    for section in ("SLA compliance by owner", "Overdue loops (1)", "Escalations (1)", "Override log (2)",
                    "Top root causes", "Plan steps due next week (1)"):  # fmt: skip
        assert section in text, section
    # Max: 2 opened, 1 met, 1 breached = 50 %; Tina 0 %; all five loops of North: 1 met, 2 breached.
    assert "50.0%" in line_with(text, "Max", "2")
    assert "0.0%" in line_with(text, "Tina", "2", "1")
    assert "33.3%" in line_with(text, "All", "5")
    assert f"#{crafted.loops['L2'].pk}" in line_with(text, "Acme Corp", "Max", "Support was slow")
    flat = flat_text(rendered.pdf, tmp_path)
    assert "Tina knows them" in flat and "Customer on leave" in flat
    assert "Send the corrected contract" in flat
    assert line_with(text, "Invoicing", "2") and line_with(text, "Process gap", "2") and "Outage" not in text
    assert "Page 1 of" in text and "Contents" not in text  # short: no contents page
    for secret in ("Gamma", "Otto", "Gamma restore plan", "Gamma secret outage"):
        assert secret not in text, secret


def test_weekly_pack_for_one_team(crafted, admin_user, period, tmp_path):
    south = Team.objects.get(name="South")
    _title, rendered = render_pack(kind="weekly", viewer=admin_user, filters=period, team=south, now=NOW)
    text = pdf_text(rendered.pdf, tmp_path)
    assert "Gamma GmbH" in text and "Gamma restore plan" in text
    assert "Acme Corp" not in text and "Send the corrected contract" not in text
    assert "0.0%" in line_with(text, "Otto", "1")


def test_review_pack_has_every_section_and_a_contents_page(crafted, admin_user, period, tmp_path):
    title, rendered = render_pack(kind="review", viewer=admin_user, filters=period, now=NOW)
    text = pdf_text(rendered.pdf, tmp_path)
    assert title == "Management review pack, 03 Mar 2025 – 16 Mar 2025"
    assert rendered.pages >= 3 and f"Page {rendered.pages} of {rendered.pages}" in text
    contents = text[text.index("Contents") :]
    for section in ("New since the last meeting", "Updated: progress and what changed", "Closed",
                    "Root-cause commitments", "Customer-advocacy measures"):  # fmt: skip
        assert section in contents
    assert "New since the last meeting (6)" in text
    assert "Updated: progress and what changed (1)" in text
    assert "status changed (status: new → in_progress)" in text
    assert "Closed (2)" in text and "yes" in line_with(text, f"#{crafted.loops['L1'].pk}", "Invoicing")
    assert "Root-cause commitments (2)" in text  # L6's and L5's open steps: both loops have a root cause
    assert "2025-03-20" in line_with(text, "Send the corrected contract")
    assert "11.00" in line_with(text, "Effort hours in total")
    assert "360.50" in line_with(text, "Expenses in total")
    assert "1.5" in line_with(text, "03 Mar", "09 Mar 2025")  # customers per loop, week 1


def test_account_report_applies_consent_and_visibility(crafted, manager, outsider, period, tmp_path):
    from django.http import Http404

    from loops.models import AccountRisk

    acme = crafted.accounts["acme"]
    AccountRisk.objects.create(
        account=acme, probability=0.42, drivers=[{"feature": "detractor_share", "weight": 0.8}],
        model_version="test-1", scored_at=NOW,
    )  # fmt: skip
    _title, rendered = render_pack(kind="account", viewer=manager, filters=period, account_id=acme.pk, now=NOW)
    text = pdf_text(rendered.pdf, tmp_path)
    for section in ("Health and churn risk", "Recent feedback", "Open loops"):
        assert section in text
    assert "42%" in text and "detractor_share" in text
    assert "Jane Doe" in text  # she consented
    assert "anonymous" in line_with(text, "Support was slow")
    assert "jane@acme.example" not in text and "Person" not in text  # no email, no name without consent
    assert f"#{crafted.loops['L2'].pk}" in text and f"#{crafted.loops['L1'].pk}" not in text  # open loops only
    with pytest.raises(Http404):
        render_pack(kind="account", viewer=outsider, filters=period, account_id=acme.pk, now=NOW)


@pytest.mark.parametrize(
    "comment",
    ["x" * 400 + "END", "https://support.example.com/tickets/" + "a1b2c3d4" * 40 + "/END"],
    ids=["long-word", "long-link"],
)
def test_a_comment_with_a_very_long_word_is_printed_whole(crafted, manager, period, tmp_path, comment):
    """Its table column shrinks to the page: the word or link breaks instead of running off the edge."""
    from tests.loops.reports.conftest import _loop, at, make_response

    acme = crafted.accounts["acme"]
    response = make_response(acme, crafted.surveys["nps"], 1, at(14), comment=comment)
    _loop(response, owner=manager, opened_at=at(14), fc_due=at(15), res_due=at(16), status="new")
    _title, account = render_pack(kind="account", viewer=manager, filters=period, account_id=acme.pk, now=NOW)
    assert comment in "".join(flat_text(account.pdf, tmp_path).split())
