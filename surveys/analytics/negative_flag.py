"""The negative flag of one answer: the customer's score and the words of the comment, combined.

The rule, in order:

1. A detractor score (NPS 0-6, CSAT 1-2) is flagged whatever the comment says: the customer has
   told us. Reason ``"detractor score"``.
2. With no usable text (empty, only links or symbols), nothing else can raise the flag.
3. A promoter score (NPS 9-10, CSAT 4-5) is flagged only when the text is strongly negative
   (model probability >= 0.9, or lexicon compound <= -0.5): "love you, but my bag is lost" from a
   10 still needs somebody to act. Reason ``"promoter score but text: ..."``.
4. Otherwise (passive score, or no score) the text decides at its scorer's own threshold.

The text is read by the trained model when there is one, otherwise by the lexicon fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from surveys.analytics.negative_model import NegativeModel
from surveys.analytics.sentiment import SentimentScore, lexicon_verdict, sentiment_scorer
from surveys.analytics.text import (
    MENTION_TOKEN,
    URL_TOKEN,
    clean_text,
    has_words,
    without_placeholders,
)

ScoreBand = Literal["detractor", "passive", "promoter"]

PROMOTER_MODEL_PROBABILITY = 0.9
PROMOTER_LEXICON_COMPOUND = -0.5


@dataclass(frozen=True)
class NegativeFlag:
    """``probability`` is the text's negativity in [0, 1] (model probability, or the lexicon's
    rescaled compound); ``scorer`` names what read the text, e.g. ``model:negative-flag-3f2a...``."""

    flag: bool
    probability: float
    reason: str
    scorer: str


@dataclass(frozen=True)
class TextEvidence:
    """What one scorer concluded from a comment's text, before the score band is considered."""

    has_text: bool
    negative: bool
    strongly_negative: bool
    probability: float
    reason: str
    scorer: str


@dataclass(frozen=True)
class ScoreScale:
    name: str
    minimum: int
    maximum: int

    def position(self, score: float) -> float:
        """Where ``score`` lies on the scale, 0 (worst) to 1 (best)."""
        if not self.minimum <= score <= self.maximum:
            raise ValueError(f"{score} is outside the {self.name} scale {self.minimum}-{self.maximum}")
        return (score - self.minimum) / (self.maximum - self.minimum)


NPS = ScoreScale("nps", 0, 10)
CSAT = ScoreScale("csat", 1, 5)
SCALES: Mapping[str, ScoreScale] = {scale.name: scale for scale in (NPS, CSAT)}


@dataclass(frozen=True)
class WeakLabel:
    text: str
    negative: bool


def score_band(score: float, scale: ScoreScale | str) -> ScoreBand:
    """NPS 0-6 / 7-8 / 9-10; on other scales the bottom quarter is detractor, the top quarter promoter."""
    resolved = _scale(scale)
    position = resolved.position(score)
    if resolved is NPS:
        return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
    return "detractor" if position <= 0.25 else "promoter" if position >= 0.75 else "passive"


def weak_labels(
    rows: Iterable[tuple[str, float, ScoreScale | str]], *, low: float = 0.3, high: float = 0.9
) -> list[WeakLabel]:
    """Training examples from scored answers: very low scores as negative, very high as not.

    Positions (see :meth:`ScoreScale.position`) at or below ``low`` give negatives (NPS 0-3, CSAT
    1-2), at or above ``high`` non-negatives (NPS 9-10, CSAT 5); the middle and empty comments are
    left out, being too ambiguous to teach anything.
    """
    labels = []
    for text, score, scale in rows:
        position = _scale(scale).position(score)
        if clean_text(text) and (position <= low or position >= high):
            labels.append(WeakLabel(text=text, negative=position <= low))
    return labels


def negative_flag(
    text: str,
    band: ScoreBand | None,
    model: NegativeModel | None = None,
    *,
    cx_lexicon: Mapping[str, float] | None = None,
) -> NegativeFlag:
    """Flag one answer (see the module docstring for the rule).

    ``cx_lexicon`` is for the lexicon fallback; a model reads with the lexicon it was trained with.
    """
    model_text = clean_text(text, placeholders=True)
    if model is not None:
        evidence = model_evidence(model, [model_text])[0]
    else:
        scorer = sentiment_scorer(cx_lexicon)
        plain = without_placeholders(model_text)
        evidence = lexicon_evidence(scorer.score_clean(plain), scorer.version, text=plain)
    return decide_flag(band, evidence)


def decide_flag(band: ScoreBand | None, evidence: TextEvidence) -> NegativeFlag:
    """Combine a score band with text evidence (the rule of this module)."""
    if band == "detractor":
        return NegativeFlag(True, evidence.probability, "detractor score", evidence.scorer)
    if not evidence.has_text:
        return NegativeFlag(False, evidence.probability, "no text", evidence.scorer)
    if band == "promoter":
        reason = f"promoter score but {evidence.reason}" if evidence.strongly_negative else "promoter score"
        return NegativeFlag(evidence.strongly_negative, evidence.probability, reason, evidence.scorer)
    return NegativeFlag(evidence.negative, evidence.probability, evidence.reason, evidence.scorer)


def model_evidence(
    model: NegativeModel, model_texts: list[str], sentiments: list[SentimentScore] | None = None
) -> list[TextEvidence]:
    """Evidence from the trained model for texts cleaned with placeholders.

    ``sentiments`` may pass scores already computed with the model's own lexicon.
    """
    scores = sentiments if sentiments is not None else model.sentiments(model_texts)
    probabilities = model.probabilities_clean(model_texts, scores)
    return [
        TextEvidence(
            # Placeholders are not words: a comment that is only a link has no text to read.
            has_text=has_words(text.replace(URL_TOKEN, "").replace(MENTION_TOKEN, "")),
            negative=bool(p >= model.threshold),
            strongly_negative=bool(p >= PROMOTER_MODEL_PROBABILITY),
            probability=round(float(p), 4),
            reason=f"text: model p={p:.2f}",
            scorer=f"model:{model.version}",
        )
        for text, p in zip(model_texts, probabilities, strict=True)
    ]


def lexicon_evidence(score: SentimentScore, lexicon_version: str, *, text: str) -> TextEvidence:
    """Evidence from the no-training lexicon fallback for ``text`` (cleaned, without placeholders)."""
    verdict = lexicon_verdict(score)
    return TextEvidence(
        has_text=has_words(text),
        negative=verdict.flag,
        strongly_negative=score.compound <= PROMOTER_LEXICON_COMPOUND,
        probability=round(verdict.score, 4),
        reason=verdict.reason,
        scorer=f"lexicon:{lexicon_version}",
    )


def _scale(scale: ScoreScale | str) -> ScoreScale:
    if isinstance(scale, ScoreScale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALES)}") from None
