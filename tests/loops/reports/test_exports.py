"""CSV and Excel exports: the rows behind the filters, under the visibility and consent rules,
with spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import login
from loops.reports import exports
from vocplatform.spreadsheets import neutralised

pytestmark = pytest.mark.django_db
PERIOD = "from=2025-03-03&to=2025-03-16"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    assert neutralised(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


def test_ordinary_values_are_left_alone():
    assert [neutralised(v) for v in ("Acme", "a=b", "", 3, -2, None)] == ["Acme", "a=b", "", 3, -2, None]


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_response_csv_for_a_supervisor_applies_visibility_and_consent(crafted, supervisor):
    response = login(supervisor).get(f"{reverse('loops:report_response_export')}?{PERIOD}")
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    # Acme and Beta in the period: 4 + 3 NPS, 3 CSAT, 2 CES. Nothing of Gamma's.
    assert len(rows) == 12 and {r["account"] for r in rows} == {"Acme Corp", "Beta Ltd"}
    named = [r for r in rows if r["customer name"]]
    assert [(r["customer name"], r["customer email"], r["score"]) for r in named] == [
        ("Jane Doe", "jane@acme.example", "10")
    ]
    assert all(r["customer email"] == "" for r in rows if r["customer name"] == "")
    hostile = next(r for r in rows if "HYPERLINK" in r["comment"])
    assert hostile["comment"] == '\'=HYPERLINK("http://evil") billing twice'


def test_response_export_follows_the_figure_link(crafted, admin_user):
    rows = _csv(login(admin_user).get(f"{reverse('loops:report_response_export')}?{PERIOD}&kind=nps&band=detractor"))
    assert sorted(int(r["score"]) for r in rows) == [0, 3, 6]


def test_loop_excel_export_for_a_supervisor(crafted, supervisor):
    response = login(supervisor).get(f"{reverse('loops:report_loop_export')}?{PERIOD}&format=xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    records = [dict(zip(header, row, strict=True)) for row in rows]
    # Opened in the period and North's: L1 L2 L3 L4 L7.
    assert sorted(r["loop id"] for r in records) == sorted(crafted.loops[n].pk for n in ("L1", "L2", "L3", "L4", "L7"))
    first = next(r for r in records if r["loop id"] == crafted.loops["L1"].pk)
    assert (first["root causes"], first["expenses"], first["recovered"], first["customer name"]) == (
        "Invoicing",
        100,
        "yes",
        None,
    )
    assert first["comment"] == '\'=HYPERLINK("http://evil") billing twice'
    cell = next(c for c in sheet.iter_rows() for c in c if c.value == first["comment"])
    assert cell.data_type == "s"  # text, not a formula


def test_loop_export_follows_the_figure_link(crafted, admin_user, monkeypatch):
    from tests.loops.reports.conftest import NOW

    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    rows = _csv(login(admin_user).get(f"{reverse('loops:report_loop_export')}?{PERIOD}&figure=overdue"))
    assert sorted(int(r["loop id"]) for r in rows) == sorted(crafted.loops[n].pk for n in ("L2", "L5"))


def test_an_excel_export_over_the_limit_is_refused_with_a_csv_link(crafted, supervisor, monkeypatch):
    """A workbook is built whole in the request: beyond the limit the page offers the streamed CSV."""
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)  # the supervisor's period holds 5 loops
    url = f"{reverse('loops:report_loop_export')}?{PERIOD}&format=xlsx"
    refused = login(supervisor).get(url)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "more than 4 rows" in page
    csv_link = reverse("loops:report_loop_export") + "?" + PERIOD.replace("&", "&amp;")
    assert f'href="{csv_link}"' in page
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 5)
    assert login(supervisor).get(url)["Content-Type"].startswith("application/vnd.openxmlformats")
