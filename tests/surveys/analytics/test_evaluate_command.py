"""The evaluate_text_models command: a thin caller of the evaluation functions, on a small CSV."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError

from surveys.management.commands.evaluate_text_models import Command

ROWS = [
    ("still waiting for my refund", "negative", "Billing"),
    ("charged twice, want my money back", "negative", "Billing"),
    ("refund never arrived", "negative", "Billing"),
    ("invoice is wrong again", "negative", "Billing"),
    ("parcel arrived late", "negative", "Delivery"),
    ("courier lost the package", "negative", "Delivery"),
    ("delivery delayed three days", "negative", "Delivery"),
    ("late delivery, again", "negative", "Delivery"),
    ("no idea what happened", "negative", "Can't Tell"),
    ("great service, thanks", "positive", ""),
    ("lovely staff", "positive", ""),
    ("quick and friendly", "positive", ""),
    ("where is your store?", "neutral", ""),
    ("ok", "neutral", ""),
    ("thank you so much", "positive", ""),
    ("works perfectly", "positive", ""),
]


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment", "label", "topic"])
        writer.writerows((index, *row) for index, row in enumerate(rows))
    return path


def run(*args: str) -> str:
    stdout = StringIO()
    command = Command(stdout=stdout, stderr=StringIO())
    options: dict[str, Any] = vars(command.create_parser("manage.py", "evaluate_text_models").parse_args(args))
    command.execute(**options)
    return stdout.getvalue()


def test_cross_validation_prints_every_figure_and_json_last(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", ROWS * 2)
    output = run("--data", str(data), "--text-column", "comment", "--label-column", "label",
                 "--theme-column", "topic", "--folds", "2", "--json")  # fmt: skip
    assert "negative flag, supervised model" in output and "negative flag, lexicon fallback" in output
    figures = json.loads(output.strip().splitlines()[-1])
    assert set(figures) == {"mode", "supervised", "lexicon", "themes", "notes"}
    assert {"precision", "recall", "f1", "roc_auc"} <= set(figures["supervised"])
    assert figures["themes"]["n"] == 16  # "Can't Tell" and empty topics are left out
    assert set(figures["themes"]["per_theme_f1"]) == {"Billing", "Delivery"}


def test_training_on_one_file_and_scoring_another(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", ROWS * 2)
    data = write_csv(tmp_path / "test.csv", ROWS)
    output = run("--data", str(data), "--train", str(train), "--text-column", "comment",
                 "--label-column", "label", "--theme-column", "topic", "--json")  # fmt: skip
    figures = json.loads(output.strip().splitlines()[-1])
    assert figures["mode"] == f"trained on {len(ROWS) * 2} rows, scored on {len(ROWS)}"
    assert figures["supervised"]["n"] == len(ROWS)


def test_a_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", ROWS)
    with pytest.raises(CommandError, match="no column 'text'"):
        run("--data", str(data))
