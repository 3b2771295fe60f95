"""A task for the broker tests only: a worker started with ``--include`` loads it.

It does nothing a project task does, so a test can keep a worker busy and see, without touching
the database, which messages the worker ran: each run appends its tag to the file PROBE_MARKS names.
"""

from __future__ import annotations

import os
import time

from celery import shared_task


@shared_task(acks_late=True)
def probe(tag: str, busy_seconds: float = 0.0) -> None:
    time.sleep(busy_seconds)
    with open(os.environ["PROBE_MARKS"], "a", encoding="utf-8") as marks:
        marks.write(tag + "\n")
