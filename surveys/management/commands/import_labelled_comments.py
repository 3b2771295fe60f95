from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.services.labels import labels_import
from vocplatform.progress import progress_bar


class Command(BaseCommand):
    help = "Import labelled comments (negative or not, and optionally a theme) to train the text models."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="sentiment")
        parser.add_argument("--negative-value", default="negative")
        parser.add_argument("--theme-column", default="", help="Column holding a theme name, if any.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            content = options["path"].read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['path']}: {exc}") from None
        with progress_bar(self.stderr, desc="labels", unit="row", verbosity=options["verbosity"]) as progress:
            try:
                result = labels_import(
                    content=content,
                    text_column=options["text_column"],
                    label_column=options["label_column"],
                    negative_value=options["negative_value"],
                    theme_column=options["theme_column"],
                    progress=progress,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.added} labelled comments added; {result.skipped_duplicates} already imported, "
                f"{result.skipped_blank} blank skipped."
            )
        )
