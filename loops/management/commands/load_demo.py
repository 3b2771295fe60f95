from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from loops.demo.history import demo_health_load, demo_loops_load
from surveys.demo.organisation import SEED, STAFF, demo_load
from surveys.demo.season import demo_season_load
from surveys.models import Response
from surveys.services.analysis import responses_reanalyse
from vocplatform.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Create the demo organisation: teams, staff, accounts, contacts, surveys, a season of "
        "invitations and responses, and the loops they opened with their history. "
        "Safe to run again: adds only what is missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        with progress_bar(self.stderr, desc="demo accounts", unit="acct", verbosity=verbosity) as progress:
            summary = demo_load(
                password=settings.DEMO_PASSWORD, reset_passwords=settings.DEMO_PASSWORD_GIVEN, progress=progress
            )
        with progress_bar(self.stderr, desc="demo season", unit="contact", verbosity=verbosity) as progress:
            season = demo_season_load(rng=random.Random(SEED + 1), now=timezone.now(), progress=progress)
        waiting = list(Response.objects.filter(analysis__isnull=True).values_list("pk", flat=True))
        with progress_bar(self.stderr, desc="analysing comments", unit="resp", verbosity=verbosity) as progress:
            # announce=False: the loops step below applies the alert rules itself, at each answer's own time.
            responses_reanalyse(response_ids=waiting, progress=progress, announce=False)
        with progress_bar(self.stderr, desc="demo loops", unit="resp", verbosity=verbosity) as progress:
            loops = demo_loops_load(rng=random.Random(SEED + 2), now=timezone.now(), progress=progress)
        with progress_bar(self.stderr, desc="account health", unit="day", verbosity=verbosity) as progress:
            demo_health_load(now=timezone.now(), progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organisation ready: {summary.users} users, {summary.accounts} accounts, "
                f"{summary.contacts} contacts, {season['surveys']} surveys, {season['invitations']} invitations, "
                f"{season['responses']} responses, {loops['loops']} loops ({loops['closed']} closed, "
                f"{loops['followups']} follow-ups answered) added."
            )
        )
        if verbosity > 0:
            logins = ", ".join(member[0] for member in STAFF)
            self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}): {logins}")
