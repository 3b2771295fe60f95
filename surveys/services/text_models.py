"""Trained text models in the database, loaded once per process and version.

`train_text_models` stores each model with `surveys.analytics.model_store` (a
versioned, self-describing blob written only by our own code) in TextModel.blob.
Every worker on every machine asks the database which versions are active and
unpickles a version only the first time it sees it.
"""

from __future__ import annotations

from collections.abc import Sequence

from surveys.analytics.analysis import TextModels
from surveys.analytics.model_store import load_model, model_to_bytes
from surveys.analytics.negative_model import NegativeModel
from surveys.analytics.themes import Theme as ThemeSpec
from surveys.analytics.themes import ThemeClassifier
from surveys.models import TextModel, Theme
from surveys.selectors.analysis import active_model, model_blob


def model_dumps(model: NegativeModel | ThemeClassifier, *, figures: dict[str, float] | None = None) -> bytes:
    return model_to_bytes(model, figures=figures)[0]


def _load(version: str) -> NegativeModel | ThemeClassifier:
    return load_model(version, lambda: model_blob(version))


def theme_specs(themes: Sequence[Theme]) -> tuple[ThemeSpec, ...]:
    return tuple(ThemeSpec(t.name, t.description, tuple(t.keywords)) for t in themes)


def loaded(*, lexicon: dict[str, float], taxonomy: Sequence[Theme]) -> TextModels:
    """The active models with today's lexicon and taxonomy: two small queries; blobs come from the
    cache. Of the classifier's themes only the taxonomy's active ones are given: one an admin
    retired, renamed or deleted since the training is not (training adds the learned ones)."""
    negative = active_model(TextModel.Kind.NEGATIVE)
    classifier = active_model(TextModel.Kind.THEMES)
    negative_model = _load(negative.version) if negative else None
    theme_classifier = _load(classifier.version) if classifier else None
    active = [theme for theme in taxonomy if theme.active]
    learned = theme_classifier.themes if isinstance(theme_classifier, ThemeClassifier) else ()
    return TextModels(
        cx_lexicon=lexicon or None,
        negative_model=negative_model if isinstance(negative_model, NegativeModel) else None,
        theme_classifier=theme_classifier if isinstance(theme_classifier, ThemeClassifier) else None,
        taxonomy=theme_specs(active),
        retired_themes=frozenset(learned) - {theme.name for theme in active},
    )
