"""The fast vectoriser gives exactly scikit-learn's tf-idf matrix."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from surveys.analytics.features import TextFeatures

TRAINING = [
    "my refund is late",
    "refund late again!!",
    "great crew, GREAT flight",
    "the crew was great",
    "late late late",
    "naïve café crème",
    "ΟΔΟΣ ΟΔΟΣ",
    "on hold for hours",
]
UNSEEN = ["", "   ", "refund refund refund", "Late CREW café", "ΟΔΟΣ", "unknown words only", "a"]


@pytest.mark.parametrize("stemmed", [False, True])
def test_fast_transform_equals_scikit_learns(stemmed: bool) -> None:
    features = TextFeatures(stemmed=stemmed)
    features.fit_transform(TRAINING)
    for texts in (UNSEEN, TRAINING, UNSEEN[:1], UNSEEN[3:4]):
        fast, exact = features.transform(texts), features.exact_transform(texts)
        assert fast.shape == exact.shape
        assert np.abs((fast - exact).toarray()).max() < 1e-6


def test_the_word_cache_is_not_pickled() -> None:
    features = TextFeatures(stemmed=False)
    features.fit_transform(TRAINING)
    features.transform(UNSEEN)
    restored = pickle.loads(pickle.dumps(features))  # noqa: S301 - bytes made just above
    assert restored._word_cache == {}
    assert np.allclose(restored.transform(UNSEEN).toarray(), features.transform(UNSEEN).toarray())
