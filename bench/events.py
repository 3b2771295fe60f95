"""Events per second into invitations, through the batch API, served by gunicorn on PostgreSQL.

A throwaway database `vocbench_<pid>` is created, migrated and dropped at the end. gunicorn
(2 sync workers, production settings: DEBUG off) serves the project; this process signs in
as staff through the login form and posts batches of events (one invitation each, through a
trigger rule) from a few keep-alive client threads. Then it replays the same batches: every
event is a duplicate and nothing new is stored. Tasks the requests queue go to a Redis
database of the benchmarks' own (BENCH_BROKER_URL), emptied afterwards; no worker runs them.

    .venv/bin/python bench/events.py [--events 10000] [--batch 1000] [--contacts 5000] [--clients 2]
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stack  # the helpers sit next to this script (sys.path above), not in an installed package
import _summary

USERNAME = "bench-admin"
PASSWORD = "bench-password-not-secret"
EVENT_TYPE = "ticket.closed"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events to post (default 10,000)")
    parser.add_argument("--batch", type=int, default=1000, help="events per request, at most 1,000 (default 1,000)")
    parser.add_argument("--contacts", type=int, default=5000, help="contacts the events name (default 5,000)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client threads (default 2)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DATABASE_CONN_MAX_AGE of the servers (default 0, the project's default: a connection per request)",
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds each of the 2 passes may take (default 60)")
    args = parser.parse_args()
    if not 1 <= args.batch <= 1000:
        parser.error("--batch must be between 1 and 1000 (the API's limit)")
    if args.events < 1 or args.contacts < 1 or args.clients < 1:
        parser.error("--events, --contacts and --clients must be positive")
    return args


def create_data(contacts: int) -> None:
    from surveys.models import Account, Contact, Question, Survey, TriggerRule
    from vocplatform.models import User

    User.objects.create_user(USERNAME, password=PASSWORD, role=User.Role.ADMIN)
    survey = Survey.objects.create(name="After the ticket", touchpoint="support ticket", status=Survey.Status.ACTIVE)
    Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?")
    TriggerRule.objects.create(name="Closed tickets", event_type=EVENT_TYPE, survey=survey)
    accounts = Account.objects.bulk_create(
        [
            Account(external_id=f"BA-{n:06d}", name=f"Company {n}", domain=f"c{n}.example")
            for n in range(contacts // 10 + 1)
        ],
        batch_size=1000,
    )
    Contact.objects.bulk_create(
        [
            Contact(account=accounts[n // 10], external_id=f"BC-{n:06d}", email=f"p{n}@c{n // 10}.example")
            for n in range(contacts)
        ],
        batch_size=1000,
    )


def batches(events: int, size: int, contacts: int) -> list[bytes]:
    items = [
        {
            "external_id": f"bench-event-{n:07d}",
            "type": EVENT_TYPE,
            "contact_external_id": f"BC-{n % contacts:06d}",
            "properties": {"channel": "email", "ticket": n},
        }
        for n in range(events)
    ]
    return [json.dumps({"events": items[i : i + size]}).encode() for i in range(0, events, size)]


def sign_in(port: int) -> dict[str, str]:
    """Cookies of a staff session, through the real login form."""
    client = _stack.Client(port)
    page = client.request("GET", "/auth/login/")
    token = _stack.csrf_from(page.body)
    if page.status != 200 or not token:
        raise SystemExit(f"the login page answered {page.status} without a CSRF token")
    form = urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    reply = client.request(
        "POST", "/auth/login/", form, {"Content-Type": "application/x-www-form-urlencoded", "Referer": "/auth/login/"}
    )
    if reply.status != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"signing in failed: HTTP {reply.status}")
    client.close()
    return dict(client.cookies)


@dataclass
class Pass:
    """One pass over every batch: the requests' timings and what the API said it did."""

    run: _stack.Run
    totals: dict[str, int] = field(default_factory=lambda: {"created": 0, "duplicates": 0, "invitations": 0})
    failures: list[str] = field(default_factory=list)

    def row(self, name: str, counted: str, unit: str) -> list[str]:
        rate = self.totals[counted] / self.run.wall if self.run.wall else 0.0
        done = [f"{self.totals[k]:,}" for k in ("created", "duplicates", "invitations")]
        sent = [name, f"{len(self.run.latencies):,}", f"{self.run.errors}", f"{self.run.wall:.2f}"]
        return [*sent, *done, f"{rate:,.0f} {unit}/s"]


def post_all(port: int, cookies: dict[str, str], bodies: list[bytes], clients: int, timeout: float) -> Pass:
    """POST every body from `clients` threads, each with its own connection; wall time from first to last."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    result = Pass(_stack.Run(""))
    lock = threading.Lock()
    deadline = time.monotonic() + timeout
    headers = {"Content-Type": "application/json", "X-CSRFToken": cookies["csrftoken"]}

    def client_loop() -> None:
        client = _stack.Client(port, timeout=60)
        client.cookies = dict(cookies)
        while time.monotonic() < deadline:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            reply = client.request("POST", "/api/v1/events", body, headers)
            with lock:
                if reply.status in (200, 201):
                    result.run.latencies.append(reply.seconds)
                    for key, value in json.loads(reply.body).items():
                        result.totals[key] = result.totals.get(key, 0) + value
                else:
                    result.run.errors += 1
                    result.failures.append(f"HTTP {reply.status}: {reply.body[:300]!r}")
        client.close()

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.run.wall = time.perf_counter() - started
    return result


def main() -> int:
    args = parse_args()
    print(f"events benchmark: {args.events:,} events in batches of {args.batch:,}, {args.contacts:,} contacts")
    with tempfile.TemporaryDirectory(prefix="vocbench-") as tmp, _stack.throwaway_database() as database_url:
        env = _stack.production_env(database_url, Path(tmp), DATABASE_CONN_MAX_AGE=str(args.conn_max_age))
        load_before = _stack.load_average()
        if not _stack.broker_reachable(env):
            raise SystemExit(f"the broker {env['CELERY_BROKER_URL']} is not reachable; set BENCH_BROKER_URL")
        _stack.setup_django(env)
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)  # the login page's CSS, DEBUG being off
        create_data(args.contacts)
        print(f"setup (migrate, static files, {args.contacts:,} contacts): {time.perf_counter() - started:.1f} s")
        bodies = batches(args.events, args.batch, args.contacts)
        _stack.purge_broker(env)
        try:
            with _stack.gunicorn(env, ready_path="/auth/login/") as server:
                cookies = sign_in(server.port)
                first = post_all(server.port, cookies, bodies, args.clients, args.timeout)
                replay = post_all(server.port, cookies, bodies, args.clients, args.timeout)
                peaks = server.peak_rss_kib()
        finally:
            _stack.purge_broker(env)
        report(args, first, replay, peaks, database_url, load_before)
    return 0


def report(
    args: argparse.Namespace, first: Pass, replay: Pass, peaks: dict[int, int], database_url: str, load_before: str
) -> None:
    from surveys.models import Event, Invitation

    headers = ["pass", "requests", "errors", "wall s", "created", "duplicates", "invitations", "rate"]
    rows = [first.row("first post", "created", "events"), replay.row("replay", "duplicates", "duplicates")]
    print()
    print(_stack.table(headers, rows))
    print()
    for name, done in (("first post", first), ("replay", replay)):
        ms = [x * 1000 for x in done.run.latencies]
        if ms:
            median, p99 = _stack.percentile(ms, 0.5), _stack.percentile(ms, 0.99)
            print(f"{name}: per batch of {args.batch:,} events, p50 {median:.0f} ms, p99 {p99:.0f} ms")
    events, invitations = Event.objects.count(), Invitation.objects.count()
    size = _stack.database_size(database_url)
    print(f"stored: {events:,} events, {invitations:,} invitations; database size {size}")
    print(f"hardware: {_stack.hardware()}; load average {load_before} before, {_stack.load_average()} after")
    print(
        f"clients {args.clients}, gunicorn workers {_stack.GUNICORN_WORKERS} (sync), "
        f"DATABASE_CONN_MAX_AGE {args.conn_max_age}"
    )
    print(f"peak RSS of the gunicorn workers (VmHWM): {_stack.rss_line(peaks)}")
    for failure in (first.failures + replay.failures)[:5]:
        print("failed request:", failure)
    passes = (("events into invitations", first, "created"), ("replayed events", replay, "duplicates"))
    for name, done, counted in passes:
        rate = done.totals[counted] / done.run.wall if done.run.wall else 0.0
        _summary.figure("events", f"{name} ({args.events:,})", f"{rate:,.0f}/s")
    _summary.memory("events", "gunicorn worker, event API", peaks, goal_mib=200)


if __name__ == "__main__":
    sys.exit(main())
