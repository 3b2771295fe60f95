"""The Redis transport keeps one client per channel: messages still arrive, also after Redis
restarts, and only ``redis://`` broker URLs use it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py
from kombu import Connection

from tests.integration.helpers import RedisServer, private_redis

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "broker-test"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with private_redis(tmp_path) as redis_server:
        yield redis_server


def publish(connection: Connection, body: str) -> None:
    connection.default_channel.basic_publish(
        connection.default_channel.prepare_message(body), exchange="", routing_key=QUEUE
    )


def queued(server: RedisServer) -> int:
    return int(redis_py.Redis.from_url(server.url).llen(QUEUE))


def test_messages_arrive_through_one_kept_client(server: RedisServer) -> None:
    with Connection(server.url, transport="vocplatform.broker:Transport") as connection:
        publish(connection, "first")
        kept = connection.default_channel._kept_client
        assert kept is not None
        publish(connection, "second")
        assert connection.default_channel._kept_client is kept, "the second message built no client"
    assert queued(server) == 2


def test_messages_go_through_after_redis_restarts_and_after_kombu_drops_the_pool(server: RedisServer) -> None:
    with Connection(server.url, transport="vocplatform.broker:Transport") as connection:
        publish(connection, "before")
        kept = connection.default_channel._kept_client
        server.kill()
        server.start()
        publish(connection, "after the restart")  # the kept client's pool opens a new socket
        assert queued(server) == 1, "the restart lost what was queued; the message after it arrived"
        connection.default_channel._disconnect_pools()  # what kombu does when a connection fails
        publish(connection, "on a new pool")
        assert connection.default_channel._kept_client is not kept
    assert queued(server) == 2


def broker_transport(tmp_path: Path, url: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    environ.update(CELERY_BROKER_URL=url, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="vocplatform.settings")
    code = "from vocplatform.celery import app; print(app.conf.broker_transport)"
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_only_plain_redis_urls_use_the_kept_client_transport(tmp_path: Path) -> None:
    assert broker_transport(tmp_path, "redis://127.0.0.1:6379/3") == "vocplatform.broker:Transport"
    # rediss:// keeps kombu's own transport, whose TLS defaults hang on the scheme's name.
    assert broker_transport(tmp_path, "rediss://127.0.0.1:6380/3") == "None"
    assert broker_transport(tmp_path, "filesystem://") == "None"
