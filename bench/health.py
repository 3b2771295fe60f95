"""A full health recompute of 100,000 accounts with a year of responses and loops, on PostgreSQL.

A throwaway database `vocbench_<pid>` is created, migrated and dropped at the end. Each account
gets a contact, three answered invitations spread over the last year (scores and analysed
comments), and one in ten a loop (open, overdue or closed with a follow-up verdict). Then the
nightly recompute runs (every account, one snapshot each) and prints seconds and queries; it
runs twice, the second time updating the same day's snapshots.

    .venv/bin/python bench/health.py [--accounts 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
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
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts (default 100,000)")
    args = parser.parse_args()
    if args.accounts < 1:
        parser.error("--accounts must be positive")
    return args


def create_data(accounts: int, now: dt.datetime) -> None:
    from loops.models import Loop, SlaPolicy
    from surveys.models import Account, Contact, Invitation, Response, ResponseAnalysis, Survey

    rng = random.Random(7)
    survey = Survey.objects.create(name="Bench NPS", touchpoint="support", status="active")
    policy = SlaPolicy.objects.get(name="Standard")
    for start in range(0, accounts, BATCH):
        numbers = range(start, min(start + BATCH, accounts))
        batch = Account.objects.bulk_create(
            Account(external_id=f"H{n}", name=f"Account {n}", custom_attributes={"weekly_logins": rng.randint(0, 900)})
            for n in numbers
        )
        contacts = Contact.objects.bulk_create(Contact(account=a, email=f"h{a.pk}@bench.example") for a in batch)
        invitations, answered_at = [], []
        for contact in contacts:
            for _ in range(3):
                sent = now - dt.timedelta(days=rng.uniform(1, 360))
                invitations.append(
                    Invitation(
                        survey=survey,
                        contact=contact,
                        account_id=contact.account_id,
                        token_nonce=secrets.token_hex(16),
                        token_hash=secrets.token_hex(32),
                        scheduled_for=sent,
                        expires_at=sent,
                        sent_at=sent,
                        status="answered" if rng.random() < 0.7 else "expired",
                    )
                )
                answered_at.append(sent)
        invitations = Invitation.objects.bulk_create(invitations)
        answered = [(i, at) for i, at in zip(invitations, answered_at, strict=True) if i.status == "answered"]
        responses = Response.objects.bulk_create(
            Response(
                invitation=i,
                survey=survey,
                contact_id=i.contact_id,
                account_id=i.account_id,
                touchpoint="support",
                score_kind="nps",
                score=(score := rng.randint(0, 10)),
                score_band="detractor" if score <= 6 else "passive" if score <= 8 else "promoter",
                submitted=True,
            )
            for i, _at in answered
        )
        # created_at is set on insert; date this batch back so the recency weighting has something to weigh.
        back = dt.timedelta(days=start % 360)
        Response.objects.filter(pk__in=[r.pk for r in responses]).update(created_at=now - back)
        ResponseAnalysis.objects.bulk_create(
            ResponseAnalysis(response=r, sentiment=rng.uniform(-1, 1), analysed_at=now) for r in responses
        )
        loops = []
        for r in responses[:: max(1, len(responses) // (len(batch) // 10 or 1))][: len(batch) // 10]:
            closed = rng.random() < 0.6
            due = now + dt.timedelta(days=rng.uniform(-5, 5))
            loops.append(
                Loop(
                    response=r,
                    account_id=r.account_id,
                    sla_policy=policy,
                    opened_at=now - dt.timedelta(days=20),
                    first_contact_due_at=due,
                    first_contact_warn_at=due,
                    resolution_due_at=due + dt.timedelta(days=9),
                    resolution_warn_at=due + dt.timedelta(days=8),
                    status="closed" if closed else "in_progress",
                    closed_at=now - dt.timedelta(days=3) if closed else None,
                    recovered=(rng.random() < 0.7) if closed else None,
                )
            )
        Loop.objects.bulk_create(loops)


def main() -> int:
    args = parse_args()
    print(f"health benchmark: {args.accounts:,} accounts, three invitations each over a year, loops on a tenth")
    with tempfile.TemporaryDirectory(prefix="vocbench-") as tmp, _stack.throwaway_database() as database_url:
        env = _stack.production_env(database_url, Path(tmp))
        load_before = _stack.load_average()
        _stack.setup_django(env)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from loops.models import HealthComponent, HealthSnapshot, Loop
        from loops.services.health import health_recompute
        from surveys.models import Response

        call_command("migrate", verbosity=0, interactive=False)
        HealthComponent.objects.create(
            key="logins",
            label="Weekly logins",
            kind="attribute",
            attribute="weekly_logins",
            weight=10,
            zero_at=0,
            hundred_at=500,
        )
        now = timezone.now()
        started = time.perf_counter()
        create_data(args.accounts, now)
        print(
            f"setup: {args.accounts:,} accounts, {Response.objects.count():,} responses, "
            f"{Loop.objects.count():,} loops in {time.perf_counter() - started:.0f} s"
        )
        rows = []
        first = 0.0
        for label in ("first run", "second run (same day: updates)"):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                done = health_recompute(now=now)
                seconds = time.perf_counter() - started
            rows.append([label, f"{done:,}", f"{seconds:.1f}", str(len(queries.captured_queries))])
            first = first or seconds
        print()
        print(_stack.table(["recompute", "accounts", "seconds", "queries"], rows))
        bands = {b: HealthSnapshot.objects.filter(band=b).count() for b in ("red", "yellow", "green", "unknown")}
        print(f"\nbands: {bands}; database size {_stack.database_size(database_url)}")
        print(f"hardware: {_stack.hardware()}; load average {load_before} before, {_stack.load_average()} after")
        figure = f"recompute of {args.accounts:,} accounts"
        _summary.figure("health", figure, f"{first:.1f} s", "< 60 s", first < 60)
        _summary.memory("health", "this process", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
