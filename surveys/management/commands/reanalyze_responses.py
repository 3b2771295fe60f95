from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.models import Response
from surveys.services.analysis import responses_reanalyse
from vocplatform.progress import progress_bar


class Command(BaseCommand):
    help = "Analyse responses again (after a new model, lexicon or theme change): sentiment, flag and themes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--survey", type=int, help="Only this survey's responses.")
        parser.add_argument("--since", help="Only responses created on or after this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        responses = Response.objects.order_by("pk")
        if options["survey"]:
            responses = responses.filter(survey_id=options["survey"])
        if options["since"]:
            try:
                since = dt.date.fromisoformat(options["since"])
            except ValueError as error:
                raise CommandError(f"--since {options['since']!r}: give a date as YYYY-MM-DD.") from error
            responses = responses.filter(created_at__date__gte=since)
        ids = list(responses.values_list("pk", flat=True))
        with progress_bar(self.stderr, desc="analysing", unit="resp", verbosity=options["verbosity"]) as progress:
            count = responses_reanalyse(response_ids=ids, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"{count} responses analysed."))
