"""Two transactions in a set order on PostgreSQL: the first holds a row lock, the second waits for it.

Each runs in a thread of its own (its own connection, closed at the end so the test database can
be flushed). `second_waits_for_first` makes the interleaving that a race would make only sometimes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

# The marks of a race test: committed data its threads can see, and PostgreSQL (SQLite serialises
# every writer, so it cannot show a race).
RACE = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so it cannot show a race (set DATABASE_URL)",
    ),
]


def wait_for_a_lock_wait(timeout: float = 10.0) -> None:
    """Until some other session of this database waits for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited for the first one's row lock")


def second_waits_for_first(first: Callable[[Callable[[], None]], object], second: Callable[[], object]) -> None:
    """Run ``first(pause)`` in a thread until it calls ``pause()`` (holding a row lock, its
    transaction open); then run ``second()`` in another thread until it waits for a lock; then let
    ``first`` go on. Returns when both have ended; an error in either is raised here."""
    holding, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def pause() -> None:
        holding.set()
        if not go.wait(10):
            raise AssertionError("the first transaction was never let go")

    def run(work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            holding.set()  # a first transaction that failed before pausing must not hang the test
            connection.close()

    one = threading.Thread(target=run, args=(lambda: first(pause),))
    two = threading.Thread(target=run, args=(second,))
    one.start()
    assert holding.wait(10)
    if not errors:
        two.start()
        try:
            wait_for_a_lock_wait()
        finally:
            go.set()
            two.join(10)
    go.set()
    one.join(10)
    assert not errors, errors
