"""The per-response entry point: sentiment, negative flag and themes of a comment in one call.

``analyse_comments`` is the batch form: it cleans every text once and vectorises the batch in one
go, which is what makes the learned models cheap next to VADER itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from surveys.analytics.negative_flag import (
    NegativeFlag,
    ScoreBand,
    TextEvidence,
    decide_flag,
    lexicon_evidence,
    model_evidence,
)
from surveys.analytics.negative_model import NegativeModel
from surveys.analytics.sentiment import SentimentScore, SentimentScorer, sentiment_scorer
from surveys.analytics.text import clean_text, without_placeholders
from surveys.analytics.themes import DEFAULT_THEMES, KeywordMatcher, Theme, ThemeClassifier, ThemeScore


@dataclass(frozen=True)
class TextModels:
    """Everything the analysis reads: the CX lexicon (``None``: the default), an optional trained
    negative model and theme classifier, the taxonomy's active themes and the names the classifier
    must no longer give (``retired_themes``).

    The taxonomy has the last word over a trained classifier: a theme retired, renamed or deleted
    there is no longer given, and an active theme the classifier never learned (accepted from
    topic discovery since, say) is found by its keywords.
    """

    cx_lexicon: Mapping[str, float] | None = None
    negative_model: NegativeModel | None = None
    theme_classifier: ThemeClassifier | None = None
    taxonomy: tuple[Theme, ...] = field(default=DEFAULT_THEMES)
    retired_themes: frozenset[str] = frozenset()

    @cached_property
    def scorer(self) -> SentimentScorer:
        return sentiment_scorer(self.cx_lexicon)

    @cached_property
    def keyword_matcher(self) -> KeywordMatcher:
        return KeywordMatcher(self.taxonomy)

    @cached_property
    def untrained_matcher(self) -> KeywordMatcher | None:
        """Keywords of the active themes the classifier does not know (None: it knows them all)."""
        learned = set(self.theme_classifier.themes) if self.theme_classifier else set()
        untrained = [theme for theme in self.taxonomy if theme.name not in learned and theme.keywords]
        return KeywordMatcher(untrained) if untrained else None


@dataclass(frozen=True)
class Analysis:
    sentiment: SentimentScore
    negative: NegativeFlag
    themes: tuple[ThemeScore, ...]


def analyse_comment(text: str, score_band: ScoreBand | None, models: TextModels) -> Analysis:
    """Analyse one answer's comment given the band of its score (``None`` when there is no score)."""
    return analyse_comments([text], [score_band], models)[0]


def analyse_comments(
    texts: Sequence[str], score_bands: Sequence[ScoreBand | None], models: TextModels
) -> list[Analysis]:
    """Analyse a batch; same results as :func:`analyse_comment` on each, computed faster."""
    if len(texts) != len(score_bands):
        raise ValueError(f"{len(texts)} texts but {len(score_bands)} score bands")
    model_texts = [clean_text(text, placeholders=True) for text in texts]
    plain_texts = [without_placeholders(text) for text in model_texts]
    sentiments = [models.scorer.score_clean(text) for text in plain_texts]
    evidence = _evidence(models, model_texts, plain_texts, sentiments)
    themes = _themes(models, model_texts, plain_texts)
    return [
        Analysis(sentiment=sentiment, negative=decide_flag(band, proof), themes=tuple(found))
        for sentiment, band, proof, found in zip(sentiments, score_bands, evidence, themes, strict=True)
    ]


def _evidence(
    models: TextModels, model_texts: list[str], plain_texts: list[str], sentiments: list[SentimentScore]
) -> list[TextEvidence]:
    model = models.negative_model
    if model is None:
        return [
            lexicon_evidence(score, models.scorer.version, text=text)
            for score, text in zip(sentiments, plain_texts, strict=True)
        ]
    # The model's lexicon features must come from the lexicon it was trained with; when that is
    # today's lexicon too (the usual case) the scores just computed are reused.
    reuse = model.lexicon_version == models.scorer.version
    return model_evidence(model, model_texts, sentiments if reuse else None)


def _themes(models: TextModels, model_texts: list[str], plain_texts: list[str]) -> list[list[ThemeScore]]:
    if models.theme_classifier is None:
        return [models.keyword_matcher.match_clean(text) for text in plain_texts]
    predicted = models.theme_classifier.predict_clean(model_texts)
    retired, untrained = models.retired_themes, models.untrained_matcher
    if not retired and untrained is None:
        return predicted
    return [
        [score for score in found if score.name not in retired] + (untrained.match_clean(text) if untrained else [])
        for found, text in zip(predicted, plain_texts, strict=True)
    ]
