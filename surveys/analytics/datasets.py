"""Labelled comment files (CSV) for training and evaluation, and where the shared data lives."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

# Theme values that mean "no theme": the airline annotators' "Can't Tell".
IGNORED_THEMES = frozenset({"Can't Tell"})


@dataclass(frozen=True)
class LabelledComments:
    """Comments with a negative label each and, where known, a theme (``None`` otherwise)."""

    texts: tuple[str, ...]
    negative: tuple[bool, ...]
    themes: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.texts)

    def themed(self) -> tuple[list[str], list[str]]:
        """Texts and themes of the rows that have a usable theme."""
        rows = [(text, theme) for text, theme in zip(self.texts, self.themes, strict=True) if theme]
        return [text for text, _ in rows], [theme for _, theme in rows]


def read_labelled_csv(
    path: Path,
    *,
    text_column: str = "text",
    label_column: str = "sentiment",
    negative_value: str = "negative",
    theme_column: str | None = "negative_reason",
) -> LabelledComments:
    """Read a CSV with a header row. A row is negative when its label equals ``negative_value``.

    Raises ``ValueError`` naming the missing column when one is absent; an empty theme or one in
    ``IGNORED_THEMES`` reads as no theme.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        _require_columns(path, list(reader.fieldnames or []), [text_column, label_column, theme_column])
        rows = list(reader)
    return LabelledComments(
        texts=tuple(row[text_column] or "" for row in rows),
        negative=tuple((row[label_column] or "").strip() == negative_value for row in rows),
        themes=tuple(_theme(row.get(theme_column) if theme_column else None) for row in rows),
    )


def project_root() -> Path:
    """The repository root (the directory holding ``manage.py``)."""
    return Path(__file__).resolve().parents[2]


def shared_data_path(*parts: str, root: Path | None = None) -> Path:
    """A file of the shared evaluation data, which lives beside the repository in ``../shared/data``."""
    return ((root or project_root()) / ".." / "shared" / "data").resolve().joinpath(*parts)


def airline_feedback_path(root: Path | None = None) -> Path:
    return shared_data_path("feedback", "airline_feedback.csv", root=root)


def _require_columns(path: Path, present: list[str], wanted: list[str | None]) -> None:
    missing = [column for column in wanted if column and column not in present]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(map(repr, missing))}; columns are {', '.join(present)}")


def _theme(value: str | None) -> str | None:
    theme = (value or "").strip()
    return theme if theme and theme not in IGNORED_THEMES else None
