"""analyse_comment: sentiment, flag with reason and scorer, and themes in one call; the batch
form gives the same answers."""

from __future__ import annotations

import pytest

from surveys.analytics.analysis import TextModels, analyse_comment, analyse_comments
from surveys.analytics.negative_model import train_negative_model
from surveys.analytics.themes import Theme, train_theme_classifier

COMMENTS = [
    "on hold for two hours, I want a refund",
    "courier lost my parcel",
    "great service, thank you",
    "lovely staff and quick delivery",
    "refund still missing after weeks",
    "delivery was late and nobody called",
]
NEGATIVE = [True, True, False, False, True, True]
THEMES = [{"Billing"}, {"Delivery"}, {"Service"}, {"Service", "Delivery"}, {"Billing"}, {"Delivery"}]


@pytest.fixture(scope="module")
def trained() -> TextModels:
    return TextModels(
        negative_model=train_negative_model(COMMENTS * 3, NEGATIVE * 3, threshold_folds=0),
        theme_classifier=train_theme_classifier(COMMENTS * 3, THEMES * 3, internal_folds=0),
    )


def test_without_trained_models_the_lexicon_and_keywords_answer() -> None:
    models = TextModels(taxonomy=(Theme("Billing", "", ("refund",)),))
    analysis = analyse_comment("on hold for two hours, I want a refund", "passive", models)
    assert analysis.sentiment.compound < 0
    assert analysis.negative.flag
    assert analysis.negative.scorer.startswith("lexicon:")
    assert [theme.name for theme in analysis.themes] == ["Billing"]


def test_trained_models_give_the_flag_and_themes(trained: TextModels) -> None:
    analysis = analyse_comment("refund missing, on hold for hours", None, trained)
    assert analysis.negative.flag
    assert analysis.negative.reason.startswith("text: model p=")
    assert trained.negative_model is not None
    assert analysis.negative.scorer == f"model:{trained.negative_model.version}"
    assert analysis.themes[0].name == "Billing"


def test_a_detractor_without_comment_is_flagged_by_score(trained: TextModels) -> None:
    analysis = analyse_comment("", "detractor", trained)
    assert analysis.negative.flag and analysis.negative.reason == "detractor score"
    assert analysis.themes == ()
    assert analysis.sentiment.compound == 0


def test_the_batch_gives_the_same_answers_as_one_at_a_time(trained: TextModels) -> None:
    texts = [*COMMENTS, "", "😡😡", "\x00", "服务很好"]
    bands = ["detractor", None, "promoter", "passive", None, "passive", None, None, "passive", None]
    assert analyse_comments(texts, bands, trained) == [  # type: ignore[arg-type]
        analyse_comment(text, band, trained)  # type: ignore[arg-type]
        for text, band in zip(texts, bands, strict=True)
    ]


def test_texts_and_bands_must_pair_up(trained: TextModels) -> None:
    with pytest.raises(ValueError, match="score bands"):
        analyse_comments(["a", "b"], [None], trained)
