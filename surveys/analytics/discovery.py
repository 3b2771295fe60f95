"""Discovery of emerging topics: NMF over TF-IDF of a batch of comments.

For finding what the taxonomy does not cover yet: an analyst reads each candidate's top terms and
example comments and decides whether it deserves a theme.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from surveys.analytics.text import clean_text, words


@dataclass(frozen=True)
class DiscoveredTopic:
    """A candidate topic: its most characteristic terms, its weight, and texts that show it."""

    terms: tuple[str, ...]
    weight: float
    size: int
    example_indices: tuple[int, ...]


def discover_topics(
    texts: Sequence[str],
    n_topics: int,
    *,
    top_terms: int = 8,
    examples: int = 5,
    max_features: int = 5000,
    random_state: int = 0,
) -> list[DiscoveredTopic]:
    """Cluster ``texts`` into at most ``n_topics`` candidate topics, heaviest first.

    ``size`` counts the texts whose strongest topic this is; ``example_indices`` index into
    ``texts``, most typical first. Fewer topics come back when the texts cannot support more.
    """
    cleaned = [clean_text(text) for text in texts]
    if n_topics < 1 or sum(1 for text in cleaned if text) < 2:
        return []
    vectorizer = TfidfVectorizer(
        tokenizer=_content_words,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        max_features=max_features,
        min_df=1 if len(cleaned) < 50 else 2,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform(cleaned)
    except ValueError:  # nothing but stop words
        return []
    components = min(n_topics, matrix.shape[0], matrix.shape[1])
    model = NMF(n_components=components, init="nndsvd", max_iter=1000, random_state=random_state)
    with warnings.catch_warnings():
        # Candidates are for a person to judge; an unconverged factorisation of a small batch still
        # gives usable terms, and the warning would only alarm the logs.
        warnings.simplefilter("ignore", ConvergenceWarning)
        document_topics = model.fit_transform(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    strongest = document_topics.argmax(axis=1)
    topics = []
    for k in range(components):
        weights = document_topics[:, k]
        members = np.flatnonzero((strongest == k) & (weights > 0))
        if len(members):
            topics.append(_topic(model.components_[k], weights, members, vocabulary, top_terms, examples))
    return sorted(topics, key=lambda topic: -topic.weight)


def _topic(
    term_weights: np.ndarray,
    text_weights: np.ndarray,
    members: np.ndarray,
    vocabulary: np.ndarray,
    top_terms: int,
    examples: int,
) -> DiscoveredTopic:
    typical_first = members[np.argsort(-text_weights[members], kind="stable")]
    return DiscoveredTopic(
        terms=tuple(str(vocabulary[i]) for i in np.argsort(-term_weights)[:top_terms] if term_weights[i] > 0),
        weight=round(float(text_weights.sum()), 4),
        size=len(members),
        example_indices=tuple(int(i) for i in typical_first[:examples]),
    )


def _content_words(text: str) -> list[str]:
    # Stop words and one-letter tokens say nothing about a topic.
    return [word for word in words(text) if len(word) > 1 and word not in ENGLISH_STOP_WORDS]
