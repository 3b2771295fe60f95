"""Training the text models from the labelled comments in the database, with cross-validated figures.

The new model becomes the active one in the same transaction that stores it, so
workers switch from one complete model to the next, never to a half-written one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils import timezone
from sklearn.metrics import f1_score, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from surveys.analytics.negative_model import NegativeModel, train_negative_model
from surveys.analytics.themes import ThemeClassifier, train_theme_classifier
from surveys.models import TextModel, Theme
from surveys.models.responses import theme_marker
from surveys.selectors.analysis import cx_lexicon, training_examples
from surveys.services.labels import labels_weak_refresh
from surveys.services.text_models import model_dumps

MIN_PER_CLASS = 20
MIN_PER_THEME = 5
Progress = Callable[[str, int, int], None]


class NotEnoughLabels(Exception):
    pass


@dataclass
class TrainingReport:
    negative_version: str = ""
    negative_examples: int = 0
    negative_figures: dict[str, float] = field(default_factory=dict)
    themes_version: str = ""
    theme_examples: int = 0
    theme_figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _negative_cv(
    texts: Sequence[str], labels: np.ndarray, folds: int, lexicon: dict[str, float], progress: Progress | None
) -> dict[str, float]:
    probabilities = np.zeros(len(texts))
    predicted = np.zeros(len(texts), dtype=bool)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(texts)), labels)):
        model = train_negative_model([texts[i] for i in train], labels[train].tolist(), cx_lexicon=lexicon)
        probabilities[test] = model.probabilities([texts[i] for i in test])
        predicted[test] = probabilities[test] >= model.threshold
        if progress:
            progress("negative flag: cross-validation", fold + 1, folds)
    precision, recall, f1, _ = precision_recall_fscore_support(labels, predicted, average="binary")
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "roc_auc": float(roc_auc_score(labels, probabilities)),
    }


def _themes_cv(texts: Sequence[str], themes: Sequence[str], folds: int, progress: Progress | None) -> dict[str, float]:
    predicted: list[str] = [""] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    targets = np.array(themes)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(texts)), targets)):
        model = train_theme_classifier([texts[i] for i in train], [{themes[i]} for i in train])
        for index, name in zip(test, model.top_themes([texts[i] for i in test]), strict=True):
            predicted[index] = name
        if progress:
            progress("themes: cross-validation", fold + 1, folds)
    return {
        "macro_f1": float(f1_score(targets, predicted, average="macro")),
        "micro_f1": float(f1_score(targets, predicted, average="micro")),
    }


@transaction.atomic
def _store(
    kind: str, version: str, model: NegativeModel | ThemeClassifier, size: int, figures: dict[str, float]
) -> None:
    TextModel.objects.filter(kind=kind, active=True).update(active=False)
    TextModel.objects.create(
        kind=kind,
        version=version,
        blob=model_dumps(model, figures=figures),
        training_size=size,
        metrics=figures,
        active=True,
    )


def text_models_train(*, folds: int = 5, progress: Progress | None = None) -> TrainingReport:
    """Train and store the negative-flag model and the theme classifier from every label we have."""
    report = TrainingReport()
    labels_weak_refresh()
    examples = training_examples()
    lexicon = cx_lexicon()
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")

    flagged = [(e.text, bool(e.negative)) for e in examples if e.negative is not None]
    positives = sum(label for _, label in flagged)
    if min(positives, len(flagged) - positives) < MIN_PER_CLASS:
        raise NotEnoughLabels(
            f"The negative flag needs at least {MIN_PER_CLASS} negative and {MIN_PER_CLASS} other labelled comments "
            f"(there are {positives} and {len(flagged) - positives}). Import a labelled file, correct flags in the "
            "app, or collect more answers; until then the lexicon fallback flags comments."
        )
    if folds > min(positives, len(flagged) - positives):
        raise NotEnoughLabels(
            f"{folds} folds need at least {folds} labelled comments of either kind; "
            f"there are {positives} negative and {len(flagged) - positives} other."
        )
    texts = [text for text, _ in flagged]
    labels = np.array([label for _, label in flagged])
    if folds >= 2:
        report.negative_figures = _negative_cv(texts, labels, folds, lexicon, progress)
    report.negative_version = f"neg-{stamp}-{len(texts)}"
    model = train_negative_model(texts, labels.tolist(), cx_lexicon=lexicon, version=report.negative_version)
    _store(TextModel.Kind.NEGATIVE, report.negative_version, model, len(texts), report.negative_figures)
    report.negative_examples = len(texts)
    if progress:
        progress("negative flag: final model", 1, 1)

    themed = [(e.text, e.theme) for e in examples if e.theme]
    counts: dict[str, int] = {}
    for _, theme in themed:
        counts[theme] = counts.get(theme, 0) + 1
    kept = {theme for theme, count in counts.items() if count >= max(MIN_PER_THEME, folds)}
    themed = [(text, theme) for text, theme in themed if theme in kept]
    if len(kept) < 2:
        report.notes.append(
            "No theme classifier: fewer than two themes have enough labelled examples; seed keywords are used."
        )
        return report
    theme_texts = [text for text, _ in themed]
    theme_names = [theme for _, theme in themed]
    if folds >= 2:
        report.theme_figures = _themes_cv(theme_texts, theme_names, folds, progress)
    report.themes_version = f"themes-{stamp}-{len(themed)}"
    classifier = train_theme_classifier(theme_texts, [{name} for name in theme_names], version=report.themes_version)
    _store(TextModel.Kind.THEMES, report.themes_version, classifier, len(themed), report.theme_figures)
    report.theme_examples = len(themed)
    added = _join_taxonomy(classifier.themes)
    if added:
        report.notes.append(f"Themes learned from the labels, added to the taxonomy: {', '.join(added)}.")
    return report


def _join_taxonomy(names: Sequence[str]) -> list[str]:
    """Add the learned themes the taxonomy lacks (active, without keywords): the analysis gives only
    the taxonomy's active themes, so an admin can retire, rename or delete a learned one there. A
    theme responses could not tell from one already there (see ``theme_marker``) is that one."""
    taken = {theme_marker(name).casefold() for name in Theme.objects.values_list("name", flat=True)}
    added = []
    for name in names:
        if theme_marker(name).casefold() not in taken:
            Theme.objects.create(name=name, description="Learned from labelled comments.")
            taken.add(theme_marker(name).casefold())
            added.append(name)
    return added
