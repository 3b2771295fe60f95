from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from loops.services.churn import churn_score
from loops.services.health import health_recompute
from vocplatform.progress import progress_bar


class Command(BaseCommand):
    help = "Recompute today's health snapshot of every account, then score churn risk with the active model."

    def handle(self, *args: Any, **options: Any) -> None:
        with progress_bar(self.stderr, desc="health", unit="acct", verbosity=options["verbosity"]) as progress:
            done = health_recompute(progress=progress)
        scored = churn_score()
        self.stdout.write(self.style.SUCCESS(f"{done} snapshots stored; {scored} accounts scored for churn risk."))
