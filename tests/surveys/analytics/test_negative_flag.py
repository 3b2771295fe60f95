"""The negative flag: the score speaks first, then the text, read by the model or the lexicon;
score bands and weak labels from scores."""

from __future__ import annotations

import pytest

from surveys.analytics.negative_flag import (
    CSAT,
    NPS,
    TextEvidence,
    decide_flag,
    negative_flag,
    score_band,
    weak_labels,
)
from surveys.analytics.negative_model import NegativeModel, train_negative_model

COMPLAINTS = [
    "still waiting for my refund after three weeks",
    "on hold for two hours and then they hung up",
    "my order arrived broken and nobody answers",
    "worst service ever, cancelled my subscription",
    "the delivery was late again, really annoying",
    "rude staff and a dirty store, never again",
]
PRAISE = [
    "great service, thank you so much",
    "quick delivery and lovely packaging",
    "the team was friendly and helpful",
    "very happy with the product, works perfectly",
    "excellent support, solved in minutes",
    "love it, will recommend to friends",
]


@pytest.fixture(scope="module")
def model() -> NegativeModel:
    return train_negative_model(COMPLAINTS * 3 + PRAISE * 3, [True] * 18 + [False] * 18, threshold_folds=0)


def evidence(*, negative: bool, strong: bool = False, has_text: bool = True) -> TextEvidence:
    return TextEvidence(has_text, negative, strong, 0.95 if strong else 0.6, "text: test", "test")


def test_a_detractor_is_flagged_whatever_the_text_says() -> None:
    flag = negative_flag("Lovely people, great product!", "detractor")
    assert flag.flag and flag.reason == "detractor score"


def test_a_passive_answer_is_flagged_by_negative_words() -> None:
    flag = negative_flag("I want a refund, been on hold for 2 hours", "passive")
    assert flag.flag
    assert flag.reason.startswith("text: lexicon")
    assert flag.scorer.startswith("lexicon:cx-")


def test_an_unscored_comment_is_judged_by_its_text_alone() -> None:
    assert negative_flag("the worst experience, still waiting", None).flag
    assert not negative_flag("Brilliant, thank you so much!", None).flag


def test_a_promoter_is_flagged_only_by_strongly_negative_text() -> None:
    assert not decide_flag("promoter", evidence(negative=True)).flag
    strong = decide_flag("promoter", evidence(negative=True, strong=True))
    assert strong.flag and strong.reason == "promoter score but text: test"
    assert not negative_flag("Invoices are clear and always on time, no complaints.", "promoter").flag


def test_no_text_means_no_flag_unless_the_score_says_so() -> None:
    assert not decide_flag("passive", evidence(negative=True, has_text=False)).flag
    assert decide_flag("detractor", evidence(negative=False, has_text=False)).flag
    assert negative_flag("", None).reason == "no text"
    assert negative_flag("?!", "passive").reason == "no text"


def test_text_the_english_lexicon_cannot_read_is_not_flagged_by_it() -> None:
    flag = negative_flag("服务很好，谢谢", "passive")
    assert not flag.flag
    assert "no English words" in flag.reason


def test_the_trained_model_reads_the_text_when_given(model: NegativeModel) -> None:
    flag = negative_flag("on hold for hours and my refund is still missing", "passive", model)
    assert flag.flag
    assert flag.reason.startswith("text: model p=")
    assert flag.scorer == f"model:{model.version}"
    assert not negative_flag("friendly team, great support, thank you", "passive", model).flag


def test_a_comment_that_is_only_a_link_has_no_text_for_the_model(model: NegativeModel) -> None:
    assert negative_flag("https://example.com/x @someone", "passive", model).reason == "no text"


@pytest.mark.parametrize(
    ("score", "band"), [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter")]
)
def test_nps_bands(score: int, band: str) -> None:
    assert score_band(score, NPS) == band
    assert score_band(score, "nps") == band


@pytest.mark.parametrize(("score", "band"), [(1, "detractor"), (2, "detractor"), (3, "passive"), (4, "promoter")])
def test_low_csat_counts_as_detractor(score: int, band: str) -> None:
    assert score_band(score, CSAT) == band


def test_a_score_off_the_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        score_band(11, NPS)
    with pytest.raises(ValueError, match="unknown scale"):
        score_band(3, "stars")


def test_weak_labels_take_only_very_low_and_very_high_scores_with_text() -> None:
    rows = [
        ("terrible", 1, "nps"),
        ("meh", 5, "nps"),
        ("fine", 8, "nps"),
        ("superb", 10, "nps"),
        ("", 0, "nps"),
        ("awful", 1, "csat"),
        ("good", 4, "csat"),
        ("perfect", 5, "csat"),
    ]
    labels = weak_labels(rows)
    assert [(label.text, label.negative) for label in labels] == [
        ("terrible", True),
        ("superb", False),
        ("awful", True),
        ("perfect", False),
    ]
