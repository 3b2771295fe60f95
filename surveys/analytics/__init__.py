"""Text analytics of customer comments as plain functions over plain data (no database, no Django).

- ``sentiment``: VADER (NLTK's rules, vaderSentiment's lexicon) extended by the CX lexicon, and
  the lexicon fallback of the negative flag.
- ``negative_model`` / ``negative_flag``: the supervised model, and the rule that combines a
  score band with the text.
- ``themes`` / ``discovery``: taxonomy themes (keywords or a classifier) and emerging topics.
- ``associations``: words and phrases that set a group of comments apart.
- ``analysis``: ``analyse_comment`` / ``analyse_comments``, the per-response entry point.
- ``model_store``: models to bytes and back; ``evaluation`` and ``datasets`` for figures.

Import from the modules; the names below are the public API re-exported for convenience.
"""

from surveys.analytics.analysis import Analysis, TextModels, analyse_comment, analyse_comments
from surveys.analytics.associations import TermAssociation, term_associations
from surveys.analytics.cx_lexicon import CX_LEXICON_VERSION, DEFAULT_CX_LEXICON
from surveys.analytics.discovery import DiscoveredTopic, discover_topics
from surveys.analytics.model_store import (
    ModelFormatError,
    ModelMetadata,
    load_model,
    model_from_bytes,
    model_to_bytes,
    read_metadata,
)
from surveys.analytics.negative_flag import (
    CSAT,
    NPS,
    NegativeFlag,
    ScoreBand,
    ScoreScale,
    WeakLabel,
    negative_flag,
    score_band,
    weak_labels,
)
from surveys.analytics.negative_model import NegativeModel, train_negative_model
from surveys.analytics.sentiment import (
    LEXICON_NEGATIVE_THRESHOLD,
    LexiconVerdict,
    SentimentScore,
    SentimentScorer,
    lexicon_verdict,
    sentiment_scorer,
)
from surveys.analytics.themes import (
    DEFAULT_THEMES,
    KeywordMatcher,
    Theme,
    ThemeClassifier,
    ThemeScore,
    train_theme_classifier,
)
from surveys.analytics.vader_lexicon import ensure_vader_lexicon, vader_analyzer

__all__ = [
    "CSAT",
    "CX_LEXICON_VERSION",
    "DEFAULT_CX_LEXICON",
    "DEFAULT_THEMES",
    "LEXICON_NEGATIVE_THRESHOLD",
    "NPS",
    "Analysis",
    "DiscoveredTopic",
    "KeywordMatcher",
    "LexiconVerdict",
    "ModelFormatError",
    "ModelMetadata",
    "NegativeFlag",
    "NegativeModel",
    "ScoreBand",
    "ScoreScale",
    "SentimentScore",
    "SentimentScorer",
    "TermAssociation",
    "TextModels",
    "Theme",
    "ThemeClassifier",
    "ThemeScore",
    "WeakLabel",
    "analyse_comment",
    "analyse_comments",
    "discover_topics",
    "ensure_vader_lexicon",
    "lexicon_verdict",
    "load_model",
    "model_from_bytes",
    "model_to_bytes",
    "negative_flag",
    "read_metadata",
    "score_band",
    "sentiment_scorer",
    "term_associations",
    "train_negative_model",
    "train_theme_classifier",
    "vader_analyzer",
    "weak_labels",
]
