"""Themes: seed keywords match on stems with no training; the classifier is multi-label with
confidences; NMF discovery finds the topics of a tiny crafted corpus."""

from __future__ import annotations

import pytest

from surveys.analytics.discovery import discover_topics
from surveys.analytics.themes import DEFAULT_THEMES, KeywordMatcher, Theme, ThemeClassifier, train_theme_classifier

TAXONOMY = (
    Theme("Billing", "Charges and refunds", ("refund", "charge", "invoice")),
    Theme("Delivery", "Getting the order", ("late delivery", "courier", "delay")),
    Theme("Support", "Reaching us", ("on hold", "customer service")),
)

LABELLED = {
    "Billing": ["refund still not paid", "charged twice this month", "wrong invoice amount", "refund request ignored"],
    "Delivery": ["courier never came", "parcel arrived late", "delivery delayed twice", "package lost by courier"],
    "Support": ["on hold for an hour", "customer service hung up", "no reply from support", "chat agent was useless"],
}


@pytest.fixture(scope="module")
def classifier() -> ThemeClassifier:
    texts = [text for texts in LABELLED.values() for text in texts] * 3
    labels = [{name} for name, texts in LABELLED.items() for _ in texts] * 3
    return train_theme_classifier(texts, labels)


def test_keywords_match_inflected_forms_through_stems() -> None:
    matches = KeywordMatcher(TAXONOMY).match("They CHARGED me and the refunds are delayed")
    assert [score.name for score in matches] == ["Billing", "Delivery"]
    assert matches[0].confidence == 0.75 and matches[1].confidence == 0.5
    assert {score.source for score in matches} == {"keywords"}


def test_keyword_phrases_need_their_words_in_order() -> None:
    matcher = KeywordMatcher(TAXONOMY)
    assert [score.name for score in matcher.match("I was on hold forever")] == ["Support"]
    assert matcher.match("hold on, I am on my way") == []


def test_no_keywords_no_themes() -> None:
    assert KeywordMatcher(TAXONOMY).match("") == []
    assert KeywordMatcher(TAXONOMY).match("lovely weather") == []
    assert KeywordMatcher([]).match("refund") == []


def test_the_default_taxonomy_matches_everyday_complaints() -> None:
    names = [score.name for score in KeywordMatcher(DEFAULT_THEMES).match("I was overcharged and want a refund")]
    assert names == ["Billing and refunds"]


def test_the_classifier_returns_the_top_theme_with_a_confidence(classifier: ThemeClassifier) -> None:
    [scores] = classifier.predict(["the courier is late again"])
    assert scores[0].name == "Delivery"
    assert scores[0].source == "model"
    assert 0 < scores[0].confidence <= 1
    assert classifier.top_themes(["please refund the double charge"]) == ["Billing"]


def test_the_classifier_is_multi_label(classifier: ThemeClassifier) -> None:
    [scores] = classifier.predict(["refund still not paid and customer service hung up"], threshold=0.0)
    assert {score.name for score in scores} == {"Billing", "Delivery", "Support"}
    confidences = [score.confidence for score in scores[1:]]
    assert confidences == sorted(confidences, reverse=True)


def test_the_classifier_gives_no_theme_to_empty_text(classifier: ThemeClassifier) -> None:
    assert classifier.predict(["", "   "]) == [[], []]


def test_training_accepts_several_themes_per_comment() -> None:
    texts = ["refund late", "refund", "late parcel", "parcel late", "refund again", "late again"] * 3
    labels = [{"Billing", "Delivery"}, {"Billing"}, {"Delivery"}, {"Delivery"}, {"Billing"}, {"Delivery"}] * 3
    model = train_theme_classifier(texts, labels, internal_folds=0)
    assert model.themes == ("Billing", "Delivery")


def test_training_needs_two_themes() -> None:
    with pytest.raises(ValueError, match="two themes"):
        train_theme_classifier(["a", "b"], [{"Only"}, set()])


def test_discovery_separates_the_topics_of_a_tiny_corpus() -> None:
    texts = [
        "refund took weeks",
        "still waiting for my refund",
        "refund never arrived",
        "the app crashes on login",
        "app login broken again",
        "cannot login to the app",
        "delivery was late",
        "late delivery again",
        "the delivery came late",
    ]
    topics = discover_topics(texts, 3)
    assert len(topics) == 3
    groups = {frozenset(topic.example_indices) for topic in topics}
    assert groups == {frozenset({0, 1, 2}), frozenset({3, 4, 5}), frozenset({6, 7, 8})}
    leading = {topic.terms[0] for topic in topics}
    assert leading <= {"refund", "app", "login", "late", "delivery"}
    assert all(topic.size == 3 for topic in topics)


def test_discovery_copes_with_too_little_text() -> None:
    assert discover_topics([], 3) == []
    assert discover_topics(["the", "and a"], 2) == []
    assert len(discover_topics(["refund please", "refund now"], 5)) >= 1
