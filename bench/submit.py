"""Survey answers submitted over HTTP, against the same Django served with nothing to do.

A throwaway database `vocbench_<pid>` is created, migrated and dropped at the end. gunicorn
(2 sync workers, production settings: DEBUG off) serves the project. Each of N invitations
has its own link; K client threads on loopback (the generator in bench/_load.py, which
bench/peer.py drives the same way) first GET every survey page (the form and its CSRF cookie,
timed as a phase of its own), then POST every answer (an NPS score, a comment, consent) and
expect the redirect to the thanks page. The ceiling is a trivial Django view (one `SELECT 1`,
the project's settings and middleware, written to a temporary module at run time) served and
driven the same way; the table gives the ratio of the rates.

    .venv/bin/python bench/submit.py [--invitations 2000] [--clients 4] [--timeout 30] [--conn-max-age 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _load  # the helpers sit next to this script (sys.path above), not in an installed package
import _stack
import _summary

CEILING_SETTINGS = """\
from vocplatform.settings import *  # noqa: F403 - the project's settings, middleware and database

ROOT_URLCONF = "vocbench_ceiling_urls"
"""
CEILING_URLS = """\
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def trivial(request, token):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok")


urlpatterns = [path("s/<str:token>/", trivial)]
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=2000, help="survey links, one answer each (default 2,000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="DATABASE_CONN_MAX_AGE of the servers (default 60, the project's)"
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds each of the 4 phases may take (default 30)")
    args = parser.parse_args()
    if args.invitations < 1 or args.clients < 1:
        parser.error("--invitations and --clients must be positive")
    return args


def create_data(count: int) -> tuple[list[str], dict[str, int]]:
    """N sent invitations to an active survey (NPS, then a comment). Returns their tokens and the question pks."""
    from django.utils import timezone

    from surveys.models import Account, Contact, FrequencyRule, Invitation, Question, Survey
    from surveys.services.events import invitation_build
    from surveys.services.tokens import token_for

    FrequencyRule.objects.update(active=False)
    survey = Survey.objects.create(name="After the ticket", touchpoint="support ticket", status=Survey.Status.ACTIVE)
    nps = Question.objects.create(survey=survey, position=0, kind=Question.Kind.NPS, text="How likely…?")
    text = Question.objects.create(survey=survey, position=1, kind=Question.Kind.TEXT, text="What is the main reason?")
    accounts = Account.objects.bulk_create(
        [
            Account(external_id=f"SA-{n:06d}", name=f"Company {n}", domain=f"c{n}.example")
            for n in range(count // 10 + 1)
        ]
    )
    contacts = Contact.objects.bulk_create(
        [Contact(account=accounts[n // 10], email=f"p{n}@c{n // 10}.example") for n in range(count)], batch_size=1000
    )
    now = timezone.now()
    invitations = [invitation_build(survey=survey, contact=c, scheduled_for=now) for c in contacts]
    for invitation in invitations:
        invitation.status, invitation.sent_at = Invitation.Status.SENT, now
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    return [token_for(i.token_nonce) for i in invitations], {"nps": nps.pk, "text": text.pk}


def setup_vocplatform(env: Mapping[str, str], count: int) -> tuple[list[str], dict[str, int]]:
    """Migrate this process's database and create `count` invitations (see `create_data`)."""
    _stack.setup_django(env)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # the survey page's CSS, DEBUG being off
    return create_data(count)


def server_env(database_url: str, var_dir: Path, conn_max_age: int) -> dict[str, str]:
    # Every respondent comes from an address of their own through one trusted proxy, as in
    # production, so the per-IP throttle counts in a row per respondent, not in one hot row for
    # 127.0.0.1 that every request would update (the rate limit itself is lifted by production_env).
    return _stack.production_env(
        database_url, var_dir, DATABASE_CONN_MAX_AGE=str(conn_max_age), DJANGO_TRUSTED_PROXIES="1"
    )


def vocplatform_answer(questions: Mapping[str, int]) -> _load.Step:
    """POST a score and a comment (consent on every other one); taken when redirected to the thanks page."""

    def fields(index: int) -> dict[str, str]:
        form = {f"q_{questions['nps']}": str(index % 11), f"q_{questions['text']}": _load.COMMENTS[index % 3]}
        return {**form, "consent": "1"} if index % 2 else form

    return _load.post_form(fields, _load.redirected_to("thanks/"))


def check_public_page(port: int, path: str, questions: Mapping[str, int]) -> None:
    """Fail clearly if the public survey page is not (yet) what this benchmark drives."""
    reply = _load.Client(port).request("GET", path)
    missing = [f"q_{pk}" for pk in questions.values() if f'name="q_{pk}"'.encode() not in reply.body]
    if reply.status != 200 or missing or not _stack.csrf_from(reply.body):
        raise SystemExit(
            f"the public survey page GET {path} is not ready: HTTP {reply.status}, fields missing: "
            f"{missing or 'none'}, CSRF token: {'yes' if _stack.csrf_from(reply.body) else 'no'}"
        )


def _trivial_answer() -> _load.Step:
    return _load.post_form(lambda index: {"score": str(index % 11)}, lambda link, reply: reply.status == 200)


@dataclass
class Served:
    """One server's figures: the GET phase, the POST phase, peak RSS of its workers."""

    gets: _load.LoadRun
    posts: _load.LoadRun
    rss: dict[int, int]


def measure(server: _stack.Gunicorn, paths: Sequence[str], post: _load.Step, args: argparse.Namespace) -> Served:
    links = _load.links_for(paths)
    pids = server.worker_pids()
    gets = _load.drive(server.port, links, args.clients, args.timeout, _load.get_form, pids)
    # A page the GET phase did not reach (its time ran out) gave no form token: nothing to post.
    fetched = [link for link in links if link.fetched]
    posts = _load.drive(server.port, fetched, args.clients, args.timeout, post, pids)
    return Served(gets, posts, server.peak_rss_kib())


def ceiling_module(directory: Path) -> str:
    (directory / "vocbench_ceiling_settings.py").write_text(CEILING_SETTINGS)
    (directory / "vocbench_ceiling_urls.py").write_text(CEILING_URLS)
    return str(directory)


def main() -> int:
    args = parse_args()
    print(f"submit benchmark: {args.invitations:,} invitations, {args.clients} client threads")
    with tempfile.TemporaryDirectory(prefix="vocbench-") as tmp, _stack.throwaway_database() as database_url:
        env = server_env(database_url, Path(tmp), args.conn_max_age)
        load_before = _stack.load_average()
        if not _stack.broker_reachable(env):
            raise SystemExit(f"the broker {env['CELERY_BROKER_URL']} is not reachable; set BENCH_BROKER_URL")
        started = time.perf_counter()
        tokens, questions = setup_vocplatform(env, args.invitations)
        print(f"setup (migrate, static files, {args.invitations:,} invitations): {time.perf_counter() - started:.1f} s")
        paths = [f"/s/{token}/" for token in tokens]
        _stack.purge_broker(env)
        try:
            with _stack.gunicorn(env, ready_path="/s/not-a-token/") as server:
                check_public_page(server.port, paths[0], questions)
                survey = measure(server, paths, vocplatform_answer(questions), args)
            trivial_env = {**env, "DJANGO_SETTINGS_MODULE": "vocbench_ceiling_settings"}
            with _stack.gunicorn(trivial_env, ready_path="/s/ready/", pythonpath=ceiling_module(Path(tmp))) as server:
                trivial = measure(server, paths, _trivial_answer(), args)
        finally:
            _stack.purge_broker(env)
        report(args, survey, trivial, database_url, load_before)
    return 0


def report(args: argparse.Namespace, survey: Served, trivial: Served, database_url: str, load_before: str) -> None:
    from surveys.models import Answer, Response

    survey.gets.name, survey.posts.name = "survey page GET", "survey answer POST"
    trivial.gets.name, trivial.posts.name = "trivial view GET", "trivial view POST"
    runs = [survey.gets, survey.posts, trivial.gets, trivial.posts]
    print()
    print(_stack.table(["requests", "ok", "errors", "responses/s", "p50 ms", "p99 ms"], [run.row() for run in runs]))
    print()
    for what, mine, ceiling in (("GET", survey.gets, trivial.gets), ("POST", survey.posts, trivial.posts)):
        if not (mine.rate and ceiling.rate):
            print(f"{what}: no ratio, a server answered nothing")
            continue
        ratio = mine.rate / ceiling.rate
        print(f"{what}: the survey page runs at {ratio:.0%} of the trivial view's rate ({1 / ratio:.1f}x slower)")
    responses, answers = Response.objects.filter(submitted=True).count(), Answer.objects.count()
    size = _stack.database_size(database_url)
    print(f"stored: {responses:,} submitted responses, {answers:,} answers; database size {size}")
    print(f"hardware: {_stack.hardware()}; load average {load_before} before, {_stack.load_average()} after")
    print(
        f"clients {args.clients}, gunicorn workers {_stack.GUNICORN_WORKERS} (sync), "
        f"DATABASE_CONN_MAX_AGE {args.conn_max_age}"
    )
    print(
        f"peak RSS of the gunicorn workers (VmHWM): survey {_stack.rss_line(survey.rss)}; trivial "
        f"{_stack.rss_line(trivial.rss)}"
    )
    for run in runs:
        if run.first_error:
            print(f"first failed request, {run.name}: {run.first_error}")
    post = survey.posts
    measured = f"{post.rate:,.0f}/s ({_ms(post, 0.5)}, {_ms(post, 0.99)})"
    _summary.figure("submit", "survey answers/s (p50, p99)", measured)
    if post.rate and trivial.posts.rate:
        _summary.figure("submit", "answers/s vs trivial view", f"{post.rate / trivial.posts.rate:.0%}")
    _summary.memory("submit", "gunicorn worker, survey pages", survey.rss, goal_mib=200)


def _ms(run: _load.LoadRun, fraction: float) -> str:
    return f"{_stack.percentile(run.latencies, fraction) * 1000:.0f} ms" if run.latencies else "-"


if __name__ == "__main__":
    sys.exit(main())
