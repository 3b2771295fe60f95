"""Term associations: the words and two-word phrases that set a group of comments apart.

"What do detractors say that others do not?" Lift compares how often a term's comments occur in
the target group with how often they occur overall; phrases are found with NLTK's collocation
finder, so only word pairs that belong together (not any adjacent pair) are considered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, TypeVar

from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from surveys.analytics.text import clean_text, words

# Phrase candidates: the best-scoring pairs by likelihood ratio, before lift is computed.
_PHRASE_CANDIDATES = 500

T = TypeVar("T", str, tuple[str, str])


@dataclass(frozen=True)
class TermAssociation:
    """``target_count``/``other_count`` count comments (not occurrences) containing the term."""

    term: str
    kind: Literal["word", "phrase"]
    target_count: int
    other_count: int
    lift: float


def term_associations(
    target_texts: Sequence[str],
    other_texts: Sequence[str],
    *,
    min_count: int = 3,
    limit: int = 50,
) -> list[TermAssociation]:
    """Terms over-represented in ``target_texts``, highest lift first (ties: more frequent first).

    Lift = P(term | target) / P(term | all comments); 1 means no association. Only terms found in
    at least ``min_count`` target comments are returned.
    """
    target = [_content_words(text) for text in target_texts]
    other = [_content_words(text) for text in other_texts]
    if not target:
        return []
    phrases = _phrase_candidates(target, min_count)
    results = _associations("word", [set(tokens) for tokens in target], [set(tokens) for tokens in other], min_count)
    target_pairs = [_pairs(tokens) & phrases for tokens in target]
    results += _associations("phrase", target_pairs, [_pairs(tokens) & phrases for tokens in other], min_count)
    results.sort(key=lambda item: (-item.lift, -item.target_count, item.term))
    return results[:limit]


def _content_words(text: str) -> list[str]:
    return [word for word in words(clean_text(text)) if len(word) > 1 and word not in ENGLISH_STOP_WORDS]


def _phrase_candidates(target: list[list[str]], min_count: int) -> set[tuple[str, str]]:
    finder = BigramCollocationFinder.from_documents(target)
    finder.apply_freq_filter(min_count)
    return set(finder.nbest(BigramAssocMeasures.likelihood_ratio, _PHRASE_CANDIDATES))


def _pairs(tokens: list[str]) -> set[tuple[str, str]]:
    return set(pairwise(tokens))


def _tally(term_sets: Iterable[set[T]]) -> Counter[T]:
    tally: Counter[T] = Counter()
    for terms in term_sets:
        tally.update(terms)
    return tally


def _associations(
    kind: Literal["word", "phrase"], target: list[set[T]], other: list[set[T]], min_count: int
) -> list[TermAssociation]:
    in_target, in_other = _tally(target), _tally(other)
    n_target, n_all = len(target), len(target) + len(other)
    return [
        TermAssociation(
            term=" ".join(term) if isinstance(term, tuple) else term,
            kind=kind,
            target_count=count,
            other_count=in_other[term],
            lift=round((count / n_target) / ((count + in_other[term]) / n_all), 4),
        )
        for term, count in in_target.items()
        if count >= min_count
    ]
