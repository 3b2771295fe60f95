"""Shared by the integration tests: free ports, bounded waits, a counting SMTP sink,
and Celery processes started in their own process group so that cleanup can stop
exactly what a test started."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
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


def worker_env(broker: str, smtp_port: int, var_dir: str, **settings: object) -> dict[str, str]:
    """The environment of the processes a test starts: this test's database, broker and SMTP sink."""
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        CELERY_BROKER_URL=broker,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        HEARTBEAT_SECONDS="60",
        VAR_DIR=var_dir,
        PYTHONUNBUFFERED="1",
        # Every simulated customer comes from 127.0.0.1: the per-IP survey throttle would stop them.
        SURVEY_RATE_PER_IP="1000000/min",
    )
    env.update({name: str(value) for name, value in settings.items()})
    return env


def start_worker(
    name: str,
    env: Mapping[str, str],
    log_dir: Path,
    concurrency: int = 2,
    include: Sequence[str] = (),
    *,
    as_in_production: bool = False,
) -> Process:
    """A Celery worker on the default queue; ``include`` names extra task modules (a test's own).

    Workers skip mingle and gossip (the start-up and cluster chatter between workers) unless
    ``as_in_production``: the README's worker command runs with both."""
    chatter = () if as_in_production else ("--without-mingle", "--without-gossip")
    argv = celery_argv(
        "worker",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "-Q",
        "celery",
        "--hostname",
        f"{name}@%h",
        *chatter,
        *(f"--include={module}" for module in include),
    )
    worker = start_process(name, argv, env, log_dir)
    wait_for(lambda: " ready." in worker.log() or not worker.alive(), 60, f"{name} to start")
    assert worker.alive(), worker.log()[-3000:]
    return worker


def start_beat(env: Mapping[str, str], log_dir: Path) -> Process:
    schedule = str(log_dir / "celerybeat-schedule")
    return start_process("beat", celery_argv("beat", "--loglevel", "INFO", "--schedule", schedule), env, log_dir)


def start_web(env: Mapping[str, str], log_dir: Path, workers: int = 2, timeout: int = 60) -> tuple[Process, int]:
    """gunicorn serving the project on a free loopback port, as in production."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "vocplatform.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
    ]
    web = start_process("web", argv, env, log_dir)
    wait_for(lambda: _accepts(port) or not web.alive(), 60, "gunicorn to listen")
    assert web.alive(), web.log()[-3000:]
    return web, port


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class RedisServer:
    """A Redis of the test's own on a loopback port, without persistence: a restart loses every
    queued message, which is what the tests need to show the database is the source of truth."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_dir = log_dir
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = start_process(f"redis-{time.monotonic_ns()}", argv, {"PATH": os.environ["PATH"]}, self.log_dir)
        wait_for(lambda: _accepts(self.port), 20, "redis-server to listen", interval=0.05)

    def kill(self) -> None:
        """SIGKILL: what was queued is gone."""
        if self.process is not None:
            self.process.kill_group()
            self.process.popen.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections, but nothing is read or answered."""
        if self.process is not None:
            self.process.kill_group(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            self.process.kill_group(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()  # a stopped process would not act on SIGTERM until continued
            self.process.stop()
            self.process = None


@contextlib.contextmanager
def private_redis(log_dir: Path) -> Iterator[RedisServer]:
    """A started Redis of the caller's own, stopped after; skips the test without redis-server."""
    import pytest

    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on PATH (a private, restartable broker)")
    server = RedisServer(log_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never answers, like a frozen or unreachable
    server behind a network path that drops packets: a client without a timeout waits for ever."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in [*held, listener]:
            connection.close()


def make_invitations(count: int, prefix: str = "KILL") -> list[int]:
    """`count` accounts with one contact each, and a scheduled NPS invitation per contact."""
    from django.utils import timezone

    from surveys.models import Account, Contact, FrequencyRule, Invitation, Question, Survey
    from surveys.services.events import invitation_build

    FrequencyRule.objects.update(active=False)
    survey = Survey.objects.create(name="After the ticket", touchpoint="support ticket", status=Survey.Status.ACTIVE)
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?")
    accounts = Account.objects.bulk_create(
        Account(external_id=f"{prefix}-{n:04d}", name=f"Company {n}", domain=f"c{n}.example") for n in range(count)
    )
    contacts = Contact.objects.bulk_create(
        Contact(account=a, external_id=f"{prefix}-C-{n:04d}", email=f"person{n}@c{n}.example", time_zone="UTC")
        for n, a in enumerate(accounts)
    )
    now = timezone.now()
    invitations = Invitation.objects.bulk_create(
        invitation_build(survey=survey, contact=c, scheduled_for=now) for c in contacts
    )
    return [i.pk for i in invitations]


def enqueue_dispatch(broker: str, ids: list[int], chunk: int = 20) -> None:
    """Publish the dispatch tasks on an explicit connection: to this test's broker, whatever
    producer pool the app may hold from elsewhere in the session."""
    from surveys.tasks import invitations_dispatch_task
    from vocplatform.celery import app as celery_app

    with celery_app.connection_for_write(broker) as conn:
        for start in range(0, len(ids), chunk):
            invitations_dispatch_task.apply_async(args=[ids[start : start + chunk]], connection=conn)
