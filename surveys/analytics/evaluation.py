"""Evaluation of the text models as plain functions: cross-validated or on a held-out file.

The negative flag is scored as a binary task (negative = positive class): precision, recall, F1
and ROC AUC, for the trained model and for the lexicon fallback separately. Themes are scored as
single-label (the top theme) with macro- and micro-F1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from surveys.analytics.datasets import LabelledComments
from surveys.analytics.negative_model import train_negative_model
from surveys.analytics.sentiment import lexicon_verdict, sentiment_scorer
from surveys.analytics.themes import train_theme_classifier

# Called once per finished step (a fold, or a whole holdout fit), for progress bars.
OnStep = Callable[[], object]


@dataclass(frozen=True)
class BinaryFigures:
    precision: float
    recall: float
    f1: float
    roc_auc: float
    n: int
    n_negative: int


@dataclass(frozen=True)
class ThemeFigures:
    macro_f1: float
    micro_f1: float
    n: int
    per_theme_f1: Mapping[str, float]


@dataclass(frozen=True)
class EvaluationReport:
    """``mode`` is ``"5-fold cross-validation"`` or ``"trained on N rows, scored on M"``."""

    mode: str
    supervised: BinaryFigures
    lexicon: BinaryFigures
    themes: ThemeFigures | None
    notes: tuple[str, ...] = field(default=())


def binary_figures(
    labels: Sequence[bool] | np.ndarray, flags: Sequence[bool] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> BinaryFigures:
    """Figures for the negative class; ROC AUC is NaN when only one class is present."""
    y = np.asarray(labels, dtype=bool)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, np.asarray(flags, dtype=bool), average="binary", zero_division=0
    )
    auc = float(roc_auc_score(y, scores)) if 0 < y.sum() < len(y) else float("nan")
    return BinaryFigures(
        precision=round(float(precision), 4),
        recall=round(float(recall), 4),
        f1=round(float(f1), 4),
        roc_auc=round(auc, 4),
        n=len(y),
        n_negative=int(y.sum()),
    )


def theme_figures(true: Sequence[str], predicted: Sequence[str]) -> ThemeFigures:
    names = sorted(set(true))
    per_theme = f1_score(true, predicted, labels=names, average=None, zero_division=0)
    return ThemeFigures(
        macro_f1=round(float(f1_score(true, predicted, labels=names, average="macro", zero_division=0)), 4),
        micro_f1=round(float(f1_score(true, predicted, labels=names, average="micro", zero_division=0)), 4),
        n=len(true),
        per_theme_f1={name: round(float(value), 4) for name, value in zip(names, per_theme, strict=True)},
    )


def evaluate_lexicon_fallback(
    texts: Sequence[str], labels: Sequence[bool], *, cx_lexicon: Mapping[str, float] | None = None
) -> BinaryFigures:
    """The no-training fallback on labelled texts (nothing is fitted, so no folds are needed)."""
    scorer = sentiment_scorer(cx_lexicon)
    verdicts = [lexicon_verdict(scorer.score(text)) for text in texts]
    return binary_figures(labels, [v.flag for v in verdicts], [v.score for v in verdicts])


def cross_validate_negative_model(
    texts: Sequence[str],
    labels: Sequence[bool],
    *,
    folds: int = 5,
    random_state: int = 0,
    on_step: OnStep | None = None,
) -> BinaryFigures:
    """Stratified k-fold figures of the supervised model (each fold trains a fresh model)."""
    y = np.asarray(labels, dtype=bool)
    probabilities = np.zeros(len(y))
    flags = np.zeros(len(y), dtype=bool)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=random_state).split(np.zeros(len(y)), y):
        model = train_negative_model([texts[i] for i in train], y[train].tolist(), random_state=random_state)
        probabilities[test] = model.probabilities([texts[i] for i in test])
        flags[test] = probabilities[test] >= model.threshold
        _step(on_step)
    return binary_figures(y, flags, probabilities)


def holdout_negative_model(
    train_texts: Sequence[str],
    train_labels: Sequence[bool],
    test_texts: Sequence[str],
    test_labels: Sequence[bool],
    *,
    on_step: OnStep | None = None,
) -> BinaryFigures:
    model = train_negative_model(train_texts, train_labels)
    probabilities = model.probabilities(test_texts)
    _step(on_step)
    return binary_figures(test_labels, probabilities >= model.threshold, probabilities)


def cross_validate_themes(
    texts: Sequence[str], themes: Sequence[str], *, folds: int = 5, random_state: int = 0, on_step: OnStep | None = None
) -> ThemeFigures:
    """Stratified k-fold figures of the theme classifier, scoring its top theme per text."""
    targets = np.asarray(themes)
    predicted = np.empty(len(targets), dtype=object)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    for train, test in splitter.split(np.zeros(len(targets)), targets):
        model = train_theme_classifier([texts[i] for i in train], [{themes[i]} for i in train])
        predicted[test] = model.top_themes([texts[i] for i in test])
        _step(on_step)
    return theme_figures(list(themes), [str(name) for name in predicted])


def holdout_themes(
    train_texts: Sequence[str],
    train_themes: Sequence[str],
    test_texts: Sequence[str],
    test_themes: Sequence[str],
    *,
    on_step: OnStep | None = None,
) -> ThemeFigures:
    model = train_theme_classifier(train_texts, [{name} for name in train_themes])
    predicted = model.top_themes(test_texts)
    _step(on_step)
    return theme_figures(list(test_themes), predicted)


def evaluation_steps(data: LabelledComments, *, folds: int, train: LabelledComments | None = None) -> int:
    """How many times :func:`evaluate_text_models` will call ``on_step`` (for a progress bar)."""
    per_task = 1 if train is not None else folds
    return per_task * (2 if _enough_themes(data, train) else 1)


def evaluate_text_models(
    data: LabelledComments, *, folds: int = 5, train: LabelledComments | None = None, on_step: OnStep | None = None
) -> EvaluationReport:
    """Everything the evaluation command reports: cross-validated on ``data``, or trained on
    ``train`` and scored on ``data``. Themes are skipped (with a note) without two themes."""
    texts, labels = list(data.texts), list(data.negative)
    lexicon = evaluate_lexicon_fallback(texts, labels)
    if train is None:
        mode = f"{folds}-fold cross-validation on {len(data)} rows"
        supervised = cross_validate_negative_model(texts, labels, folds=folds, on_step=on_step)
    else:
        mode = f"trained on {len(train)} rows, scored on {len(data)}"
        supervised = holdout_negative_model(list(train.texts), list(train.negative), texts, labels, on_step=on_step)
    if not _enough_themes(data, train):
        return EvaluationReport(mode, supervised, lexicon, None, ("fewer than two themes: themes not evaluated",))
    theme_texts, theme_names = data.themed()
    if train is None:
        themes = cross_validate_themes(theme_texts, theme_names, folds=folds, on_step=on_step)
    else:
        train_texts, train_names = train.themed()
        themes = holdout_themes(train_texts, train_names, theme_texts, theme_names, on_step=on_step)
    return EvaluationReport(mode, supervised, lexicon, themes)


def _enough_themes(data: LabelledComments, train: LabelledComments | None) -> bool:
    return all(len(set(source.themed()[1])) >= 2 for source in (data, train) if source is not None)


def _step(on_step: OnStep | None) -> None:
    if on_step is not None:
        on_step()
