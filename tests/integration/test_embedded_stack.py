"""`make run`'s embedded stack for real: SQLite and the filesystem broker in a fresh var/,
web + Celery worker + beat started by `runstack`, demo data served, a task run by the real worker."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(VAR_DIR=str(var_dir), HEARTBEAT_SECONDS="1", PYTHONUNBUFFERED="1")
    return env


def wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def heartbeat(db: Path, name: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            row = connection.execute("SELECT beats FROM vocplatform_heartbeat WHERE name = ?", (name,)).fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def sign_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/auth/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"{base}/auth/login/", data=body, headers={"Referer": f"{base}/auth/login/"})
    opener.open(request, timeout=10)
    return opener


def child_environments(pid: int) -> dict[str, set[str]]:
    """The environment variable names of `pid`'s children, by role ("runserver", "worker", "beat")."""
    found: dict[str, set[str]] = {}
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) if entry.name.isdigit() else 0
            if parent != pid:
                continue
            arguments = (entry / "cmdline").read_bytes().decode().split("\0")
            names = {item.split("=", 1)[0] for item in (entry / "environ").read_bytes().decode().split("\0") if item}
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while we looked
        role = next((word for word in ("runserver", "worker", "beat") if word in arguments), None)
        if role:
            found[role] = names
    return found


def test_make_run_stack_serves_demo_data_and_runs_tasks_on_the_real_worker(tmp_path):
    var_dir = tmp_path / "var"
    env = embedded_env(var_dir)
    for step in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
        )
    port = free_port()
    log = (tmp_path / "stack.log").open("wb")
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--port", str(port), "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_ok(f"{base}/auth/login/"), 60, "the web server")
        db = var_dir / "vocplatform.sqlite3"
        # beat schedules the heartbeat every second; only a real worker consuming the broker runs it
        wait_for(lambda: heartbeat(db, "beat") >= 2, 90, "beat to send two heartbeats")
        wait_for(lambda: heartbeat(db, "worker") >= 2, 90, "the worker to run two heartbeats")
        opener = sign_in(base, "maria", "vocdemo-2026")
        home = opener.open(f"{base}/", timeout=10).read().decode()
        assert "Welcome, Maria" in home
        accounts = opener.open(f"{base}/crm/accounts/", timeout=10).read().decode()
        assert accounts.count('href="/crm/accounts/') >= 10
        status = opener.open(f"{base}/status/", timeout=10).read().decode()
        assert status.count("alive") >= 2
        # Only the web server is marked as serving requests, which bounds its statements on
        # PostgreSQL (DATABASE_WEB_STATEMENT_TIMEOUT); the worker and beat may run longer.
        children = child_environments(stack.pid)
        assert set(children) == {"runserver", "worker", "beat"}, children
        assert "VOCPLATFORM_WEB_PROCESS" in children["runserver"]
        assert "VOCPLATFORM_WEB_PROCESS" not in children["worker"] | children["beat"]
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.kill()
            raise
        log.close()
    assert stack.returncode == 0, (tmp_path / "stack.log").read_text()[-3000:]
