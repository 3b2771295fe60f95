"""One escalation pass over 100,000 loops of which 10,000 are due, on PostgreSQL.

A throwaway database `vocbench_<pid>` is created, migrated and dropped at the end. Loops are
bulk-inserted (each with its account, contact, invitation and response); a tenth have their
first-contact deadline in the past, the rest are not yet due. The pass runs first over a
small organisation, then over the full one, then again over the full one (nothing new to do),
and prints seconds, queries and rows written each time: the pass is set-based, so its query
count is the same whatever the number of loops.

    .venv/bin/python bench/escalation.py [--loops 100000] [--due 10000] [--small 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stack  # the helpers sit next to this script (sys.path above), not in an installed package
import _summary

BATCH = 5000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=100_000, help="loops in the full organisation (default 100,000)")
    parser.add_argument("--due", type=int, default=10_000, help="of which due (default 10,000)")
    parser.add_argument("--small", type=int, default=1000, help="loops in the small organisation (default 1,000)")
    args = parser.parse_args()
    if not 0 < args.small < args.loops or not 0 <= args.due <= args.loops:
        parser.error("need 0 < --small < --loops and 0 <= --due <= --loops")
    return args


def staff() -> list:  # type: ignore[type-arg]
    from tests.factories import TeamFactory, UserFactory
    from vocplatform.models import User

    managers = []
    for t in range(4):
        boss = UserFactory(username=f"boss{t}", role=User.Role.SUPERVISOR)
        team = TeamFactory(name=f"Team {t}", supervisor=boss)
        managers += [UserFactory(username=f"am{t}-{m}", role=User.Role.MANAGER, team=team) for m in range(5)]
    return managers


def add_loops(count: int, due: int, start: int, managers: list, now: dt.datetime) -> None:  # type: ignore[type-arg]
    """`count` loops numbered from `start`, the first `due` of them past their first-contact deadline."""
    from loops.models import Loop, SlaPolicy
    from surveys.models import Account, Contact, Invitation, Response, Survey

    survey = Survey.objects.get_or_create(name="Bench NPS", defaults={"touchpoint": "support", "status": "active"})[0]
    policy = SlaPolicy.objects.get(name="Standard")
    for offset in range(0, count, BATCH):
        numbers = range(start + offset, start + min(offset + BATCH, count))
        accounts = Account.objects.bulk_create(
            Account(external_id=f"B{n}", name=f"Account {n}", owner=managers[n % len(managers)]) for n in numbers
        )
        contacts = Contact.objects.bulk_create(
            Contact(account=a, email=f"c{n}@bench.example") for n, a in zip(numbers, accounts, strict=True)
        )
        invitations = Invitation.objects.bulk_create(
            Invitation(
                survey=survey,
                contact=c,
                account_id=c.account_id,
                token_nonce=secrets.token_hex(16),
                token_hash=secrets.token_hex(32),
                scheduled_for=now,
                expires_at=now,
                status="answered",
            )
            for c in contacts
        )
        responses = Response.objects.bulk_create(
            Response(
                invitation=i,
                survey=survey,
                contact_id=i.contact_id,
                account_id=i.account_id,
                touchpoint="x",
                score_kind="nps",
                score=3,
                score_band="detractor",
                submitted=True,
            )
            for i in invitations
        )
        loops = []
        for n, response in zip(numbers, responses, strict=True):
            is_due = n - start < due
            deadline = now - dt.timedelta(hours=2) if is_due else now + dt.timedelta(days=3)
            loops.append(
                Loop(
                    response=response,
                    account_id=response.account_id,
                    owner=managers[n % len(managers)],
                    sla_policy=policy,
                    opened_at=now - dt.timedelta(days=2),
                    first_contact_due_at=deadline,
                    first_contact_warn_at=deadline - dt.timedelta(hours=4),
                    resolution_due_at=now + dt.timedelta(days=9),
                    resolution_warn_at=now + dt.timedelta(days=8),
                )
            )
        Loop.objects.bulk_create(loops)


def timed_pass(now: dt.datetime) -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from loops.services.escalation import escalations_run

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = escalations_run(now=now)
        seconds = time.perf_counter() - started
    return seconds, len(queries.captured_queries), result


def main() -> int:
    args = parse_args()
    small_due = args.small * args.due // args.loops
    print(f"escalation benchmark: {args.small:,} then {args.loops:,} loops, a tenth due ({args.due:,} of the full)")
    with tempfile.TemporaryDirectory(prefix="vocbench-") as tmp, _stack.throwaway_database() as database_url:
        env = _stack.production_env(database_url, Path(tmp))
        load_before = _stack.load_average()
        _stack.setup_django(env)
        from django.core.management import call_command
        from django.utils import timezone

        from loops.models import Escalation, Notification

        call_command("migrate", verbosity=0, interactive=False)
        now = timezone.now()
        managers = staff()
        rows = []
        started = time.perf_counter()
        add_loops(args.small, small_due, 0, managers, now)
        setup = time.perf_counter() - started
        seconds, queries, result = timed_pass(now)
        rows.append(["small", f"{args.small:,}", f"{small_due:,}", f"{seconds:.2f}", str(queries), _written(result)])
        Notification.objects.all().delete()
        Escalation.objects.all().delete()
        started = time.perf_counter()
        add_loops(args.loops - args.small, args.due - small_due, args.small, managers, now)
        setup += time.perf_counter() - started
        print(f"setup: {args.loops:,} loops with accounts, contacts, invitations, responses in {setup:.0f} s")
        for label in ("full", "full again"):
            seconds, queries, result = timed_pass(now)
            rows.append([label, f"{args.loops:,}", f"{args.due:,}", f"{seconds:.2f}", str(queries), _written(result)])
        print()
        print(_stack.table(["pass", "loops", "due", "seconds", "queries", "written"], rows))
        print()
        print(f"escalations stored: {Escalation.objects.count():,}; notifications: {Notification.objects.count():,}")
        print(f"database size {_stack.database_size(database_url)}")
        print(f"hardware: {_stack.hardware()}; load average {load_before} before, {_stack.load_average()} after")
        full = rows[1]
        _summary.figure("escalation", f"pass over {full[1]} loops, {full[2]} due", f"{full[3]} s, {full[4]} queries")
        _summary.memory("escalation", "this process", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


def _written(result: object) -> str:
    return (
        f"{result.reminders:,} reminders, {result.escalations:,} escalations, "  # type: ignore[attr-defined]
        f"{result.notifications:,} notifications"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    sys.exit(main())
