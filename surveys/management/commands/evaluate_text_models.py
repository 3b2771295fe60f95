"""Evaluate the text models on a labelled CSV: the supervised negative flag, the lexicon fallback
and the theme classifier, cross-validated or trained on one file and scored on another.

    python manage.py evaluate_text_models --data ../shared/data/feedback/airline_feedback.csv --json
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from surveys.analytics.datasets import LabelledComments, read_labelled_csv
from surveys.analytics.evaluation import BinaryFigures, EvaluationReport, evaluate_text_models, evaluation_steps


class Command(BaseCommand):
    help = (
        "Train and evaluate the negative-flag model and the theme classifier on a labelled CSV "
        "(k-fold cross-validation, or --train FILE then score --data), beside the no-training lexicon fallback."
    )
    # Reads files and fits models in memory; touches no database, so no system checks are needed.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, required=True, help="Labelled CSV to evaluate on (header row).")
        parser.add_argument("--train", type=Path, help="Train on this CSV and score --data (default: cross-validate).")
        parser.add_argument("--text-column", default="text", help="Column with the comment (default: text).")
        parser.add_argument("--label-column", default="sentiment", help="Column with the label (default: sentiment).")
        parser.add_argument(
            "--negative-value", default="negative", help="Label value meaning negative (default: negative)."
        )
        parser.add_argument(
            "--theme-column",
            default="negative_reason",
            help='Column with the theme; empty and "Can\'t Tell" rows are left out (default: negative_reason). '
            "Pass an empty string to skip themes.",
        )
        parser.add_argument("--folds", type=int, default=5, help="Cross-validation folds (default: 5).")
        parser.add_argument("--json", action="store_true", help="End with the figures as one JSON object on a line.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["folds"] < 2 and options["train"] is None:
            raise CommandError("--folds must be at least 2 (or give --train).")
        data = self._read(options["data"], options)
        train = self._read(options["train"], options) if options["train"] else None
        steps = evaluation_steps(data, folds=options["folds"], train=train)
        with tqdm(total=steps, desc="evaluating", unit="fit", file=cast(IO[str], self.stderr._out)) as bar:
            bar.disable = options["verbosity"] == 0
            try:
                report = evaluate_text_models(data, folds=options["folds"], train=train, on_step=lambda: bar.update(1))
            except ValueError as error:
                raise CommandError(str(error)) from None
        self._print(report)
        if options["json"]:
            self.stdout.write(json.dumps(_jsonable(asdict(report)), sort_keys=True))

    def _read(self, path: Path, options: dict[str, Any]) -> LabelledComments:
        try:
            return read_labelled_csv(
                path,
                text_column=options["text_column"],
                label_column=options["label_column"],
                negative_value=options["negative_value"],
                theme_column=options["theme_column"] or None,
            )
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"cannot read {path}: {error}") from None

    def _print(self, report: EvaluationReport) -> None:
        self.stdout.write(report.mode)
        self.stdout.write(_binary_line("negative flag, supervised model", report.supervised))
        self.stdout.write(_binary_line("negative flag, lexicon fallback", report.lexicon))
        if report.themes is not None:
            themes = report.themes
            self.stdout.write(
                f"{'themes (top theme)':<34} macro-F1 {themes.macro_f1:.3f}  micro-F1 {themes.micro_f1:.3f}"
                f"  ({themes.n} rows)"
            )
            for name, f1 in themes.per_theme_f1.items():
                self.stdout.write(f"    {name:<30} F1 {f1:.3f}")
        for note in report.notes:
            self.stdout.write(f"note: {note}")


def _binary_line(label: str, figures: BinaryFigures) -> str:
    return (
        f"{label:<34} P {figures.precision:.3f}  R {figures.recall:.3f}  F1 {figures.f1:.3f}"
        f"  AUC {figures.roc_auc:.3f}  ({figures.n} rows, {figures.n_negative} negative)"
    )


def _jsonable(value: Any) -> Any:
    # JSON has no NaN (an AUC with one class present): write null instead.
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
