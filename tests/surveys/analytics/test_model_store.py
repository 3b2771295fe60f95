"""Models to bytes and back, metadata readable without unpickling, loading cached by version."""

from __future__ import annotations

import numpy as np
import pytest

from surveys.analytics.model_store import (
    ModelFormatError,
    clear_model_cache,
    load_model,
    model_from_bytes,
    model_to_bytes,
    read_metadata,
)
from surveys.analytics.negative_model import NegativeModel, train_negative_model
from surveys.analytics.themes import ThemeClassifier, train_theme_classifier

TEXTS = ["refund late", "on hold for hours", "lost my bag", "great crew", "lovely flight", "thank you"] * 4
NEGATIVE = [True, True, True, False, False, False] * 4


@pytest.fixture(scope="module")
def negative_model() -> NegativeModel:
    return train_negative_model(TEXTS, NEGATIVE, threshold_folds=0)


@pytest.fixture(scope="module")
def theme_classifier() -> ThemeClassifier:
    return train_theme_classifier(TEXTS, [{"Pain"} if label else {"Praise"} for label in NEGATIVE])


def test_a_negative_model_survives_the_round_trip(negative_model: NegativeModel) -> None:
    data, metadata = model_to_bytes(negative_model, figures={"f1": 0.9})
    restored, read_back = model_from_bytes(data)
    assert isinstance(restored, NegativeModel)
    assert read_back == metadata
    assert metadata.kind == "negative-flag" and metadata.training_size == 24 and metadata.figures == {"f1": 0.9}
    texts = ["still on hold", "great flight"]
    assert np.allclose(restored.probabilities(texts), negative_model.probabilities(texts))


def test_a_theme_classifier_survives_the_round_trip(theme_classifier: ThemeClassifier) -> None:
    data, metadata = model_to_bytes(theme_classifier)
    restored, _ = model_from_bytes(data)
    assert metadata.kind == "themes"
    assert restored.predict(["my bag is lost"]) == theme_classifier.predict(["my bag is lost"])


def test_metadata_is_read_without_unpickling(negative_model: NegativeModel) -> None:
    data, metadata = model_to_bytes(negative_model)
    corrupted_body = data[:-20] + b"x" * 20
    assert read_metadata(corrupted_body) == metadata
    with pytest.raises(ModelFormatError):
        model_from_bytes(corrupted_body)


def test_foreign_bytes_are_refused() -> None:
    for data in (b"", b"not a model", b"\x80\x04K\x01."):
        with pytest.raises(ModelFormatError):
            model_from_bytes(data)


def test_loading_is_cached_per_version(negative_model: NegativeModel) -> None:
    clear_model_cache()
    data, metadata = model_to_bytes(negative_model)
    fetches: list[int] = []

    def fetch() -> bytes:
        fetches.append(1)
        return data

    first = load_model(metadata.version, fetch)
    second = load_model(metadata.version, fetch)
    assert first is second and len(fetches) == 1


def test_a_version_mismatch_is_refused(negative_model: NegativeModel) -> None:
    clear_model_cache()
    data, _ = model_to_bytes(negative_model)
    with pytest.raises(ModelFormatError, match="asked for model"):
        load_model("some-other-version", lambda: data)
