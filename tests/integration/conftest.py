from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.helpers import CountingHandler, free_port


@pytest.fixture
def smtp_sink() -> Iterator[tuple[CountingHandler, int]]:
    """A local SMTP server that counts what it accepts (recipient and Message-ID)."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler(rcpt_delay=0.02)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()
