"""vocplatform's survey answers against a peer's and against a view that does one INSERT.

The peer is django-survey-and-report (from PyPI), installed into a virtual environment of its
own under var/bench-peer/ (git-ignored; reused while its pins match), with the same Django,
gunicorn and psycopg versions as the project. Three servers are measured one after the other,
each by gunicorn with 2 sync workers on its own free loopback port, all on the same PostgreSQL:

- vocplatform, production settings, on a throwaway database `vocbench_<pid>` holding N sent
  invitations to a survey of an NPS question and a comment (bench/submit.py's data);
- the peer, on a throwaway database `vocbench_peer_<pid>`, serving the equivalent survey (a
  required 0-10 rating and an optional comment on one page, anonymous answers; made by
  bench/peer_project/prepare.py);
- a Django view doing one INSERT into a small table, with vocplatform's settings and middleware
  (the ceiling: what this stack does per request when the application does nothing else).

The same generator (bench/_load.py) drives each: K client threads GET N survey pages, then
POST N answers (score `index % 11`, one of three comments). The table gives the rate, p50 and
p99 of each phase, the CPU the generator and the server used, the peak RSS of the workers, and
the ratios the issue sets goals for. Both databases are dropped and every server stopped at
the end, also when something fails.

    .venv/bin/python bench/peer.py [--invitations 2000] [--clients 4] [--timeout 30]
        [--conn-max-age 60] [--peer-version 1.5.0] [--venv var/bench-peer] [--fresh-venv]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _load  # the helpers sit next to this script (sys.path above), not in an installed package
import _stack
import _summary
import submit

PEER_PROJECT = Path(__file__).resolve().parent / "peer_project"
INSERT_TABLE = "vocbench_one_insert"  # also named in INSERT_URLS
INSERT_SETTINGS = """\
from vocplatform.settings import *  # noqa: F403 - the project's settings, middleware and database

ROOT_URLCONF = "vocbench_insert_urls"
"""
INSERT_URLS = """\
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET", "POST"])
def one_insert(request, token):
    if request.method == "GET":
        form = '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="%s"></form>'
        return HttpResponse(form % get_token(request))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO vocbench_one_insert (score, comment) VALUES (%s, %s)",
            [int(request.POST["score"]), request.POST.get("comment", "")],
        )
    return HttpResponseRedirect(request.path + "thanks/")


urlpatterns = [path("s/<str:token>/", one_insert)]
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=2000, help="respondents per server (default 2,000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds each of the 6 phases may take (default 30)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="CONN_MAX_AGE of all three servers (default 60, vocplatform's production default)",
    )
    parser.add_argument("--peer-version", default="1.5.0", help="django-survey-and-report version (default 1.5.0)")
    parser.add_argument("--venv", type=Path, default=_stack.ROOT / "var" / "bench-peer", help="the peer's virtualenv")
    parser.add_argument("--fresh-venv", action="store_true", help="rebuild the peer's virtualenv even if it matches")
    args = parser.parse_args()
    if args.invitations < 1 or args.clients < 1:
        parser.error("--invitations and --clients must be positive")
    return args


# --- the peer's environment -----------------------------------------------------------------------


def peer_pins(peer_version: str) -> list[str]:
    """The peer at the asked version, on the very Django, gunicorn and psycopg the project runs."""
    return [
        f"django-survey-and-report=={peer_version}",
        f"django=={version('django')}",
        f"gunicorn=={version('gunicorn')}",
        f"psycopg[binary]=={version('psycopg')}",
    ]


def peer_python(venv: Path, pins: Sequence[str], fresh: bool) -> Path:
    """The peer virtualenv's python: reused when it was built with these pins, else (re)built."""
    python, stamp = venv / "bin" / "python", venv / "bench-pins.txt"
    wanted = "\n".join(pins) + "\n"
    if not fresh and python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *pins], capture_output=True, text=True, timeout=420
    )
    if installed.returncode:
        raise SystemExit(f"pip could not install the peer ({' '.join(pins)}):\n{installed.stderr[-3000:]}")
    stamp.write_text(wanted)
    print(f"peer virtualenv {venv}: built in {time.perf_counter() - started:.0f} s")
    return python


def peer_env(database_url: str, conn_max_age: int) -> dict[str, str]:
    """Only what the peer needs: nothing of vocplatform's environment leaks into its processes."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "peerbench.settings",
        "PEER_DATABASE_URL": database_url,
        "PEER_SECRET_KEY": _stack.bench_secret(),
        "PEER_CONN_MAX_AGE": str(conn_max_age),
        "PYTHONUNBUFFERED": "1",
    }


def peer_prepare(python: Path, env: Mapping[str, str]) -> dict[str, int]:
    done = subprocess.run(
        [str(python), "prepare.py"], cwd=PEER_PROJECT, env=dict(env), capture_output=True, text=True, timeout=240
    )
    if done.returncode:
        raise SystemExit(f"the peer's database could not be prepared:\n{done.stderr[-3000:]}")
    return {key: int(value) for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items()}


@contextlib.contextmanager
def peer_gunicorn(python: Path, env: Mapping[str, str], ready_path: str) -> Iterator[_stack.Gunicorn]:
    """The peer served exactly as `_stack.gunicorn` serves vocplatform, from the peer's python."""
    port = _stack.free_port()
    log_path = Path(tempfile.mkstemp(prefix="vocbench-peer-gunicorn-", suffix=".log")[1])
    argv = [str(python), "-m", "gunicorn", "peerbench.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(_stack.GUNICORN_WORKERS), "--timeout", "60", "--graceful-timeout", "10"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=PEER_PROJECT, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = _stack.Gunicorn(port, process, log_path)
    try:
        _stack.wait_until_serving(server, ready_path)
        yield server
    finally:
        server.stop()
        log_path.unlink(missing_ok=True)


# --- the one-INSERT view --------------------------------------------------------------------------


def insert_module(directory: Path, database_url: str) -> str:
    """Write the view's settings and URLs to `directory` and create its table; returns the directory."""
    import psycopg

    (directory / "vocbench_insert_settings.py").write_text(INSERT_SETTINGS)
    (directory / "vocbench_insert_urls.py").write_text(INSERT_URLS)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {INSERT_TABLE} (id bigserial PRIMARY KEY, score smallint NOT NULL, "
            "comment text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
    return str(directory)


# --- measuring --------------------------------------------------------------------------------------


@dataclass
class Served:
    """One server's figures: the GET phase, the POST phase, the peak RSS of its workers."""

    name: str
    gets: _load.LoadRun
    posts: _load.LoadRun
    rss: dict[int, int]


def measure(
    name: str, server: _stack.Gunicorn, paths: Sequence[str], post: _load.Step, args: argparse.Namespace
) -> Served:
    links = _load.links_for(paths)
    pids = server.worker_pids()
    gets = _load.drive(server.port, links, args.clients, args.timeout, _load.get_form, pids)
    # A page the GET phase did not reach (its time ran out) gave no form token: nothing to post.
    fetched = [link for link in links if link.fetched]
    posts = _load.drive(server.port, fetched, args.clients, args.timeout, post, pids)
    served = Served(name, gets, posts, server.peak_rss_kib())
    print(f"  {name}: {len(posts.latencies):,} answers at {posts.rate:,.0f}/s")
    return served


def peer_answer(ids: Mapping[str, int]) -> _load.Step:
    def fields(index: int) -> dict[str, str]:
        return {f"question_{ids['rating']}": str(index % 11), f"question_{ids['comment']}": _load.COMMENTS[index % 3]}

    return _load.post_form(fields, _load.redirected_under("/survey/confirm/"))


def insert_answer() -> _load.Step:
    def fields(index: int) -> dict[str, str]:
        return {"score": str(index % 11), "comment": _load.COMMENTS[index % 3]}

    return _load.post_form(fields, _load.redirected_to("thanks/"))


def run_all(args: argparse.Namespace, python: Path, tmp: Path, mine_url: str, peer_url: str) -> list[Served]:
    env = submit.server_env(mine_url, tmp, args.conn_max_age)
    if not _stack.broker_reachable(env):
        raise SystemExit(f"the broker {env['CELERY_BROKER_URL']} is not reachable; set BENCH_BROKER_URL")
    started = time.perf_counter()
    tokens, questions = submit.setup_vocplatform(env, args.invitations)
    peer_ids = peer_prepare(python, peer_env(peer_url, args.conn_max_age))
    insert_path = insert_module(tmp, mine_url)
    print(f"setup (2 databases migrated, {args.invitations:,} invitations): {time.perf_counter() - started:.0f} s")
    paths = [f"/s/{token}/" for token in tokens]
    results = []
    _stack.purge_broker(env)
    try:
        with _stack.gunicorn(env, ready_path="/s/not-a-token/") as server:
            submit.check_public_page(server.port, paths[0], questions)
            results.append(measure("vocplatform", server, paths, submit.vocplatform_answer(questions), args))
        peer_path = f"/survey/{peer_ids['survey']}/"
        with peer_gunicorn(python, peer_env(peer_url, args.conn_max_age), peer_path) as server:
            results.append(measure("peer", server, [peer_path] * len(paths), peer_answer(peer_ids), args))
        insert_env = {**env, "DJANGO_SETTINGS_MODULE": "vocbench_insert_settings"}
        with _stack.gunicorn(insert_env, pythonpath=insert_path, ready_path="/s/ready/") as server:
            results.append(measure("one-INSERT view", server, paths, insert_answer(), args))
    finally:
        _stack.purge_broker(env)
    return results


# --- the report -------------------------------------------------------------------------------------


def memory_total() -> str:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    return "RAM ?"


def stored(mine_url: str, peer_url: str) -> str:
    import psycopg

    def one(url: str, sql: str) -> int:
        with psycopg.connect(url) as conn:
            row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0

    mine = one(mine_url, "SELECT count(*) FROM surveys_response WHERE submitted")
    peer = one(peer_url, "SELECT count(*) FROM survey_response")
    inserted = one(mine_url, f"SELECT count(*) FROM {INSERT_TABLE}")  # noqa: S608 - a constant name
    sizes = f"databases {_stack.database_size(mine_url)} (vocplatform) and {_stack.database_size(peer_url)} (peer)"
    return f"stored: {mine:,} vocplatform responses, {peer:,} peer responses, {inserted:,} inserted rows; {sizes}"


def ratios(mine: _load.LoadRun, peer: _load.LoadRun, ceiling: _load.LoadRun) -> list[str]:
    if not (mine.rate and peer.rate and ceiling.rate):
        return ["no ratios: a server took no answer (see the first failed request below)"]
    mine_p99, peer_p99 = (_stack.percentile(run.latencies, 0.99) * 1000 for run in (mine, peer))
    verdict = "lower" if mine_p99 < peer_p99 else "NOT lower"
    return [
        f"answers/s, vocplatform / peer: {mine.rate / peer.rate:.2f}x (goal >= 5x)",
        f"answer p99, vocplatform {mine_p99:.1f} ms vs peer {peer_p99:.1f} ms: {verdict} "
        f"({mine_p99 / peer_p99:.2f}x; goal: lower)",
        f"answers/s, vocplatform / one-INSERT view: {mine.rate / ceiling.rate:.0%} (goal >= 40%)",
    ]


def report(args: argparse.Namespace, results: Sequence[Served], urls: tuple[str, str], load_before: str) -> None:
    headers = ["server, phase", "ok", "errors", "per s", "p50 ms", "p99 ms", "generator cores", "worker cores"]
    headers += ["worker CPU ms/req", "PostgreSQL CPU ms/req", "machine busy"]
    rows = []
    for served in results:
        for phase, run in (("page GET", served.gets), ("answer POST", served.posts)):
            run.name = f"{served.name}, {phase}"
            per_request = [
                f"{cores / run.rate * 1000:.1f}" if run.rate else "-"
                for cores in (run.server_cores, run.database_cores)
            ]
            cpu = [f"{run.generator_cores:.2f}", f"{run.server_cores:.2f}", *per_request, f"{run.machine_busy:.0%}"]
            rows.append([*run.row(), *cpu])
    print()
    print(_stack.table(headers, rows))
    print()
    for line in ratios(*(served.posts for served in results)):
        print(line)
    rss = "; ".join(f"{served.name} {_stack.rss_line(served.rss)}" for served in results)
    print(f"peak RSS of the gunicorn workers (VmHWM): {rss}")
    print(
        "worker CPU ms/req: CPU time of both gunicorn workers per request served; PostgreSQL CPU ms/req: of every "
        "PostgreSQL process on the machine; both move less than the rates when other work loads the machine"
    )
    print(stored(*urls))
    print(
        f"data: {args.invitations:,} respondents per server, each a survey page GET then an answer POST (a 0-10 "
        f"score and a comment); {args.clients} client threads; gunicorn {_stack.GUNICORN_WORKERS} sync workers; "
        f"CONN_MAX_AGE {args.conn_max_age}; peer django-survey-and-report {args.peer_version}"
    )
    load = f"load average {load_before} before, {_stack.load_average()} after"
    print(f"hardware: {_stack.hardware()}, {memory_total()}; {load}")
    runs = [run for served in results for run in (served.gets, served.posts)]
    busiest = max(runs, key=lambda run: run.generator_cores)
    if busiest.generator_cores > 0.8:
        cores = f"{busiest.generator_cores:.2f} cores"
        print(f"note: the generator used {cores} in '{busiest.name}': it may be the limit there")
    _summarise(results)
    for run in runs:
        if run.unreached:
            print(f"time ran out in '{run.name}' ({args.timeout:.0f} s): {run.unreached:,} requests not sent")
        if run.first_error:
            print(f"first failed request, {run.name}: {run.first_error}")


def _summarise(results: Sequence[Served]) -> None:
    for served in results:
        run = served.posts
        p99 = f"{_stack.percentile(run.latencies, 0.99) * 1000:.0f} ms" if run.latencies else "-"
        _summary.figure("peer", f"answers/s (p99), {served.name}", f"{run.rate:,.0f}/s ({p99})")
    mine, peer, ceiling = (served.posts for served in results)
    if mine.rate and peer.rate and ceiling.rate:
        vs_peer = mine.rate / peer.rate
        _summary.figure("peer", "vocplatform / peer, answers/s", f"{vs_peer:.2f}x", ">= 5x", vs_peer >= 5)
        lower = _stack.percentile(mine.latencies, 0.99) < _stack.percentile(peer.latencies, 0.99)
        _summary.figure("peer", "vocplatform p99 below the peer's", "yes" if lower else "no", "lower", lower)
        vs_insert = mine.rate / ceiling.rate
        _summary.figure("peer", "vocplatform / one-INSERT view", f"{vs_insert:.0%}", ">= 40%", vs_insert >= 0.4)
    for served in results:
        _summary.memory("peer", f"gunicorn worker, {served.name}", served.rss, goal_mib=200)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the context managers: servers stopped, databases dropped


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.perf_counter()
    print(f"peer benchmark: vocplatform, django-survey-and-report {args.peer_version} and a one-INSERT view")
    python = peer_python(args.venv, peer_pins(args.peer_version), args.fresh_venv)
    load_before = _stack.load_average()
    with (
        tempfile.TemporaryDirectory(prefix="vocbench-") as tmp,
        _stack.throwaway_database() as mine_url,
        _stack.throwaway_database("vocbench_peer") as peer_url,
    ):
        results = run_all(args, python, Path(tmp), mine_url, peer_url)
        report(args, results, (mine_url, peer_url), load_before)
    print(f"total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
