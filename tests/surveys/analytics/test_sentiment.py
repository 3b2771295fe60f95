"""Sentiment scoring: VADER's rules survive our cleaning, the CX lexicon adds what VADER misses,
and no input crashes or stalls the scorer."""

from __future__ import annotations

import random
import string
import time

import nltk.data
import pytest

from surveys.analytics.cx_lexicon import CX_LEXICON_VERSION, DEFAULT_CX_LEXICON, compile_lexicon
from surveys.analytics.sentiment import LEXICON_NEGATIVE_THRESHOLD, lexicon_verdict, sentiment_scorer
from surveys.analytics.text import MAX_TEXT_CHARS, clean_text
from surveys.analytics.vader_lexicon import VADER_RESOURCE, ensure_vader_lexicon, vader_analyzer


def compound(text: str) -> float:
    return sentiment_scorer().score(text).compound


def test_vader_lexicon_comes_from_the_vadersentiment_package_without_a_download() -> None:
    directory = ensure_vader_lexicon()
    assert str(directory) in nltk.data.path
    assert (directory / "sentiment" / "vader_lexicon.zip").is_file()
    assert len(vader_analyzer().lexicon) > 7000
    assert nltk.data.find(VADER_RESOURCE)


def test_negation_flips_a_positive_phrase() -> None:
    assert compound("The service was good") > 0.3
    assert compound("The service was not good") < 0


def test_angry_emoji_reads_negative_and_heart_eyes_positive() -> None:
    assert compound("😡") < -0.3
    assert compound("😍") > 0.3
    assert compound("flight was fine 👎") < compound("flight was fine")


def test_all_caps_word_intensifies_among_lower_case_words() -> None:
    assert compound("the staff were RUDE to me") < compound("the staff were rude to me") < 0


def test_exclamation_marks_survive_cleaning_and_intensify() -> None:
    assert compound("great service!!!") > compound("great service") > 0


def test_sarcastic_thanks_for_nothing_is_negative() -> None:
    assert compound("Oh great, another delay. Thanks for nothing.") < -0.5
    assert compound("yeah right, like that will happen") < 0


def test_mentions_and_urls_are_stripped_before_scoring() -> None:
    assert clean_text("@united my bag https://t.co/abc is lost www.example.com/x") == "my bag is lost"
    assert compound("@happyairline refund please http://t.co/good") == compound("refund please")


def test_email_addresses_are_not_taken_for_mentions() -> None:
    assert "ann@example.com" in clean_text("write to ann@example.com")


def test_hashtags_are_read_as_words_split_at_camel_case() -> None:
    assert clean_text("#NeverAgain #fail") == "Never Again fail"
    assert compound("#NeverAgain") < -0.5


def test_refund_and_two_hours_on_hold_is_negative() -> None:
    assert compound("I want a refund, been on hold for 2 hours") < -0.5


def test_plain_vader_misses_what_the_cx_lexicon_catches() -> None:
    text = "still waiting for my refund, on hold for hours"
    assert vader_analyzer().polarity_scores(text)["compound"] >= 0
    assert compound(text) < -0.5


def test_a_phrase_keeps_its_negation() -> None:
    assert compound("we were not on hold at all") > compound("we were on hold")


def test_denied_complaints_read_as_praise() -> None:
    assert compound("Invoices are clear and always on time, no complaints.") > 0


def test_a_custom_lexicon_changes_the_score_and_the_version() -> None:
    custom = {**DEFAULT_CX_LEXICON, "kerfuffle": -3.0}
    assert sentiment_scorer(custom).score("what a kerfuffle").compound < -0.5
    assert sentiment_scorer().score("what a kerfuffle").compound == 0
    assert sentiment_scorer(custom).version != CX_LEXICON_VERSION
    assert sentiment_scorer(dict(custom)) is sentiment_scorer(custom)


def test_lexicon_terms_may_be_typed_with_emoji_or_capitals() -> None:
    compiled = compile_lexicon({"🤬": -3.0, "Waste Of Money": -2.5})
    assert compiled.words == {"face with symbols on mouth".replace(" ", ""): -3.0, "wasteofmoney": -2.5}
    assert compiled.join_phrases("a WASTE  of money") == "a WASTEofmoney"


def test_empty_and_blank_text_score_zero() -> None:
    for text in ("", "   ", "\n\t"):
        score = sentiment_scorer().score(text)
        assert score.compound == 0 and score.neutral == 0


def test_control_characters_and_nul_are_harmless() -> None:
    assert compound("terrible\x00 service\x07\x1b[31m\x7f") < 0
    assert "\x00" not in clean_text("a\x00b")


def test_other_scripts_score_neutral_without_error() -> None:
    for text in ("服务很好，谢谢", "الخدمة كانت ممتازة", "Обслуживание ужасное", "🙂 שלום"):
        assert -1 <= compound(text) <= 1


def test_the_fallback_does_not_flag_text_its_english_lexicon_cannot_read() -> None:
    score = sentiment_scorer().score("服务很好，谢谢")
    assert not score.readable
    assert not lexicon_verdict(score).flag
    assert sentiment_scorer().score("ok 谢谢").readable


def test_lone_surrogates_are_removed() -> None:
    assert clean_text("bad \ud800 day") == "bad day"


def test_a_20000_character_comment_is_scored_in_bounded_time() -> None:
    rng = random.Random(0)
    # Thousands of distinct words: the worst case for VADER's per-word bookkeeping.
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(3000)]
    vocabulary = [*words, "terrible", "great", "refund"]
    text = " ".join(rng.choice(vocabulary) for _ in range(4000))[:20_000]
    started = time.perf_counter()
    score = sentiment_scorer().score(text)
    assert time.perf_counter() - started < 2.0
    assert -1 <= score.compound <= 1


def test_text_beyond_the_cap_is_not_read() -> None:
    assert len(clean_text("a " * MAX_TEXT_CHARS)) <= MAX_TEXT_CHARS


@pytest.mark.parametrize(
    ("text", "flagged"),
    [("Lost my bag and nobody called back", True), ("Lovely crew, great flight, thank you!", False)],
)
def test_the_lexicon_fallback_flags_pain_and_spares_praise(text: str, flagged: bool) -> None:
    verdict = lexicon_verdict(sentiment_scorer().score(text))
    assert verdict.flag is flagged
    assert 0 <= verdict.score <= 1
    assert verdict.reason.startswith("text: lexicon")


def test_the_fallback_threshold_is_a_fixed_constant() -> None:
    score = sentiment_scorer().score("ok")
    assert lexicon_verdict(score).flag is (score.compound < LEXICON_NEGATIVE_THRESHOLD)
