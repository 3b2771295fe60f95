"""Importing accounts from CSV: upsert by external id, typed custom attributes, all or nothing."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Account

pytestmark = pytest.mark.django_db

TELCO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "churn" / "telco_accounts.csv"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_accounts", *args, stdout=out, stderr=io.StringIO(), verbosity=1)
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "accounts.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def telco_rows() -> list[dict[str, str]]:
    assert TELCO.exists(), f"the real churn data is expected at {TELCO} (see shared/data/README.md)"
    with TELCO.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_telco_export_imports_every_account_with_typed_attributes_and_twice_changes_nothing(telco_rows):
    first = run(str(TELCO), "--label-column", "Churn", "--churned-value", "Yes")
    assert "7043 were created" in first
    assert "Column 'TotalCharges': 11 blank value(s) stored as missing." in first
    assert Account.objects.count() == 7043

    account = Account.objects.get(external_id="7590-VHVEG")
    assert len(account.custom_attributes) == 19
    assert "Churn" not in account.custom_attributes and "customerID" not in account.custom_attributes
    assert account.custom_attributes["tenure"] == 1
    assert account.custom_attributes["MonthlyCharges"] == pytest.approx(29.85)
    assert account.custom_attributes["Contract"] == "Month-to-month"
    churned = sum(1 for row in telco_rows if row["Churn"] == "Yes")
    assert Account.objects.filter(outcome=Account.Outcome.CHURNED).count() == churned
    assert Account.objects.filter(outcome=Account.Outcome.RETAINED).count() == 7043 - churned
    blank_total = [a for a in Account.objects.all() if a.custom_attributes["TotalCharges"] is None]
    assert len(blank_total) == 11

    stamps = dict(Account.objects.values_list("external_id", "updated_at"))
    second = run(str(TELCO), "--label-column", "Churn", "--churned-value", "Yes")
    assert "0 were created, 0 were updated, 7043 unchanged" in second
    assert dict(Account.objects.values_list("external_id", "updated_at")) == stamps


def corrupt(rows: list[dict[str, str]]) -> str:
    rows = [dict(row) for row in rows[:50]]
    rows[4]["customerID"] = rows[2]["customerID"]  # duplicate external id on line 6
    rows[9]["MonthlyCharges"] = "lots"  # wrong type in a mapped column, line 11
    rows[19]["domain"] = "not a domain"  # line 21
    for row in rows:
        row.setdefault("domain", "example.com")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_corrupted_copy_commits_nothing_and_names_each_bad_row_and_column(tmp_path, telco_rows):
    path = write(tmp_path, corrupt(telco_rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_accounts", path, "--map", "MonthlyCharges=annual_revenue", stdout=io.StringIO(), stderr=err
        )
    assert Account.objects.count() == 0
    report = err.getvalue()
    assert f"line 6, column 'external_id': '{telco_rows[2]['customerID']}' repeats line 4" in report
    assert "line 11, column 'MonthlyCharges': 'lots' is not an amount of money" in report
    assert "line 21, column 'domain': 'not a domain' is not a domain name" in report


def test_skip_invalid_imports_the_good_rows_only(tmp_path, telco_rows):
    path = write(tmp_path, corrupt(telco_rows))
    out = io.StringIO()
    call_command(
        "import_accounts",
        path,
        "--map",
        "MonthlyCharges=annual_revenue",
        "--skip-invalid",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "47 were created" in out.getvalue() and "3 skipped" in out.getvalue()
    assert Account.objects.count() == 47
    assert Account.objects.get(external_id=telco_rows[0]["customerID"]).annual_revenue == Decimal("29.85")


def test_dry_run_counts_and_writes_nothing(tmp_path):
    path = write(tmp_path, "external_id,name\nA1,Alpha\nA2,Beta\n")
    assert "2 would be created" in run(path, "--dry-run")
    assert Account.objects.count() == 0


def test_known_fields_are_recognised_typed_and_updated_by_external_id(tmp_path, manager):
    header = "Account ID,Account Name,Segment,Annual Revenue,Owner Email,Renewal Date,Product Lines,Seats\n"
    run(write(tmp_path, header + f'A1,Alpha,SMB,"1,200,000",{manager.email},2027-03-01,Core;Mobile,25\n'))
    account = Account.objects.get(external_id="A1")
    assert (account.name, account.segment, account.owner, str(account.renewal_date)) == (
        "Alpha",
        "SMB",
        manager,
        "2027-03-01",
    )
    assert account.annual_revenue == Decimal("1200000.00")
    assert account.product_lines == ["Core", "Mobile"]
    assert account.custom_attributes == {"Seats": 25}
    assert "1 were updated" in run(
        write(tmp_path, header + "A1,Alpha Two,SMB,1200000,,2027-03-01,Core;Mobile,30\n", "b.csv")
    )
    account.refresh_from_db()
    assert (account.name, account.custom_attributes) == ("Alpha Two", {"Seats": 30})


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("name,segment\nAlpha,SMB\n", "No column for required field(s) external_id"),
        ("id,name,name\nA1,x,y\n", "repeats column(s): name"),
        ("id,owner\nA1,nobody@nowhere.example\n", "'nobody@nowhere.example' is not a staff user"),
        ("id,renewal_date\nA1,03/01/2027\n", "is not a date written as YYYY-MM-DD"),
        ("id,annual_revenue\nA1,-5\n", "zero or more"),
        ("id,name\nA1,Alpha\nA2,Be\x00ta\n", "The file holds a NUL character at line 3"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, content, message):
    with pytest.raises(CommandError) as excinfo:
        call_command("import_accounts", write(tmp_path, content), stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert message in str(excinfo.value) + err.getvalue()
    assert Account.objects.count() == 0


@pytest.mark.parametrize("number", ["1e999", "-1e999", "9" * 5000])
def test_a_custom_number_without_a_finite_value_makes_its_column_text(tmp_path, number):
    """JSON holds no infinity, and Python converts no integer of over 4,300 digits: such a column is
    text, each cell kept as written."""
    out = run(write(tmp_path, f"id,score\nA1,{number}\nA2,2.5\n"))
    assert "custom attributes: score (text)" in out
    assert [Account.objects.get(external_id=key).custom_attributes["score"] for key in ("A1", "A2")] == [number, "2.5"]


def test_a_mapping_to_an_unknown_field_is_refused(tmp_path):
    with pytest.raises(CommandError, match="'colour' is not a field"):
        call_command("import_accounts", write(tmp_path, "id,Colour\nA1,red\n"), "--map", "Colour=colour")
