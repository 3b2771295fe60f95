"""Feature extraction shared by the learned models: TF-IDF word and character n-grams.

Vectorisers are built here so that training and scoring can never disagree on how text becomes
numbers. Functions handed to scikit-learn are module-level so that fitted models pickle.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

import numpy as np
from nltk.stem.snowball import SnowballStemmer
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from surveys.analytics.sentiment import SentimentScore

_TOKEN = re.compile(r"\w[\w']*")
_WORD_CACHE_SIZE = 100_000
_stemmer = SnowballStemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of a lower-case word; cached because comment vocabulary repeats heavily."""
    return _stemmer.stem(word)


def word_tokens(text: str) -> list[str]:
    """Lower-case word tokens (apostrophes kept, so "can't" stays one token)."""
    return _TOKEN.findall(text.lower())


def stemmed_tokens(text: str) -> list[str]:
    """Stemmed word tokens: "delayed", "delays" and "delay" become one feature."""
    return [stem(token) for token in _TOKEN.findall(text.lower())]


def _unigrams_and_bigrams(tokens: list[str]) -> list[str]:
    # What scikit-learn's analyser makes of tokens with ngram_range=(1, 2) and no stop words.
    return tokens + [f"{first} {second}" for first, second in pairwise(tokens)]


def word_vectorizer(*, stemmed: bool = False) -> TfidfVectorizer:
    """Word unigrams and bigrams; sublinear tf so one repeated word does not dominate."""
    return TfidfVectorizer(
        tokenizer=stemmed_tokens if stemmed else word_tokens,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        min_df=2,
        sublinear_tf=True,
        dtype=np.float32,
    )


def char_vectorizer() -> TfidfVectorizer:
    """Character 2-5-grams inside word boundaries: robust to typos, elongation and odd spelling."""
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32)


def lexicon_columns(scores: Sequence[SentimentScore]) -> np.ndarray:
    """VADER/CX scores as three dense columns next to the n-grams: compound, positive, negative."""
    values = np.array([(score.compound, score.positive, score.negative) for score in scores], dtype=np.float64)
    return values.reshape(len(scores), 3)


class TextFeatures:
    """A fitted pair of word and character vectorisers whose outputs sit side by side.

    ``transform`` gives the same matrix as scikit-learn's ``transform`` of each vectoriser,
    stacked, but several times faster: character n-grams never cross a word, so the vocabulary
    indices of each distinct word are computed once and cached (comment vocabulary repeats
    heavily), and counting, tf-idf weighting and normalising run as a few array operations on the
    whole batch instead of per comment.
    """

    def __init__(self, *, stemmed: bool) -> None:
        self.word = word_vectorizer(stemmed=stemmed)
        self.char = char_vectorizer()
        self._word_cache: dict[str, array[int]] = {}

    @property
    def size(self) -> int:
        return len(self.word.vocabulary_) + len(self.char.vocabulary_)

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return sparse.hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)], format="csr")

    def exact_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """scikit-learn's own transform: the reference :meth:`transform` is tested against."""
        return sparse.hstack([self.word.transform(texts), self.char.transform(texts)], format="csr")

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        n_words = len(self.word.vocabulary_)
        vocabulary = self.word.vocabulary_
        tokenize = self.word.tokenizer
        cache = self._word_cache
        indices = array("i")
        indptr = array("i", [0])
        for text in texts:
            tokens = tokenize(text)
            indices.extend([i for gram in _unigrams_and_bigrams(tokens) if (i := vocabulary.get(gram)) is not None])
            for token in text.lower().split():
                cached = cache.get(token)
                indices.extend(cached if cached is not None else self._char_indices(token, n_words))
            indptr.append(len(indices))
        return self._weighted(np.frombuffer(indices, dtype=np.int32), np.frombuffer(indptr, dtype=np.int32))

    def _char_indices(self, token: str, offset: int) -> array[int]:
        """Column indices of ``token``'s character n-grams, computed once per distinct token."""
        if len(self._word_cache) >= _WORD_CACHE_SIZE:
            self._word_cache.clear()  # crude but bounded; refilling costs one comment batch
        vocabulary = self.char.vocabulary_
        grams = self.char.build_analyzer()(token)
        # An int array, so that appending it to the batch's indices is a memory copy.
        indices = self._word_cache[token] = array("i", [offset + vocabulary[g] for g in grams if g in vocabulary])
        return indices

    def _weighted(self, indices: np.ndarray, indptr: np.ndarray) -> sparse.csr_matrix:
        """The tf-idf matrix from each row's feature indices (repeats = counts)."""
        n_rows, n_words, size = len(indptr) - 1, len(self.word.vocabulary_), self.size
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(indptr))
        keys, counts = np.unique(rows * size + indices, return_counts=True)
        rows, columns = np.divmod(keys, size)
        # Sublinear tf, idf, then the L2 norm of each block (word, char) on its own, as the two
        # vectorisers would do separately.
        data = (1.0 + np.log(counts)) * self._idf[columns]
        block = rows * 2 + (columns >= n_words)
        norms = np.sqrt(np.bincount(block, weights=data * data, minlength=n_rows * 2))[block]
        data /= np.where(norms > 0, norms, 1.0)
        row_starts = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_rows))))
        return sparse.csr_matrix(
            (data.astype(np.float32), columns.astype(np.int32), row_starts.astype(np.int32)), shape=(n_rows, size)
        )

    @property
    def _idf(self) -> np.ndarray:
        idf: np.ndarray | None = self.__dict__.get("_idf_cache")
        if idf is None:
            idf = self.__dict__["_idf_cache"] = np.concatenate([self.word.idf_, self.char.idf_])
        return idf

    def __getstate__(self) -> dict[str, object]:
        # Caches are rebuilt on demand; pickling them would bloat stored models.
        state = dict(self.__dict__)
        state["_word_cache"] = {}
        state.pop("_idf_cache", None)
        return state
