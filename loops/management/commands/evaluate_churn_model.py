"""Evaluate churn modelling on a CRM export: import it through the project's own importer into a
throwaway organisation (a transaction rolled back at the end), train with cross-validation,
report ROC AUC, PR AUC and the Brier score. Nothing is kept."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from loops.health.churn import NotEnoughData, train_churn_model
from loops.services.churn import labelled_dataset
from surveys.models import Account
from surveys.services.imports import ImportOptions, import_apply, import_plan
from vocplatform.progress import progress_bar


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, required=True, help="CSV export of accounts with a header row.")
        parser.add_argument("--id-column", required=True, help="Column holding the account id.")
        parser.add_argument("--label-column", required=True, help="Column holding the outcome.")
        parser.add_argument("--positive-value", required=True, help="Value of the label column meaning churned.")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--json", action="store_true", help="Print one JSON object as the last line.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            content = options["data"].read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['data']}: {exc}") from None
        if options["folds"] < 2:
            raise CommandError("--folds must be at least 2.")
        import_options = ImportOptions(
            id_column=options["id_column"],
            label_column=options["label_column"],
            churned_value=options["positive_value"],
        )
        started = time.perf_counter()
        try:
            with transaction.atomic():
                report = self._evaluate(content, import_options, options)
                raise _Rollback
        except _Rollback:
            pass
        figures = {**asdict(report), "seconds": round(time.perf_counter() - started, 1)}
        self.stdout.write(
            f"{report.n} accounts ({report.positives} churned), {report.folds}-fold: chosen {report.chosen}; "
            f"ROC AUC {report.roc_auc:.3f}, PR AUC {report.pr_auc:.3f}, Brier {report.brier:.3f}"
        )
        if options["json"]:
            self.stdout.write(json.dumps(figures))

    def _evaluate(self, content: str, import_options: ImportOptions, options: dict[str, Any]):  # type: ignore[no-untyped-def]
        verbosity = options["verbosity"]
        try:
            plan = import_plan(kind="accounts", content=content, options=import_options)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        with progress_bar(self.stderr, desc="importing", unit="row", verbosity=verbosity) as progress:
            import_apply(plan=plan, skip_invalid=True, progress=progress)
        ids = [row.values["external_id"] for row in plan.good_rows]
        data = labelled_dataset(Account.objects.filter(external_id__in=ids))
        with progress_bar(self.stderr, desc="training", unit="step", verbosity=verbosity) as progress:
            try:
                _model, report = train_churn_model(data, folds=options["folds"], progress=progress)
            except NotEnoughData as exc:
                raise CommandError(str(exc)) from None
        return report
