"""Sentiment of a comment: NLTK's VADER rules with vaderSentiment's lexicon plus the CX lexicon.

The lexicon fallback for the negative flag lives here too: it needs no training, so it is what a
fresh installation (or one whose model failed to load) uses.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from surveys.analytics.cx_lexicon import CX_LEXICON_VERSION, DEFAULT_CX_LEXICON, CompiledLexicon, compile_lexicon
from surveys.analytics.text import clean_text, has_latin_letters
from surveys.analytics.vader_lexicon import vader_analyzer

# Chosen once on the airline development data and fixed: comments in feedback lean negative, so
# only a clearly positive text (compound at or above this) escapes the fallback flag.
LEXICON_NEGATIVE_THRESHOLD = 0.35


@dataclass(frozen=True)
class SentimentScore:
    """VADER's scores: ``compound`` in [-1, 1]; the three proportions sum to 1 (0 for no words).

    ``readable`` is false for text without a Latin letter, which the English lexicons cannot read
    (its neutral score then means "unknown", not "no opinion").
    """

    compound: float
    positive: float
    negative: float
    neutral: float
    readable: bool = True

    @property
    def negativity(self) -> float:
        """``compound`` mapped to [0, 1], 1 being most negative: the fallback's score."""
        return (1.0 - self.compound) / 2.0


NO_SENTIMENT = SentimentScore(compound=0.0, positive=0.0, negative=0.0, neutral=0.0)


@dataclass(frozen=True)
class LexiconVerdict:
    """The fallback's answer for one comment."""

    flag: bool
    score: float
    reason: str


class SentimentScorer:
    """VADER with a CX lexicon merged in. Build through :func:`sentiment_scorer`, which caches."""

    def __init__(self, lexicon: CompiledLexicon, *, version: str) -> None:
        self._analyzer = vader_analyzer()
        # The admin's terms win over VADER's own valence for the same word.
        self._analyzer.lexicon = {**self._analyzer.lexicon, **lexicon.words}
        self._lexicon = lexicon
        self.version = version

    def score(self, text: str) -> SentimentScore:
        """Score raw comment text."""
        return self.score_clean(clean_text(text))

    def score_clean(self, cleaned: str) -> SentimentScore:
        """Score text already passed through :func:`clean_text` (the batch path cleans once)."""
        if not cleaned:
            return NO_SENTIMENT
        scores = self._analyzer.polarity_scores(self._lexicon.join_phrases(cleaned))
        return SentimentScore(
            compound=scores["compound"],
            positive=scores["pos"],
            negative=scores["neg"],
            neutral=scores["neu"],
            readable=has_latin_letters(cleaned),
        )


LexiconKey = tuple[tuple[str, float], ...]

# A few lexicons at most are live at once (the current one, and the one a model was trained with).
_SCORER_CACHE_SIZE = 8
_scorers: OrderedDict[LexiconKey, SentimentScorer] = OrderedDict()
_scorers_lock = threading.Lock()


def sentiment_scorer(cx_lexicon: Mapping[str, float] | None = None) -> SentimentScorer:
    """The scorer for ``cx_lexicon`` (default: ``DEFAULT_CX_LEXICON``), built once per process.

    Its ``version`` is ``CX_LEXICON_VERSION`` for the default terms, else a digest of the terms.
    """
    lexicon = DEFAULT_CX_LEXICON if cx_lexicon is None else cx_lexicon
    key = _key(lexicon)
    with _scorers_lock:
        scorer = _scorers.get(key)
        if scorer is None:
            scorer = SentimentScorer(compile_lexicon(lexicon), version=_version(key))
            _scorers[key] = scorer
            if len(_scorers) > _SCORER_CACHE_SIZE:
                _scorers.popitem(last=False)
        _scorers.move_to_end(key)
        return scorer


def lexicon_verdict(score: SentimentScore, *, threshold: float = LEXICON_NEGATIVE_THRESHOLD) -> LexiconVerdict:
    """The no-training negative flag: a comment is negative unless clearly positive.

    Text the lexicon cannot read (no Latin letters) is never flagged by it.
    """
    if not score.readable:
        return LexiconVerdict(flag=False, score=score.negativity, reason="text: no English words for the lexicon")
    flag = score.compound < threshold
    return LexiconVerdict(flag=flag, score=score.negativity, reason=f"text: lexicon compound={score.compound:+.2f}")


def _key(lexicon: Mapping[str, float]) -> LexiconKey:
    return tuple(sorted((term, float(valence)) for term, valence in lexicon.items()))


def _version(key: LexiconKey) -> str:
    if key == _DEFAULT_KEY:
        return CX_LEXICON_VERSION
    # A digest of the terms, stable across processes (``hash()`` of a str is salted per process).
    return "cx-custom-" + hashlib.sha256(repr(key).encode()).hexdigest()[:10]


_DEFAULT_KEY = _key(DEFAULT_CX_LEXICON)
