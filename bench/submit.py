"""Survey answers submitted over HTTP, against the same Django served with nothing to do.

A throwaway database `vocbench_<pid>` is created, migrated and dropped at the end. gunicorn
(2 sync workers, production settings: DEBUG off) serves the project. Each of N invitations
has its own link; K client threads on loopback first GET every survey page (the form and its
CSRF cookie, timed as a phase of its own), then POST every answer (an NPS score, a comment,
consent) and expect the redirect to the thanks page. The ceiling is a trivial Django view
(one `SELECT 1`, the project's settings and middleware, written to a temporary module at run
time) served the same way and driven the same way; the table gives the ratio of the rates.

    .venv/bin/python bench/submit.py [--invitations 2000] [--clients 4] [--timeout 30] [--conn-max-age 0]
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stack  # the helpers sit next to this script (sys.path above), not in an installed package

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
COMMENTS = [
    "Quick answer and the engineer knew the product well.",
    "It took three emails before anyone understood the problem.",
    "Fine overall, though the invoice portal is still confusing.",
]

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


@dataclass
class Link:
    token: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    fetched: bool = False


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=2000, help="survey links, one answer each (default 2,000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DATABASE_CONN_MAX_AGE of the servers (default 0, the project's default: a connection per request)",
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


def check_public_page(port: int, token: str, questions: dict[str, int]) -> None:
    """Fail clearly if the public survey page is not (yet) what this benchmark drives."""
    client = _stack.Client(port)
    reply = client.request("GET", f"/s/{token}/")
    client.close()
    missing = [f"q_{pk}" for pk in questions.values() if f'name="q_{pk}"'.encode() not in reply.body]
    if reply.status != 200 or missing or not _stack.csrf_from(reply.body):
        raise SystemExit(
            f"the public survey page GET /s/<token>/ is not ready: HTTP {reply.status}, "
            f"fields missing: {missing or 'none'}, CSRF token: {'yes' if _stack.csrf_from(reply.body) else 'no'}. "
            "bench/submit.py needs surveys/views/public.py serving the form (fields q_<question pk>, "
            "csrfmiddlewaretoken) and a POST that redirects to /s/<token>/thanks/."
        )


Step = Callable[[_stack.Client, Link, int], bool]


def drive(port: int, links: list[Link], clients: int, timeout: float, step: Step) -> _stack.Run:
    """Run `step` once per link from `clients` threads, each with its own connection. Times each step."""
    run = _stack.Run("")
    lock = threading.Lock()
    cursor = iter(enumerate(links))
    deadline = time.monotonic() + timeout

    def client_loop(client: _stack.Client) -> None:
        while time.monotonic() < deadline:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            index, link = item
            started = time.perf_counter()
            ok = step(client, link, index)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    run.latencies.append(elapsed)
                else:
                    run.errors += 1
        client.close()

    threads = [threading.Thread(target=client_loop, args=(_stack.Client(port),)) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.wall = time.perf_counter() - started
    return run


_first_error: list[str] = []


def _note(reply: _stack.Reply, what: str) -> None:
    if not _first_error:
        _first_error.append(f"{what}: HTTP {reply.status} {reply.body[:200]!r}")


def get_page(client: _stack.Client, link: Link, index: int) -> bool:
    client.cookies = {}
    reply = client.request("GET", f"/s/{link.token}/")
    link.cookies, link.csrf = dict(client.cookies), _stack.csrf_from(reply.body)
    link.fetched = reply.status == 200
    if reply.status != 200:
        _note(reply, "GET")
    return reply.status == 200


def post_answer_to(questions: dict[str, int]) -> Step:
    def post_answer(client: _stack.Client, link: Link, index: int) -> bool:
        client.cookies = dict(link.cookies)
        form = {
            f"q_{questions['nps']}": str(index % 11),
            f"q_{questions['text']}": COMMENTS[index % len(COMMENTS)],
            "csrfmiddlewaretoken": link.csrf,
        }
        if index % 2:
            form["consent"] = "1"
        reply = client.request("POST", f"/s/{link.token}/", urlencode(form).encode(), FORM)
        ok = reply.status == 302 and reply.headers.get("Location", "").endswith(f"/s/{link.token}/thanks/")
        if not ok:
            _note(reply, "POST")
        return ok

    return post_answer


def post_trivial(client: _stack.Client, link: Link, index: int) -> bool:
    client.cookies = dict(link.cookies)
    reply = client.request("POST", f"/s/{link.token}/", urlencode({"score": index % 11}).encode(), FORM)
    return reply.status == 200


@dataclass
class Served:
    """One server's figures: the GET phase, the POST phase, peak RSS of its workers."""

    gets: _stack.Run
    posts: _stack.Run
    rss: dict[int, int]


def measure(
    env: dict[str, str],
    links: list[Link],
    args: argparse.Namespace,
    post: Step,
    check: Callable[[int], None] | None = None,
    pythonpath: str | None = None,
) -> Served:
    with _stack.gunicorn(env, ready_path="/s/not-a-token/", pythonpath=pythonpath) as server:
        if check:
            check(server.port)
        gets = drive(server.port, links, args.clients, args.timeout, get_page)
        # A page the GET phase did not reach (its time ran out) gave no form token: nothing to post.
        posts = drive(server.port, [link for link in links if link.fetched], args.clients, args.timeout, post)
        return Served(gets, posts, server.peak_rss_kib())


def ceiling_module(directory: Path) -> str:
    (directory / "vocbench_ceiling_settings.py").write_text(CEILING_SETTINGS)
    (directory / "vocbench_ceiling_urls.py").write_text(CEILING_URLS)
    return str(directory)


def main() -> int:
    args = parse_args()
    print(f"submit benchmark: {args.invitations:,} invitations, {args.clients} client threads")
    with tempfile.TemporaryDirectory(prefix="vocbench-") as tmp, _stack.throwaway_database() as database_url:
        env = _stack.production_env(database_url, Path(tmp), DATABASE_CONN_MAX_AGE=str(args.conn_max_age))
        load_before = _stack.load_average()
        if not _stack.broker_reachable(env):
            raise SystemExit(f"the broker {env['CELERY_BROKER_URL']} is not reachable; set BENCH_BROKER_URL")
        _stack.setup_django(env)
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)  # the survey page's CSS, DEBUG being off
        tokens, questions = create_data(args.invitations)
        print(f"setup (migrate, static files, {args.invitations:,} invitations): {time.perf_counter() - started:.1f} s")
        _stack.purge_broker(env)
        try:
            check = functools.partial(check_public_page, token=tokens[0], questions=questions)
            survey = measure(env, [Link(t) for t in tokens], args, post_answer_to(questions), check=check)
            trivial_env = {**env, "DJANGO_SETTINGS_MODULE": "vocbench_ceiling_settings"}
            links = [Link(t) for t in tokens]
            trivial = measure(trivial_env, links, args, post_trivial, pythonpath=ceiling_module(Path(tmp)))
        finally:
            _stack.purge_broker(env)
        report(args, survey, trivial, database_url, load_before)
    return 0


def report(args: argparse.Namespace, survey: Served, trivial: Served, database_url: str, load_before: str) -> None:
    from surveys.models import Answer, Response

    survey_get, survey_post, survey_rss = survey.gets, survey.posts, survey.rss
    trivial_get, trivial_post, trivial_rss = trivial.gets, trivial.posts, trivial.rss
    survey_get.name, survey_post.name = "survey page GET", "survey answer POST"
    trivial_get.name, trivial_post.name = "trivial view GET", "trivial view POST"
    runs = [survey_get, survey_post, trivial_get, trivial_post]
    print()
    print(_stack.table(["requests", "ok", "errors", "responses/s", "p50 ms", "p99 ms"], [run.row() for run in runs]))
    print()
    for what, mine, ceiling in (("GET", survey_get, trivial_get), ("POST", survey_post, trivial_post)):
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
    rss = f"survey {_stack.rss_line(survey_rss)}; trivial {_stack.rss_line(trivial_rss)}"
    print(f"peak RSS of the gunicorn workers (VmHWM): {rss}")
    if _first_error:
        print("first failed request:", _first_error[0])


if __name__ == "__main__":
    sys.exit(main())
