"""Imports started from the staff app: check in a task, show a preview, confirm, import in a task.

Both tasks keep the job's heartbeat while they work. A job whose task was lost (the broker dropped
it, or its worker died) falls silent, and the sweeper (:func:`import_jobs_stalled`) queues it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from surveys.models import ImportJob
from surveys.services.imports import ImportOptions, ImportPlan, ImportRefused, ImportResult, import_apply, import_plan
from vocplatform.models import User
from vocplatform.queueing import enqueue_on_commit

logger = logging.getLogger(__name__)
PREVIEW_ROWS = 10
ERRORS_KEPT = 500
CHUNK_ROWS = 500
# A job whose tasks stopped this many times without finishing fails rather than being retried again.
MAX_ATTEMPTS = 3


def import_job_create(*, user: User, kind: str, filename: str, content: str, options: ImportOptions) -> ImportJob:
    from surveys.tasks import import_job_check_task

    job = ImportJob.objects.create(
        kind=kind, filename=filename[:255], content=content, options=options.as_dict(), created_by=user
    )
    enqueue_on_commit(import_job_check_task, job.pk, swept=True)
    return job


def _beat(job_id: int, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now(), **fields)


def _progress(job_id: int) -> Any:
    """Progress shown to the admin while the file is checked, and the job's heartbeat."""

    def update(done: int, total: int) -> None:
        _beat(job_id, rows_done=done, rows_total=total)

    return update


def _plan(job: ImportJob, progress: Any) -> ImportPlan:
    return import_plan(
        kind=job.kind,  # type: ignore[arg-type]
        content=job.content,
        options=ImportOptions.from_dict(job.options),
        progress=progress,
    )


class _TakenOver(Exception):
    """Another task claimed the import after this one fell silent: this one stops."""


def _owned(job_id: int, attempt: int) -> Any:
    """The job, while it is still importing in the hands of the task that claimed ``attempt``."""
    return ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.IMPORTING, attempts=attempt)


def _owned_beat(job_id: int, attempt: int, **fields: Any) -> None:
    if not _owned(job_id, attempt).update(heartbeat_at=timezone.now(), **fields):
        raise _TakenOver


def _silent_since(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)


def import_job_check(*, job_id: int, retry: bool = False) -> None:
    """Check the file and store a preview. Safe to run twice: it only rewrites the preview.

    Each task that starts the check counts as an attempt; its own retry after a passing error
    (``retry``) does not."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.VALIDATING:
        return
    _beat(job.pk, **({} if retry else {"attempts": F("attempts") + 1}))
    try:
        plan = _plan(job, _progress(job.pk))
    except ValueError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.INVALID,
            errors=[{"line": 1, "column": "(file)", "message": str(exc)}],
            finished_at=timezone.now(),
        )
        return
    # The dry run is one transaction, rolled back: its heartbeat goes beside it, as an import's
    # does, or a large file's check would look lost to the sweeper and be started again.
    with _beats_beside(partial(_beat, job.pk)) as beat:
        result = import_apply(plan=plan, skip_invalid=True, dry_run=True, progress=lambda _done, _total: beat())
    # Headings (what a column is, then the file's name or the value's kind) as a list: PostgreSQL's
    # jsonb keeps an object's keys in an order of its own, and the cells below follow the file's.
    preview = {
        "headings": [[field, column] for column, field in plan.columns.items()]
        + [[column, kind] for column, kind in plan.custom_types.items()],
        # One cell per column shown, in the columns' order (None for an empty or refused cell), so
        # that no value slides under another column's heading.
        "rows": [
            {
                "line": row.line,
                "cells": [_cell(row.values.get(field)) for field in plan.columns.values()]
                + [_cell(row.custom.get(column)) for column in plan.custom_types],
            }
            for row in plan.rows[:PREVIEW_ROWS]
        ],
    }
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALIDATING).update(
        status=ImportJob.Status.INVALID if plan.errors else ImportJob.Status.READY,
        rows_total=plan.rows_total,
        rows_done=0,
        preview=preview,
        errors=[error.as_dict() for error in plan.errors[:ERRORS_KEPT]],
        notices=plan.notices + ([f"{len(plan.errors)} errors in all."] if len(plan.errors) > ERRORS_KEPT else []),
        summary={**result.as_dict(), "error_count": len(plan.errors), "bad_rows": len(plan.bad_lines)},
    )


def _cell(value: Any) -> str | None:
    return None if value is None else str(value)


def import_job_confirm(*, job: ImportJob, skip_invalid: bool) -> bool:
    """Claim the job for import; False if it was not waiting for confirmation (double click, stale page)."""
    from surveys.tasks import import_job_run_task

    allowed = [ImportJob.Status.READY] + ([ImportJob.Status.INVALID] if skip_invalid else [])
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=allowed, rows_total__gt=0).update(
        status=ImportJob.Status.IMPORTING,
        rows_done=0,
        options={**job.options, "skip_invalid": skip_invalid},
        attempts=0,
        heartbeat_at=timezone.now(),
    )
    if claimed:
        enqueue_on_commit(import_job_run_task, job.pk, swept=True)
    return bool(claimed)


def import_job_run(*, job_id: int) -> None:
    """Import a confirmed job: all of it or, when a row fails, nothing.

    The file was checked before confirmation and the upsert is idempotent, so a
    task redelivered after a crash simply upserts the same rows again. A task runs the import
    only when it is the first to start it or the one before fell silent: a duplicate delivered
    while another task imports does nothing. A task that fell silent and was taken over stops
    at its next heartbeat, its rows rolled back, and leaves the job to its successor.
    """
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        Q(attempts=0) | Q(heartbeat_at__lt=_silent_since(now)), pk=job_id, status=ImportJob.Status.IMPORTING
    ).update(attempts=F("attempts") + 1, heartbeat_at=now)
    if not claimed:
        return
    # Ours: with the heartbeat just set, no other task can claim the job before this read.
    job = ImportJob.objects.get(pk=job_id)
    attempt = job.attempts
    skip_invalid = bool(job.options.get("skip_invalid"))
    try:
        plan = _plan(job, lambda done, total: _owned_beat(job.pk, attempt))
        if plan.errors and not skip_invalid:
            raise ImportRefused(plan)
        _import_all(job, attempt, plan)
    except _TakenOver:
        logger.warning("Import job %s: another task took it over after this one fell silent; stopping.", job.pk)
        return
    except Exception as exc:
        failed = _owned(job.pk, attempt).update(
            status=ImportJob.Status.FAILED,
            notices=[f"The import failed, so nothing of the file was imported: {exc}"],
            finished_at=timezone.now(),
        )
        if not failed:  # taken over meanwhile: the error may be the successor's rows; it decides
            logger.warning("Import job %s failed (%s) after another task took it over; stopping.", job.pk, exc)
            return
        raise


def _import_all(job: ImportJob, attempt: int, plan: ImportPlan) -> None:
    """The good rows chunk by chunk, beating after each, in one transaction that also marks the job done."""
    good = plan.good_rows
    total = ImportResult(skipped=len(plan.bad_lines))
    with _beats_beside(partial(_owned_beat, job.pk, attempt)) as beat, transaction.atomic():
        for start in range(0, len(good), CHUNK_ROWS):
            chunk = replace(plan, rows=good[start : start + CHUNK_ROWS], errors=[])
            part = import_apply(plan=chunk)
            total.created += part.created
            total.updated += part.updated
            total.unchanged += part.unchanged
            beat(rows_done=start + len(chunk.rows), rows_total=len(good))
        done = _owned(job.pk, attempt).update(
            status=ImportJob.Status.DONE, summary={**job.summary, **total.as_dict()}, finished_at=timezone.now()
        )
        if not done:
            raise _TakenOver


@contextmanager
def _beats_beside(beat: Callable[..., None]) -> Iterator[Callable[..., None]]:
    """``beat``, the heartbeat of work whose rows are written in one transaction (an import, or the
    check's dry run).

    On PostgreSQL each beat goes through a connection of its own (that of a thread kept for them) and
    commits at once, while the rows stay uncommitted: the staff page shows the progress, the sweeper
    sees the task alive, and a successor's claim is noticed at the next beat. The import's transaction
    must not write the job's row before its last beat, or that beat would wait for it for ever.
    SQLite lets one connection write at a time, so no beat could commit before the import does; nor
    can the sweeper or a successor write meanwhile. There, and inside a caller's transaction (a test,
    a shell) whose uncommitted rows another connection cannot see, the beats go through the
    import's own transaction.
    """
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        yield beat
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-heartbeat") as beats:
        try:
            yield lambda **fields: beats.submit(beat, **fields).result()
        finally:
            beats.submit(connections.close_all).result()


def import_jobs_stalled(*, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Jobs waiting for their task or in its hands whose heartbeat has been silent for
    SWEEP_GRACE_SECONDS: the ids to check again and the ids to import again. Jobs whose tasks
    already stopped MAX_ATTEMPTS times are failed instead, with a notice the admin sees."""
    now = now or timezone.now()
    stalled = ImportJob.objects.filter(
        status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING], heartbeat_at__lt=_silent_since(now)
    )
    stalled.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ImportJob.Status.FAILED,
        notices=[
            f"The import stopped {MAX_ATTEMPTS} times without finishing. "
            "Upload the file again, or split it into smaller files, and tell an administrator if it happens again."
        ],
        finished_at=now,
    )
    rows = list(stalled.filter(attempts__lt=MAX_ATTEMPTS).order_by("pk").values_list("pk", "status"))
    return (
        [pk for pk, status in rows if status == ImportJob.Status.VALIDATING],
        [pk for pk, status in rows if status == ImportJob.Status.IMPORTING],
    )
