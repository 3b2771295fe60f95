"""Shared by the integration tests: free ports, bounded waits, a counting SMTP sink,
and Celery processes started in their own process group so that cleanup can stop
exactly what a test started."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database, during a test)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server, another database number: a queue this test may empty."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


# --- SMTP sink -------------------------------------------------------------------------------


@dataclass
class Delivery:
    recipient: str
    message_id: str
    outbox_id: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class CountingHandler:
    """An aiosmtpd handler that keeps every accepted message's recipient and Message-ID.

    `rcpt_delay` stands for a real server's latency. It is spent before DATA, so a
    client killed while waiting has transferred nothing; what it does not change is
    the unavoidable window between the server's "250 accepted" and the client
    recording that it sent (see the test's docstring).
    """

    rcpt_delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        message = email.message_from_bytes(content, policy=email.policy.default)
        message_id = str(message.get("Message-ID", ""))
        outbox_id = str(message.get("X-Vocplatform-Outbox", ""))
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.deliveries.append(Delivery(recipient.lower(), message_id, outbox_id))
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.deliveries)

    def by_recipient(self) -> Counter[str]:
        return Counter(d.recipient for d in self.snapshot())

    def by_message_id(self) -> Counter[str]:
        return Counter(d.message_id for d in self.snapshot())


# --- processes -----------------------------------------------------------------------------


@dataclass
class Process:
    """A subprocess in its own session (process group), with its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process and every process it started (they share its process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 10) -> None:
        self.kill_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        # Whatever is left in the group (pool children orphaned by a SIGKILL) goes now.
        self.kill_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


def start_process(name: str, argv: list[str], env: Mapping[str, str], log_dir: Path) -> Process:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            argv, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name=name, popen=popen, log_path=log_path)


def celery_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "vocplatform", *args]


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc (Linux)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; fields after it are fixed.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def kill_pids(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
