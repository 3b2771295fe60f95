"""Prepared statements that outlive a schema change.

On PostgreSQL a statement run often on a connection is prepared (``DATABASE_PREPARE_THRESHOLD``).
When a migration then changes the type of a column such a statement returns, PostgreSQL refuses to
run it again ("cached plan must not change result type"), and psycopg keeps it until the
connection rolls back or closes, which an autocommit lookup never does. So every request and task
that meets the error closes its connection: the next one reconnects and prepares afresh, and the
request in hand is a 503 with Retry-After, like any lost connection (nothing was saved).
"""

from __future__ import annotations

from django.db import NotSupportedError, connections

STALE_PLAN_SQLSTATE = "0A000"  # feature_not_supported, which PostgreSQL raises for a stale plan


def is_stale_plan(error: BaseException) -> bool:
    cause = error.__cause__
    return (
        isinstance(error, NotSupportedError)
        and getattr(cause, "sqlstate", None) == STALE_PLAN_SQLSTATE
        and "cached plan" in str(cause)
    )


def close_stale_connections(error: BaseException) -> bool:
    """Close every connection of this thread if ``error`` is a stale plan; whether it was."""
    if not is_stale_plan(error):
        return False
    for connection in connections.all(initialized_only=True):
        connection.close()
    return True
