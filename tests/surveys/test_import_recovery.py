"""An import whose task is lost (the broker dropped it, its worker died) is not left "checking" or
"importing" for ever: the job's heartbeat falls silent, the sweeper queues it again, a duplicate
task never imports alongside a running one, and a file that stops its worker every time fails with
a notice."""

import datetime as dt
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Account, ImportJob
from surveys.services import import_jobs
from surveys.services.import_jobs import MAX_ATTEMPTS, import_job_check, import_job_run, import_jobs_stalled
from surveys.tasks import invitations_sweep_task
from tests.surveys.races import RACE

pytestmark = pytest.mark.django_db
T = TypeVar("T")


def race(test):
    """Committed data that other sessions see, on PostgreSQL (SQLite lets one connection write at a time)."""
    for mark in RACE:
        test = mark(test)
    return test


CSV = "id,name\nA1,Alpha\nA2,Beta\n"


@pytest.fixture
def grace(settings) -> dt.timedelta:
    return dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)


def upload(client) -> None:
    client.post(
        reverse("surveys:import_list"), {"kind": "accounts", "file": SimpleUploadedFile("crm.csv", CSV.encode())}
    )


def upload_lost(client) -> ImportJob:
    """Upload a file; its check task is never run (on-commit callbacks do not run in these tests)."""
    upload(client)
    return ImportJob.objects.get()


def fall_silent(job: ImportJob, grace: dt.timedelta) -> None:
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - grace * 2)


def test_a_file_whose_check_was_lost_is_checked_by_the_sweeper(admin_user, grace):
    job = upload_lost(login(admin_user))
    assert job.status == ImportJob.Status.VALIDATING
    assert import_jobs_stalled(now=job.heartbeat_at + grace / 2) == ([], []), "its task may still be queued"
    assert import_jobs_stalled(now=job.heartbeat_at + grace * 2) == ([job.pk], [])

    fall_silent(job, grace)
    assert invitations_sweep_task()["imports"] == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY and job.rows_total == 2
    assert job.attempts == 1
    assert import_jobs_stalled(now=timezone.now() + grace * 2) == ([], []), "a ready job waits for the admin"


def test_a_confirmed_import_whose_task_was_lost_is_imported_by_the_sweeper(
    admin_user, grace, django_capture_on_commit_callbacks
):
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.READY
    client.post(reverse("surveys:import_confirm", args=[job.pk]))  # its import task is lost
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING and job.attempts == 0
    assert import_jobs_stalled(now=timezone.now() + grace / 2) == ([], [])
    assert import_jobs_stalled(now=timezone.now() + grace * 2) == ([], [job.pk])

    fall_silent(job, grace)
    invitations_sweep_task()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.summary["created"] == 2
    assert sorted(Account.objects.values_list("external_id", flat=True)) == ["A1", "A2"]


def test_a_duplicate_import_task_does_nothing_while_another_task_imports(admin_user, grace):
    job = ImportJob.objects.create(
        kind="accounts", filename="crm.csv", content=CSV, created_by=admin_user, status=ImportJob.Status.IMPORTING
    )
    ImportJob.objects.filter(pk=job.pk).update(attempts=1, heartbeat_at=timezone.now())  # a task is at work
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING and job.attempts == 1
    assert not Account.objects.exists()

    fall_silent(job, grace)  # that task's worker died: the next task takes over
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.attempts == 2
    assert Account.objects.count() == 2


def test_an_import_that_stopped_too_often_fails_with_a_notice(admin_user, grace):
    client = login(admin_user)
    job = upload_lost(client)
    ImportJob.objects.filter(pk=job.pk).update(attempts=MAX_ATTEMPTS)
    fall_silent(job, grace)
    assert import_jobs_stalled() == ([], [])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
    page = client.get(reverse("surveys:import_detail", args=[job.pk]))
    assert f"stopped {MAX_ATTEMPTS} times without finishing".encode() in page.content


def test_a_check_that_starts_beats_and_counts_its_attempt(admin_user):
    long_ago = timezone.now() - dt.timedelta(days=1)
    job = ImportJob.objects.create(kind="accounts", filename="crm.csv", content=CSV, created_by=admin_user)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
    import_job_check(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert job.heartbeat_at > long_ago + dt.timedelta(hours=23) and job.attempts == 1


def test_a_retry_of_the_check_after_a_passing_error_is_not_a_new_attempt(admin_user):
    job = ImportJob.objects.create(kind="accounts", filename="crm.csv", content=CSV, created_by=admin_user)
    ImportJob.objects.filter(pk=job.pk).update(attempts=1)  # the first task started, then met an OSError
    import_job_check(job_id=job.pk, retry=True)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY and job.attempts == 1


def in_another_session(work: Callable[[], T]) -> T:
    """Run ``work`` on a connection of its own (a thread's), as another worker or web process would:
    it sees what is committed, and what it writes commits at once."""
    done: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            done.append(work())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert not errors, errors
    return done[0]


def claim_as_successor(job: ImportJob) -> None:
    """What import_job_run's claim does once the task at work has fallen silent, from another worker."""
    in_another_session(
        lambda: ImportJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1, heartbeat_at=timezone.now())
    )


def after_each_chunk(monkeypatch, then: Callable[[int], None]) -> None:
    """Call ``then(chunks_written)`` after each chunk the import writes, before its heartbeat."""
    real_apply = import_jobs.import_apply
    written = 0

    def apply_then(*, plan, **kwargs):
        nonlocal written
        result = real_apply(plan=plan, **kwargs)
        written += 1
        then(written)
        return result

    monkeypatch.setattr(import_jobs, "import_apply", apply_then)


def importing_job(admin_user, rows: int) -> ImportJob:
    content = "id,name\n" + "".join(f"A{i},Account {i}\n" for i in range(rows))
    return ImportJob.objects.create(
        kind="accounts", filename="crm.csv", content=content, created_by=admin_user, status=ImportJob.Status.IMPORTING
    )


@race
def test_a_running_import_shows_its_progress_while_none_of_its_rows_is_committed(admin_user, monkeypatch):
    """The rows are written in one transaction (a failure commits nothing), yet the heartbeat and the
    progress commit as they go: the staff page shows them, and the sweeper sees the task alive."""
    job = importing_job(admin_user, import_jobs.CHUNK_ROWS * 2)
    client = login(admin_user)
    seen = []

    def look(chunks: int) -> None:
        if chunks == 2:  # the first chunk's heartbeat has gone out
            status_url = reverse("surveys:import_status", args=[job.pk])
            seen.append(in_another_session(lambda: (client.get(status_url).json(), Account.objects.count())))

    after_each_chunk(monkeypatch, look)
    import_job_run(job_id=job.pk)
    assert seen == [({"status": "importing", "label": "Importing", "percent": 50, "rows_done": 500}, 0)]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Account.objects.count() == import_jobs.CHUNK_ROWS * 2


@race
def test_a_task_overtaken_by_its_successor_stops_and_leaves_the_job_to_it(admin_user, monkeypatch):
    """Its next heartbeat finds the job claimed by another task: it stops, and none of its rows stays
    (on SQLite no successor can claim the job while the import's transaction holds the database)."""
    job = importing_job(admin_user, import_jobs.CHUNK_ROWS * 2)
    after_each_chunk(monkeypatch, lambda chunks: claim_as_successor(job) if chunks == 1 else None)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING, "not marked done by the task that lost it"
    assert job.rows_done == 0 and job.attempts == 2
    assert Account.objects.count() == 0, "the chunk it wrote is rolled back: the successor imports the whole file"


@race
def test_a_failure_after_being_overtaken_does_not_fail_the_successors_job(admin_user, monkeypatch):
    """The failure may come from the successor's rows colliding with this task's: the successor decides."""
    job = importing_job(admin_user, 3)

    def overtaken_then_failed(chunks: int) -> None:
        claim_as_successor(job)
        raise IntegrityError("duplicate key value violates unique constraint")

    after_each_chunk(monkeypatch, overtaken_then_failed)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING and job.notices == [] and job.attempts == 2
    assert not Account.objects.exists()


@race
def test_a_large_files_check_keeps_its_heartbeat_through_the_dry_run(admin_user, monkeypatch, grace):
    """The dry run is one transaction, rolled back; the sweeper must still see the check alive."""
    rows = import_jobs.CHUNK_ROWS * 3
    job = ImportJob.objects.create(
        kind="accounts",
        filename="crm.csv",
        content="id,name\n" + "".join(f"A{i},Account {i}\n" for i in range(rows)),
        created_by=admin_user,
        status=ImportJob.Status.VALIDATING,
    )
    real_apply = import_jobs.import_apply
    silent_since = timezone.now() - grace * 2
    seen: list[bool] = []

    def apply_watched(*, plan, progress=None, **kwargs):
        def watched(done: int, total: int) -> None:
            in_another_session(lambda: ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=silent_since))
            if progress is not None:
                progress(done, total)
            seen.append(in_another_session(lambda: import_jobs_stalled() == ([], [])))

        return real_apply(plan=plan, progress=watched, **kwargs)

    monkeypatch.setattr(import_jobs, "import_apply", apply_watched)
    import_job_check(job_id=job.pk)
    assert seen and all(seen), "each beat of the dry run is seen by the sweeper at once"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY and not Account.objects.exists()
