"""Shared by the benchmarks: a throwaway PostgreSQL database, gunicorn started the production
way, a small keep-alive HTTP client, latency figures, and the closing table.

Not a benchmark itself: `make bench` runs every bench/*.py, and this one just says so.
Everything listens and connects on loopback only.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/13"  # a database number of the benchmarks' own, emptied after
GUNICORN_WORKERS = 2


# --- the environment ----------------------------------------------------------------------------


def server_url() -> str:
    """The PostgreSQL server to create the throwaway database on: BENCH_DATABASE_URL, else
    DATABASE_URL when it is PostgreSQL, else the local default."""
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        value = os.environ.get(name, "")
        if value.startswith(("postgres://", "postgresql://")):
            return value
    return DEFAULT_SERVER_URL


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@contextlib.contextmanager
def throwaway_database(prefix: str = "vocbench") -> Iterator[str]:
    """Create `<prefix>_<pid>`, yield its URL, drop it (even if the benchmark failed)."""
    import psycopg

    admin_url = with_database(server_url(), "postgres")
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url(), name)
    finally:
        if "django.db" in sys.modules:
            from django.conf import settings
            from django.db import connections

            if settings.configured:
                connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a production-like process: DEBUG off (no query log kept in memory),
    plain HTTP on loopback (no SSL redirect, cookies not Secure), Redis as the broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_TASK_ALWAYS", "DJANGO_SETTINGS"))}
    env.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or bench_secret(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        VAR_DIR=str(var_dir),
        STATIC_ROOT=str(var_dir / "static"),
        EMAIL_URL="memory://",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The load generator is one IP on loopback: the per-IP survey throttle must not be the limit.
        SURVEY_RATE_PER_IP="100000000/min",
    )
    env.update(extra)
    return env


_SECRET = secrets.token_urlsafe(50)


def bench_secret() -> str:
    """One secret per run, shared by this process (which mints survey tokens) and gunicorn."""
    return _SECRET


def setup_django(env: Mapping[str, str]) -> None:
    """Configure this process like the servers (same database, key, broker) and start Django."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vocplatform.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(env: Mapping[str, str], *args: str, timeout: float = 240) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=dict(env), capture_output=True, timeout=timeout
    )
    if done.returncode:
        said = (done.stderr or done.stdout).decode(errors="replace")[-2000:]
        raise SystemExit(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{said}")


def purge_broker(env: Mapping[str, str]) -> None:
    """Empty the benchmarks' Redis database: the requests queued tasks that no worker runs here."""
    url = env["CELERY_BROKER_URL"]
    if not url.startswith("redis://"):
        return
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()


def broker_reachable(env: Mapping[str, str]) -> bool:
    parts = urlsplit(env["CELERY_BROKER_URL"])
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2):
            return True
    except OSError:
        return False


# --- gunicorn -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gunicorn:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid)

    def peak_rss_kib(self) -> dict[int, int]:
        """VmHWM (peak resident set) of each worker, in KiB."""
        return {pid: proc_status_kib(pid, "VmHWM") for pid in self.worker_pids()}

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


@contextlib.contextmanager
def gunicorn(
    env: Mapping[str, str], *, wsgi: str = "vocplatform.wsgi", pythonpath: str | None = None, ready_path: str = "/"
) -> Iterator[Gunicorn]:
    """gunicorn with GUNICORN_WORKERS sync workers on a free loopback port, stopped on exit."""
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="vocbench-gunicorn-", suffix=".log")[1])
    argv = [sys.executable, "-m", "gunicorn", f"{wsgi}:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(GUNICORN_WORKERS), "--timeout", "60", "--graceful-timeout", "10"]
    if pythonpath:
        argv += ["--pythonpath", pythonpath]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Gunicorn(port, process, log_path)
    try:
        wait_until_serving(server, ready_path)
        yield server
    finally:
        server.stop()
        log_path.unlink(missing_ok=True)


def wait_until_serving(server: Gunicorn, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            if len(server.worker_pids()) >= GUNICORN_WORKERS:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def child_pids(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 1 and int(fields[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def proc_status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- HTTP client ----------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    seconds: float


class Client:
    """One keep-alive connection (re-opened when the server closes it, as gunicorn's sync
    workers do after every response) and the cookies it was given."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Reply:
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the kept-alive connection just as we reused it: once more, fresh.
                self.conn.close()
                if attempt == 2:
                    raise
        seconds = time.perf_counter() - started
        given = {}
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            given[name.strip()] = rest.split(";", 1)[0]
        self.cookies.update(given)
        if response.will_close:
            self.conn.close()
        return Reply(response.status, dict(response.getheaders()), given, data, seconds)

    def close(self) -> None:
        self.conn.close()


CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_from(body: bytes) -> str:
    found = CSRF_INPUT.search(body)
    return found.group(1).decode() if found else ""


# --- figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Run:
    """Requests of one phase: count, errors, wall time, latencies."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def row(self) -> list[str]:
        ms = [x * 1000 for x in self.latencies]
        return [
            self.name,
            f"{len(self.latencies):,}",
            f"{self.errors:,}",
            f"{self.rate:,.0f}",
            f"{statistics.median(ms):.1f}" if ms else "-",
            f"{percentile(ms, 0.99):.1f}" if ms else "-",
        ]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), line]
    for row in rows:
        cells = [str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  ".join(cells))
    return "\n".join(out)


def hardware() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"nproc {len(os.sched_getaffinity(0))}" + (f" ({model})" if model else "")


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every figure here."""
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


def database_size(database_url: str) -> str:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
    return str(row[0]) if row else "?"


def rss_line(peaks: Mapping[int, int]) -> str:
    return ", ".join(f"{kib / 1024:.0f} MiB" for kib in peaks.values()) or "?"


if __name__ == "__main__":
    print("bench/_stack.py holds helpers for the benchmarks; run bench/events.py or bench/submit.py.")
