import io

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Contact
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
