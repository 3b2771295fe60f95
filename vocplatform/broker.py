"""kombu's Redis transport, keeping one Redis client per channel instead of building one per message.

kombu 5.6's Redis channel wraps its connection pool in a new ``redis.Redis`` for every message
it publishes (``Channel.conn_or_acquire``). Building one fills the client's table of response
callbacks: about 0.2 ms of CPU, half of what publishing a task costs, paid on every customer's
answer. A client is only a handle on the pool (redis-py shares one between threads), so this
channel keeps it for as long as it keeps the pool; kombu drops the pool when the connection to
Redis fails, and the next message builds a client on the new one.

Used for ``redis://`` broker URLs (settings ``CELERY_BROKER_TRANSPORT``); ``rediss://`` keeps
kombu's own transport, whose TLS defaults depend on the scheme's name. The worker's banner and
kombu's log lines name the broker ``vocplatform.broker:Transport://host:port/db``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):  # type: ignore[misc]
    _kept_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        pool = self.pool
        kept = self._kept_client
        if kept is None or kept.connection_pool is not pool:
            kept = self._kept_client = self.Client(connection_pool=pool)
        yield kept


class Transport(redis.Transport):  # type: ignore[misc]
    Channel = Channel
