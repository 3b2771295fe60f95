"""Importing contacts from CSV: upsert by external id, else by email within the account; all or nothing."""

import io

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Contact
from surveys.services.imports import ImportOptions, ImportPlan, ImportRefused, PlannedRow, import_apply, import_plan
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def write(tmp_path, text):
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_contacts_are_upserted_by_external_id_under_their_account(tmp_path):
    AccountFactory(external_id="A1", domain="acme.com")
    content = "id,account,email,name,role,time_zone,opted_out\nC1,A1,Jane@Acme.com,Jane,CFO,Europe/Paris,no\n"
    call_command("import_contacts", write(tmp_path, content), stdout=io.StringIO(), stderr=io.StringIO())
    contact = Contact.objects.get(external_id="C1")
    assert (contact.email, contact.time_zone, contact.opted_out) == ("Jane@acme.com", "Europe/Paris", False)
    content = "id,account,email,name,role,time_zone,opted_out\nC1,A1,jane@acme.com,Jane D,CFO,Europe/Paris,yes\n"
    call_command("import_contacts", write(tmp_path, content), stdout=io.StringIO(), stderr=io.StringIO())
    contact.refresh_from_db()
    assert contact.name == "Jane D" and contact.opted_out and contact.opted_out_at is not None
    assert Contact.objects.count() == 1


def test_an_import_never_takes_an_opt_out_back(tmp_path):
    """The customer unsubscribed from a survey email; the CRM's "no" must not subscribe them again."""
    from surveys.services.invitations import contact_opt_out

    contact = ContactFactory(account=AccountFactory(external_id="A1"), external_id="C1", email="jane@acme.com")
    contact_opt_out(contact_id=contact.pk)
    opted_out_at = Contact.objects.get(pk=contact.pk).opted_out_at
    content = "id,account,email,name,opted_out\nC1,A1,jane@acme.com,Jane D,no\n"
    out = io.StringIO()
    call_command("import_contacts", write(tmp_path, content), stdout=out, stderr=io.StringIO())
    contact.refresh_from_db()
    assert (contact.name, contact.opted_out, contact.opted_out_at) == ("Jane D", True, opted_out_at)
    assert "1 contact(s) stay opted out: an import never takes an opt-out back." in out.getvalue()


def test_a_contact_without_external_id_is_matched_by_account_and_email(tmp_path):
    existing = ContactFactory(account=AccountFactory(external_id="A1"), email="bob@acme.com", external_id=None)
    call_command(
        "import_contacts",
        write(tmp_path, "account,email,name\nA1,BOB@acme.com,Bob\n"),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    existing.refresh_from_db()
    assert existing.name == "Bob" and Contact.objects.count() == 1


def test_a_corrupted_contacts_file_commits_nothing_and_names_each_bad_row(tmp_path):
    AccountFactory(external_id="A1")
    content = (
        "id,account,email,time_zone\n"
        "C1,A1,good@acme.com,UTC\n"
        "C2,A1,not-an-email,UTC\n"
        "C1,A1,other@acme.com,UTC\n"
        "C4,A9,x@acme.com,UTC\n"
        "C5,A1,y@acme.com,Mars/Olympus\n"
        "C6,A1,GOOD@acme.com,UTC\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_contacts", write(tmp_path, content), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "line 3, column 'email': 'not-an-email' is not a valid email address" in report
    assert "line 4, column 'external_id': 'C1' repeats line 2" in report
    assert "line 5, column 'account': no account with external id 'A9'" in report
    assert "line 6, column 'time_zone': 'Mars/Olympus' is not a time zone" in report
    assert "line 7, column 'email': 'good@acme.com' repeats line 2" in report
    assert Contact.objects.count() == 0


def test_a_row_taking_another_stored_contacts_email_is_an_error_on_its_line(tmp_path):
    """A row may not give its contact the email another stored contact of its account holds: the check
    names the line and column instead of the import failing on the database's constraint."""
    account = AccountFactory(external_id="A1")
    ContactFactory(account=account, external_id="C1", email="x@acme.com")
    ContactFactory(account=account, external_id="C2", email="y@acme.com")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_contacts", write(tmp_path, "id,account,email\nC1,A1,Y@acme.com\n"), stdout=io.StringIO(), stderr=err
        )
    assert "line 2, column 'email': 'Y@acme.com' is the email of another contact of this account" in err.getvalue()
    assert Contact.objects.get(external_id="C1").email == "x@acme.com"


def test_a_row_that_moves_a_contact_to_a_new_email_frees_the_old_one_for_a_later_row():
    """Rows apply in file order: once line 2 moves C1 to new@, line 3's old@ belongs to no one and adds a contact."""
    account = AccountFactory(external_id="A1")
    ContactFactory(account=account, external_id="C1", email="old@acme.com", name="Carol")
    content = "id,account,email,name\nC1,A1,new@acme.com,Carol\n,A1,old@acme.com,Dave\n"
    plan = import_plan(kind="contacts", content=content, options=ImportOptions())
    assert plan.errors == []
    result = import_apply(plan=plan)
    assert (result.created, result.updated) == (1, 1)
    assert sorted(Contact.objects.values_list("email", "name")) == [("new@acme.com", "Carol"), ("old@acme.com", "Dave")]


def test_a_second_row_matching_the_same_stored_contact_is_an_error_on_its_line():
    """Line 2 matches C1 by its email and line 3 by its id: applying both would keep one and drop the other."""
    account = AccountFactory(external_id="A1")
    ContactFactory(account=account, external_id="C1", email="old@acme.com", name="Carol")
    content = "id,account,email,name\n,A1,old@acme.com,Dave\nC1,A1,new@acme.com,Carol\n"
    plan = import_plan(kind="contacts", content=content, options=ImportOptions())
    assert [str(error) for error in plan.errors] == ["line 3, column 'id': matches the same contact as line 2"]


def test_an_upsert_without_a_check_refuses_two_rows_matching_the_same_stored_contact():
    """The API's bulk upsert applies rows that import_plan never saw (line = position in the batch):
    the apply matches them itself and refuses rather than losing one."""
    account = AccountFactory(external_id="A1")
    ContactFactory(account=account, external_id="C1", email="old@acme.com", name="Carol")
    rows = [
        PlannedRow(line=0, values={"account": account, "external_id": "NEW", "email": "old@acme.com"}, custom={}),
        PlannedRow(line=1, values={"account": account, "external_id": "C1", "email": "new@acme.com"}, custom={}),
    ]
    with pytest.raises(ImportRefused) as refused:
        import_apply(plan=ImportPlan("contacts", {}, {}, rows, [], [], rows_total=2))
    assert [error.as_dict() for error in refused.value.plan.errors] == [
        {"line": 1, "column": "external_id", "message": "matches the same contact as line 0"}
    ]
    assert list(Contact.objects.values_list("external_id", "email")) == [("C1", "old@acme.com")]
