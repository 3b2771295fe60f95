"""The scheduler celery beat runs: Celery's own, which also records beat's heartbeat itself.

A worker records its heartbeat when it runs the heartbeat task; if beat's were recorded there too,
a dead worker would make the status page call a live beat dead as well, and send the operator to
restart the wrong process.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import PersistentScheduler, ScheduleEntry
from django.db import DatabaseError, close_old_connections, connection

from vocplatform.services import heartbeat_record

logger = logging.getLogger(__name__)


class HeartbeatScheduler(PersistentScheduler):
    def apply_async(self, entry: ScheduleEntry, producer: Any = None, advance: bool = True, **kwargs: Any) -> Any:
        result = super().apply_async(entry, producer, advance, **kwargs)
        if entry.name == "heartbeat":
            _record_beat()  # once the broker took it: beat is alive and reaches the broker
        return result


def _record_beat() -> None:
    # Beat lives for weeks: a connection the database dropped meanwhile is replaced (never inside a
    # transaction, whose connection Django would close: only a test applies entries in one).
    if not connection.in_atomic_block:
        close_old_connections()
    try:
        heartbeat_record(name="beat")
    except DatabaseError:
        # The schedule goes on without the database; the status page shows beat as not seen.
        logger.warning("beat could not record its heartbeat", exc_info=True)
