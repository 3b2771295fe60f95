from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.integration.helpers import CountingHandler, RedisServer, free_port, private_redis


@pytest.fixture
def smtp_sink() -> Iterator[tuple[CountingHandler, int]]:
    """A local SMTP server that counts what it accepts (recipient and Message-ID)."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler(rcpt_delay=0.02)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own, to kill and restart, for processes that share the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgresql://... (the processes share the test database)")
    with private_redis(tmp_path) as server:
        yield server
