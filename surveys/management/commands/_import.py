"""Shared body of import_accounts and import_contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.services.imports import ImportOptions, ImportRefused, Kind, import_apply, import_plan
from vocplatform.progress import progress_bar

MAX_ERRORS_SHOWN = 200


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column or not target:
            raise CommandError(f"--map takes CSV_COLUMN=FIELD, not {pair!r}.")
        mapping[column] = target
    return mapping


class ImportCommand(BaseCommand):
    kind: Kind

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="CSV file with a header row (UTF-8).")
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD", help="Read COLUMN into FIELD (repeatable)."
        )
        parser.add_argument("--id-column", help="The column that holds the external id.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument("--skip-invalid", action="store_true", help="Import the good rows, skip the bad ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            content = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        import_options = ImportOptions(
            mapping=_mapping(options["map"]),
            id_column=options["id_column"],
            label_column=options.get("label_column"),
            churned_value=options.get("churned_value"),
        )
        with progress_bar(self.stderr, desc="checking", unit="row", verbosity=options["verbosity"]) as progress:
            try:
                plan = import_plan(kind=self.kind, content=content, options=import_options, progress=progress)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        for notice in plan.notices:
            self.stdout.write(f"note: {notice}")
        for error in plan.errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(f"error: {error}")
        if len(plan.errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(f"… and {len(plan.errors) - MAX_ERRORS_SHOWN} more errors.")
        with progress_bar(self.stderr, desc="importing", unit="row", verbosity=options["verbosity"]) as progress:
            try:
                result = import_apply(
                    plan=plan, skip_invalid=options["skip_invalid"], dry_run=options["dry_run"], progress=progress
                )
            except ImportRefused as exc:
                raise CommandError(f"{exc} Fix the file, or pass --skip-invalid to import the good rows.") from None
        verb = "would be" if result.dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{plan.rows_total} {self.kind} read: {result.created} {verb} created, "
                f"{result.updated} {verb} updated, {result.unchanged} unchanged, {result.skipped} skipped."
            )
        )
        if plan.custom_types:
            described = ", ".join(f"{column} ({kind})" for column, kind in plan.custom_types.items())
            self.stdout.write(f"custom attributes: {described}")
