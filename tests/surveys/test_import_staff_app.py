"""The staff-app import: upload, a task checks the file, preview and errors, confirm, a task imports."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from conftest import login
from surveys.models import Account, ImportJob
from surveys.services import import_jobs
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def upload(client, content: str, **fields):
    data = {"kind": "accounts", "file": SimpleUploadedFile("crm.csv", content.encode()), **fields}
    return client.post(reverse("surveys:import_list"), data)


def test_an_admin_uploads_previews_confirms_and_sees_the_import_done(admin_user, django_capture_on_commit_callbacks):
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "customerID,Churn,Plan\nA1,Yes,Gold\nA2,No,Silver\n", label_column="Churn")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("surveys:import_detail", args=[job.pk])
    assert job.status == ImportJob.Status.READY
    page = client.get(response["Location"])
    assert b"Import now" in page.content and b"Gold" in page.content
    assert Account.objects.count() == 0, "nothing is written before confirmation"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.percent == 100
    assert job.summary["created"] == 2
    assert Account.objects.get(external_id="A1").outcome == Account.Outcome.CHURNED
    assert client.get(reverse("surveys:import_status", args=[job.pk])).json()["status"] == "done"


def test_a_bad_file_shows_its_errors_and_can_import_only_the_good_rows(admin_user, django_capture_on_commit_callbacks):
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "id,annual_revenue\nA1,100\nA2,abc\n")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    page = client.get(reverse("surveys:import_detail", args=[job.pk]))
    assert b"&#x27;abc&#x27; is not an amount of money" in page.content
    assert b"skip 1 bad ones" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:import_confirm", args=[job.pk]), {"skip_invalid": "1"})
    assert list(Account.objects.values_list("external_id", flat=True)) == ["A1"]


def test_confirming_twice_imports_once(admin_user, django_capture_on_commit_callbacks):
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "id\nA1\n")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("surveys:import_confirm", args=[job.pk]))
        second = client.post(reverse("surveys:import_confirm", args=[job.pk]), follow=True)
    assert len(callbacks) == 1
    assert b"not waiting for confirmation" in second.content


def test_an_unreadable_file_is_refused_at_upload(admin_user):
    client = login(admin_user)
    response = client.post(
        reverse("surveys:import_list"), {"kind": "accounts", "file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")}
    )
    assert response.status_code == 200
    assert b"not UTF-8" in response.content
    assert not ImportJob.objects.exists()


def test_an_empty_file_is_refused_at_upload(admin_user):
    response = upload(login(admin_user), "")
    assert response.status_code == 200
    assert b"The submitted file is empty" in response.content
    assert not ImportJob.objects.exists()


def test_a_file_without_the_id_column_fails_cleanly(admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(login(admin_user), "name,segment\nAlpha,SMB\n")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    assert "No column for required field(s) external_id" in job.errors[0]["message"]


def test_another_admins_import_is_visible_but_a_managers_is_not_theirs(admin_user, manager):
    job = ImportJob.objects.create(kind="accounts", filename="x.csv", content="id\n", created_by=admin_user)
    assert login(manager).get(reverse("surveys:import_detail", args=[job.pk])).status_code == 404


def test_a_file_with_a_nul_character_is_refused_at_upload_with_its_line(admin_user):
    """PostgreSQL cannot store a NUL character: the upload is refused before the file is kept."""
    response = upload(login(admin_user), "id,name\nA1,Al\x00pha\n")
    assert response.status_code == 200
    assert b"The file holds a NUL character at line 2" in response.content
    assert not ImportJob.objects.exists()


def test_a_row_taking_a_stored_contacts_email_is_an_error_of_the_check_not_a_failed_import(
    admin_user, django_capture_on_commit_callbacks
):
    """The check compares each row's email with the stored contacts of its account, as the import will."""
    account = AccountFactory(external_id="A1")
    ContactFactory(account=account, external_id="C1", email="x@acme.com")
    ContactFactory(account=account, external_id="C2", email="y@acme.com")
    with django_capture_on_commit_callbacks(execute=True):
        upload(login(admin_user), "id,account,email\nC1,A1,y@acme.com\n", kind="contacts")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [
        {"line": 2, "column": "email", "message": "'y@acme.com' is the email of another contact of this account"}
    ]


def test_an_import_that_fails_part_way_commits_nothing(admin_user, django_capture_on_commit_callbacks, monkeypatch):
    """A bad file commits nothing: a chunk that fails after others were written (a row stored
    meanwhile collides with it) rolls the whole import back."""
    rows = "".join(f"A{i},Account {i}\n" for i in range(import_jobs.CHUNK_ROWS + 1))
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "id,name\n" + rows)
    job = ImportJob.objects.get()
    real_apply = import_jobs.import_apply

    def second_chunk_fails(*, plan, **kwargs):
        if plan.rows[0].line > 2:  # a chunk after the first, which is written
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_apply(plan=plan, **kwargs)

    monkeypatch.setattr(import_jobs, "import_apply", second_chunk_fails)
    with pytest.raises(IntegrityError), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.notices == [
        "The import failed, so nothing of the file was imported: duplicate key value violates unique constraint"
    ]
    assert not Account.objects.exists()
