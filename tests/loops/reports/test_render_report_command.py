"""`manage.py render_report` writes each pack to a file, with progress on stderr."""

from __future__ import annotations

import io
import subprocess

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _text(path) -> str:  # type: ignore[no-untyped-def]
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()


def test_weekly_pack_for_a_team(crafted, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    path = tmp_path / "weekly.pdf"
    call_command("render_report", "weekly", "--team", "South", "--period", "2025-03-03:2025-03-16",
                 "--out", str(path), stdout=out, stderr=err)  # fmt: skip
    text = _text(path)
    assert "Weekly accountability report: South" in text and "Gamma GmbH" in text and "Acme Corp" not in text
    assert "pages" in out.getvalue() and "100%" in err.getvalue()


def test_review_and_account_packs(crafted, tmp_path):
    call_command("render_report", "review", "--period", "2025-03-03:2025-03-16", "--out", str(tmp_path / "r.pdf"),
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert "Management review pack" in _text(tmp_path / "r.pdf")
    acme = crafted.accounts["acme"].external_id
    call_command("render_report", "account", "--account", acme, "--as", "max", "--out", str(tmp_path / "a.pdf"),
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert "Account report: Acme Corp" in _text(tmp_path / "a.pdf")


@pytest.mark.parametrize(
    "args",
    [
        ["weekly", "--period", "2025-03-16:2025-03-03"],
        ["weekly", "--period", "last week"],
        ["weekly", "--period", "2026-01-01:9999-12-31"],  # open-ended: past the five years a pack spans
        ["weekly", "--period", "9999-12-25:9999-12-31"],  # its day boundaries overflow between time zones
        ["weekly", "--team", "Nowhere"],
        ["account"],
        ["account", "--account", "NO-SUCH"],
        ["weekly", "--as", "nobody"],
    ],
)
def test_bad_arguments_are_clear_errors(crafted, tmp_path, args):
    with pytest.raises(CommandError):
        call_command(
            "render_report", *args, "--out", str(tmp_path / "x.pdf"), stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert not (tmp_path / "x.pdf").exists()


def test_an_account_the_user_cannot_see_is_refused(crafted, tmp_path):
    gamma = crafted.accounts["gamma"].external_id
    with pytest.raises(CommandError, match="not visible"):
        call_command("render_report", "account", "--account", gamma, "--as", "max", "--out", str(tmp_path / "x.pdf"),
                     stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip


@pytest.mark.parametrize("where", ["missing/folder/x.pdf", "."])
def test_an_out_path_that_cannot_be_written_is_refused_before_rendering(crafted, tmp_path, where):
    with pytest.raises(CommandError, match="give a file in an existing folder"):
        call_command(
            "render_report", "weekly", "--out", str(tmp_path / where), stdout=io.StringIO(), stderr=io.StringIO()
        )
