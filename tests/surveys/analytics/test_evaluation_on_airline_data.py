"""The text models on real, human-labelled customer comments (../shared/data, never copied into
the repository), with the figures asserted as floors. Each fitted result is computed once per
module and shared by the assertions."""

from __future__ import annotations

import pytest

from surveys.analytics.datasets import LabelledComments, airline_feedback_path, read_labelled_csv
from surveys.analytics.evaluation import (
    BinaryFigures,
    ThemeFigures,
    cross_validate_negative_model,
    cross_validate_themes,
    evaluate_lexicon_fallback,
)

SUPERVISED_F1_FLOOR = 0.89
LEXICON_F1_FLOOR = 0.78
THEME_MACRO_F1_TARGET = 0.60
# What the theme classifier reliably reaches: 0.597 mean over three shuffles (0.591-0.602). The
# 0.60 target is not met robustly yet, see test_theme_classifier_reaches_the_target_macro_f1.
THEME_MACRO_F1_FLOOR = 0.585
# The target is judged on the mean over several shufflings, not on one lucky split: a further
# share of the corpus checks the figure on unseen text.
TARGET_SEEDS = (0, 1, 2)


pytestmark = pytest.mark.evaluation


@pytest.fixture(scope="module")
def airline() -> LabelledComments:
    path = airline_feedback_path()
    if not path.is_file():
        pytest.fail(f"The labelled evaluation data is missing: expected {path} (../shared/data beside the repository).")
    return read_labelled_csv(path)


@pytest.fixture(scope="module")
def supervised(airline: LabelledComments) -> BinaryFigures:
    return cross_validate_negative_model(list(airline.texts), list(airline.negative), folds=5)


@pytest.fixture(scope="module")
def lexicon(airline: LabelledComments) -> BinaryFigures:
    return evaluate_lexicon_fallback(list(airline.texts), list(airline.negative))


@pytest.fixture(scope="module")
def themes(airline: LabelledComments) -> ThemeFigures:
    texts, names = airline.themed()
    return cross_validate_themes(texts, names, folds=5)


def test_the_data_is_the_documented_corpus(airline: LabelledComments) -> None:
    assert len(airline) > 10_000
    assert 0.55 < sum(airline.negative) / len(airline) < 0.7
    assert len(set(airline.themed()[1])) == 9


def test_supervised_negative_flag_reaches_its_f1_floor(supervised: BinaryFigures) -> None:
    assert supervised.f1 >= SUPERVISED_F1_FLOOR, supervised
    assert supervised.roc_auc >= 0.92, supervised


def test_lexicon_fallback_reaches_its_f1_floor_without_training(lexicon: BinaryFigures) -> None:
    assert lexicon.f1 >= LEXICON_F1_FLOOR, lexicon
    # Not merely "flag everything" (F1 0.77 here): the scores rank comments.
    assert lexicon.roc_auc >= 0.80, lexicon
    assert lexicon.precision > sum([lexicon.n_negative]) / lexicon.n + 0.1, lexicon


def test_the_model_beats_the_fallback(supervised: BinaryFigures, lexicon: BinaryFigures) -> None:
    assert supervised.f1 > lexicon.f1 and supervised.roc_auc > lexicon.roc_auc


def test_theme_classifier_holds_its_measured_macro_f1(themes: ThemeFigures) -> None:
    assert themes.macro_f1 >= THEME_MACRO_F1_FLOOR, themes
    assert themes.micro_f1 >= 0.65, themes


@pytest.mark.xfail(
    strict=True,
    reason="theme macro-F1 is 0.597 (mean of 3 shuffles) with TF-IDF + linear SVMs (published 0.55); target 0.60",
)
def test_theme_classifier_reaches_the_target_macro_f1(airline: LabelledComments, themes: ThemeFigures) -> None:
    texts, names = airline.themed()
    others = [cross_validate_themes(texts, names, folds=5, random_state=seed).macro_f1 for seed in TARGET_SEEDS[1:]]
    figures = [themes.macro_f1, *others]
    assert sum(figures) / len(figures) >= THEME_MACRO_F1_TARGET, figures
