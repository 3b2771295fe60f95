"""The supervised negative-comment model: TF-IDF n-grams plus lexicon scores, linear classifiers.

A logistic regression over word and character n-grams and the VADER/CX scores, blended with a
multinomial naive Bayes over the same n-grams (the two err differently on short texts, so the
blend is better than either), and a decision threshold picked by internal cross-validation. Once
fitted, both are kept as plain weight vectors (see ``LinearBlend``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB

from surveys.analytics.cx_lexicon import DEFAULT_CX_LEXICON
from surveys.analytics.features import TextFeatures, lexicon_columns
from surveys.analytics.sentiment import SentimentScore, sentiment_scorer
from surveys.analytics.text import clean_text, without_placeholders

MODEL_KIND = "negative-flag"
# Weight of naive Bayes in the blend; chosen by cross-validation on the airline data.
NB_WEIGHT = 0.3
LR_C = 2.0
NB_ALPHA = 0.1
DEFAULT_THRESHOLD = 0.5
_THRESHOLD_GRID = np.round(np.arange(0.30, 0.701, 0.01), 2)
_PLATEAU = 0.005


@dataclass(frozen=True)
class LinearBlend:
    """The fitted classifiers reduced to their weights, so scoring is two sparse products.

    ``regression_*`` are the logistic regression's coefficients (n-grams, then the three lexicon
    columns) and intercept; ``bayes_*`` are naive Bayes' log-probability differences between the
    classes, which make its P(negative) a logistic function of the n-grams too.
    """

    regression_weights: np.ndarray
    regression_intercept: float
    bayes_weights: np.ndarray
    bayes_intercept: float

    def probabilities(self, ngrams: sparse.csr_matrix, lexical: np.ndarray) -> np.ndarray:
        n_ngrams = ngrams.shape[1]
        regression = ngrams @ self.regression_weights[:n_ngrams] + lexical @ self.regression_weights[n_ngrams:]
        bayes = ngrams @ self.bayes_weights
        p_regression = _sigmoid(regression + self.regression_intercept)
        p_bayes = _sigmoid(bayes + self.bayes_intercept)
        return np.asarray((1.0 - NB_WEIGHT) * p_regression + NB_WEIGHT * p_bayes)


@dataclass(frozen=True)
class NegativeModel:
    """A fitted negative-comment model. ``probabilities`` gives P(negative) per comment."""

    version: str
    features: TextFeatures
    blend: LinearBlend
    threshold: float
    cx_lexicon: Mapping[str, float]
    lexicon_version: str
    training_size: int

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """P(negative) for raw comment texts."""
        model_texts = [clean_text(text, placeholders=True) for text in texts]
        return self.probabilities_clean(model_texts, self.sentiments(model_texts))

    def probabilities_clean(self, model_texts: Sequence[str], sentiments: Sequence[SentimentScore]) -> np.ndarray:
        """P(negative) for texts cleaned with placeholders, given their scores from :meth:`sentiments`."""
        if not model_texts:
            return np.zeros(0)
        return self.blend.probabilities(self.features.transform(model_texts), lexicon_columns(sentiments))

    def sentiments(self, model_texts: Sequence[str]) -> list[SentimentScore]:
        """The lexicon scores this model was trained with (its own CX lexicon, not today's)."""
        scorer = sentiment_scorer(self.cx_lexicon)
        return [scorer.score_clean(without_placeholders(text)) for text in model_texts]


def train_negative_model(
    texts: Sequence[str],
    labels: Sequence[bool],
    *,
    cx_lexicon: Mapping[str, float] | None = None,
    version: str | None = None,
    threshold_folds: int = 3,
    random_state: int = 0,
) -> NegativeModel:
    """Fit the model on labelled comments (``True`` = negative).

    With ``threshold_folds`` >= 2 the decision threshold maximises F1 on out-of-fold predictions
    inside the training data; otherwise it is 0.5.
    """
    y = _check_labels(labels, len(texts))
    lexicon = dict(DEFAULT_CX_LEXICON if cx_lexicon is None else cx_lexicon)
    scorer = sentiment_scorer(lexicon)
    model_texts = [clean_text(text, placeholders=True) for text in texts]
    lexical = lexicon_columns([scorer.score_clean(without_placeholders(text)) for text in model_texts])
    features = TextFeatures(stemmed=False)
    ngrams = features.fit_transform(model_texts)
    threshold = _internal_threshold(ngrams, lexical, y, threshold_folds, random_state)
    return NegativeModel(
        version=version or _data_version(texts, y),
        features=features,
        blend=_fit(ngrams, lexical, y),
        threshold=threshold,
        cx_lexicon=lexicon,
        lexicon_version=scorer.version,
        training_size=len(texts),
    )


def _fit(ngrams: sparse.csr_matrix, lexical: np.ndarray, y: np.ndarray) -> LinearBlend:
    regression = LogisticRegression(C=LR_C, max_iter=2000)
    regression.fit(sparse.hstack([ngrams, sparse.csr_matrix(lexical)], format="csr"), y)
    # Naive Bayes needs non-negative counts, so it sees the n-grams only.
    bayes = MultinomialNB(alpha=NB_ALPHA).fit(ngrams, y)
    negative, other = list(bayes.classes_).index(True), list(bayes.classes_).index(False)
    return LinearBlend(
        regression_weights=regression.coef_[0].astype(np.float64),
        regression_intercept=float(regression.intercept_[0]),
        bayes_weights=bayes.feature_log_prob_[negative] - bayes.feature_log_prob_[other],
        bayes_intercept=float(bayes.class_log_prior_[negative] - bayes.class_log_prior_[other]),
    )


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-values)))


def _internal_threshold(
    ngrams: sparse.csr_matrix, lexical: np.ndarray, y: np.ndarray, folds: int, random_state: int
) -> float:
    # The vectorisers were fitted on all training rows; refitting them per inner fold would cost
    # far more and move the threshold by less than its own noise.
    if folds < 2 or min(int(y.sum()), int((~y).sum())) < folds:
        return DEFAULT_THRESHOLD
    out_of_fold = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=random_state).split(ngrams, y):
        out_of_fold[test] = _fit(ngrams[train], lexical[train], y[train]).probabilities(ngrams[test], lexical[test])
    scores = np.array([f1_score(y, out_of_fold >= threshold) for threshold in _THRESHOLD_GRID])
    # F1 is flat near its peak and the arg-max jumps with noise: take the middle of the plateau.
    plateau = _THRESHOLD_GRID[scores >= scores.max() - _PLATEAU]
    return float(np.round(np.median(plateau), 2))


def _check_labels(labels: Sequence[bool], n_texts: int) -> np.ndarray:
    if len(labels) != n_texts:
        raise ValueError(f"{n_texts} texts but {len(labels)} labels")
    y = np.asarray(labels, dtype=bool)
    if y.all() or not y.any():
        raise ValueError("training needs both negative and non-negative examples")
    return y


def _data_version(texts: Sequence[str], y: np.ndarray) -> str:
    # Same data, same version: a retrain on unchanged data does not invalidate caches.
    digest = hashlib.sha256()
    for text, label in zip(texts, y, strict=True):
        digest.update(b"1" if label else b"0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return f"{MODEL_KIND}-{digest.hexdigest()[:12]}"
