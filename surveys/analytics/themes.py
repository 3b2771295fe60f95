"""Themes of a comment from an admin-defined taxonomy: seed-keyword matching and a learned classifier.

The keyword matcher works from the taxonomy alone (no labelled data); the classifier learns from
labelled comments and is multi-label (every theme above a confidence threshold, plus the top one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC

from surveys.analytics.features import TextFeatures, stemmed_tokens
from surveys.analytics.text import clean_text

MODEL_KIND = "themes"
# Strong regularisation suits the small, noisy classes of a theme taxonomy (chosen by CV).
SVM_C = 0.05
DEFAULT_THEME_THRESHOLD = 0.5
# Out-of-fold scores for calibration and the prior exponent come from models trained on
# (folds - 1) / folds of the data; with 5 folds they sit closer to the final model than with 3
# (airline themes, 5-fold CV under seeds 0-2: macro-F1 0.597 +/- 0.004 against 0.590 +/- 0.003).
INTERNAL_FOLDS = 5
_PRIOR_EXPONENTS = np.round(np.arange(0.0, 1.001, 0.1), 1)


@dataclass(frozen=True)
class Theme:
    """One entry of the taxonomy an admin maintains."""

    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThemeScore:
    name: str
    confidence: float
    source: Literal["model", "keywords"]


DEFAULT_THEMES: tuple[Theme, ...] = (
    Theme(
        "Waiting and delays",
        "Slow service, queues, late delivery",
        ("wait", "delay", "late", "slow", "queue", "on hold", "took forever"),
    ),
    Theme("Cancellation", "Orders, bookings or services cancelled", ("cancel", "cancellation", "called off")),
    Theme(
        "Billing and refunds",
        "Charges, fees, refunds, invoices",
        ("refund", "charge", "fee", "bill", "invoice", "overcharged", "price"),
    ),
    Theme(
        "Staff attitude",
        "Rudeness or helpfulness of people",
        ("rude", "attitude", "unprofessional", "friendly", "helpful", "staff"),
    ),
    Theme(
        "Support contact",
        "Reaching support: phone, chat, email",
        ("customer service", "phone", "call", "hung up", "no response", "chat", "email", "agent"),
    ),
    Theme(
        "Lost or damaged items",
        "Things lost, missing or broken",
        ("lost", "missing", "damaged", "broken", "never arrived"),
    ),
    Theme(
        "Ordering and booking",
        "Website, app, booking and ordering problems",
        ("website", "app", "booking", "book", "order", "reservation", "login"),
    ),
    Theme(
        "Product quality",
        "The product or service itself",
        ("quality", "dirty", "uncomfortable", "faulty", "defective", "works great"),
    ),
)


class KeywordMatcher:
    """Matches a taxonomy's seed keywords and phrases on word stems ("cancel" finds "cancelled")."""

    def __init__(self, themes: Sequence[Theme]) -> None:
        self.themes = tuple(themes)
        self._by_first_stem: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for index, theme in enumerate(self.themes):
            for keyword in theme.keywords:
                phrase = tuple(stemmed_tokens(clean_text(keyword)))
                if phrase:
                    self._by_first_stem.setdefault(phrase[0], []).append((phrase, index))

    def match(self, text: str) -> list[ThemeScore]:
        """Themes whose keywords occur in ``text``, most-matched first.

        Confidence grows with the number of distinct keywords found: 0.5 for one, 0.75 for two...
        """
        return self.match_clean(clean_text(text))

    def match_clean(self, cleaned: str) -> list[ThemeScore]:
        """:meth:`match` for text already passed through ``clean_text``."""
        tokens = stemmed_tokens(cleaned)
        found: dict[int, set[tuple[str, ...]]] = {}
        for position, token in enumerate(tokens):
            for phrase, index in self._by_first_stem.get(token, ()):
                if tuple(tokens[position : position + len(phrase)]) == phrase:
                    found.setdefault(index, set()).add(phrase)
        scores = [ThemeScore(self.themes[i].name, 1.0 - 0.5 ** len(hits), "keywords") for i, hits in found.items()]
        return sorted(scores, key=lambda score: (-score.confidence, score.name))


@dataclass(frozen=True)
class ThemeClassifier:
    """One linear SVM per theme over word+char TF-IDF, with calibrated confidences.

    ``weights`` stacks the per-theme SVMs (features x themes) so scoring is one sparse product.
    ``calibration`` holds Platt (slope, intercept) per theme, fitted on internal out-of-fold scores.
    The top theme maximises confidence / frequency ** ``prior_exponent``, which gives small themes
    their share (the exponent too is chosen by internal cross-validation).
    """

    version: str
    themes: tuple[str, ...]
    features: TextFeatures
    weights: np.ndarray
    intercepts: np.ndarray
    calibration: np.ndarray
    log_priors: np.ndarray
    prior_exponent: float
    threshold: float
    training_size: int

    def predict(self, texts: Sequence[str], *, threshold: float | None = None) -> list[list[ThemeScore]]:
        """Themes per raw comment: all above ``threshold`` plus the top theme, best first."""
        return self.predict_clean([clean_text(text, placeholders=True) for text in texts], threshold=threshold)

    def predict_clean(self, model_texts: Sequence[str], *, threshold: float | None = None) -> list[list[ThemeScore]]:
        if not model_texts:
            return []
        matrix = self.features.transform(model_texts)
        confidences = self._confidences(matrix)
        tops = self._tops(confidences)
        has_features = np.diff(matrix.indptr) > 0
        cut = self.threshold if threshold is None else threshold
        return [
            self._scores(row, int(top), cut) if known else []
            for row, top, known in zip(confidences, tops, has_features, strict=True)
        ]

    def top_themes(self, texts: Sequence[str]) -> list[str]:
        """The single most likely theme per comment (what single-label evaluation scores)."""
        matrix = self.features.transform([clean_text(text, placeholders=True) for text in texts])
        return [self.themes[int(i)] for i in self._tops(self._confidences(matrix))]

    def _confidences(self, matrix: sparse.csr_matrix) -> np.ndarray:
        decisions = np.asarray(matrix @ self.weights) + self.intercepts
        return _sigmoid(decisions * self.calibration[:, 0] + self.calibration[:, 1])

    def _tops(self, confidences: np.ndarray) -> np.ndarray:
        return np.argmax(np.log(confidences + 1e-12) - self.prior_exponent * self.log_priors, axis=1)

    def _scores(self, confidences: np.ndarray, top: int, cut: float) -> list[ThemeScore]:
        chosen = {top} | {int(i) for i in np.flatnonzero(confidences >= cut)}
        scores = [ThemeScore(self.themes[i], round(float(confidences[i]), 4), "model") for i in chosen]
        return sorted(scores, key=lambda score: (score.name != self.themes[top], -score.confidence))


def train_theme_classifier(
    texts: Sequence[str],
    labels: Sequence[Collection[str]],
    *,
    version: str | None = None,
    internal_folds: int = INTERNAL_FOLDS,
    threshold: float = DEFAULT_THEME_THRESHOLD,
    random_state: int = 0,
) -> ThemeClassifier:
    """Fit on comments labelled with one or more theme names each (rows without labels are skipped)."""
    rows = [(text, frozenset(names)) for text, names in zip(texts, labels, strict=True) if names]
    themes = tuple(sorted({name for _, names in rows for name in names}))
    if len(themes) < 2:
        raise ValueError("training needs at least two themes with examples")
    targets = np.array([[name in names for name in themes] for _, names in rows], dtype=bool)
    features = TextFeatures(stemmed=True)
    # float64 once: liblinear would otherwise convert the float32 matrix on each of the many SVM
    # fits (themes x internal folds); a full fit on the airline comments takes 3.4 s, not 5.4 s.
    matrix = features.fit_transform([clean_text(text, placeholders=True) for text, _ in rows]).astype(np.float64)
    weights, intercepts = _fit_svms(matrix, targets)
    calibration, prior_exponent = _tune_on_internal_folds(matrix, targets, internal_folds, random_state)
    return ThemeClassifier(
        version=version or _data_version(rows),
        themes=themes,
        features=features,
        weights=weights,
        intercepts=intercepts,
        calibration=calibration,
        log_priors=_log_priors(targets),
        prior_exponent=prior_exponent,
        threshold=threshold,
        training_size=len(rows),
    )


def _fit_svms(matrix: sparse.csr_matrix, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Each theme's positives weigh n / (themes * n_theme), negatives 1: the class balancing
    # liblinear applies to a multi-class SVM, kept for multi-label targets.
    n_rows, n_themes = targets.shape
    weights = np.zeros((matrix.shape[1], n_themes), dtype=np.float32)
    intercepts = np.zeros(n_themes)
    for k in range(n_themes):
        positives = targets[:, k]
        if not positives.any() or positives.all():
            intercepts[k] = 1.0 if positives.all() else -1.0
            continue
        sample_weight = np.where(positives, n_rows / (n_themes * positives.sum()), 1.0)
        svm = LinearSVC(C=SVM_C).fit(matrix, positives, sample_weight=sample_weight)
        weights[:, k] = svm.coef_[0]
        intercepts[k] = svm.intercept_[0]
    return weights, intercepts


def _tune_on_internal_folds(
    matrix: sparse.csr_matrix, targets: np.ndarray, folds: int, random_state: int
) -> tuple[np.ndarray, float]:
    """Platt calibration per theme and the prior exponent, from out-of-fold SVM scores."""
    n_themes = targets.shape[1]
    if folds < 2 or len(targets) < 5 * folds:
        return np.tile([1.0, 0.0], (n_themes, 1)), 0.0
    decisions = np.zeros(targets.shape)
    for train, test in KFold(folds, shuffle=True, random_state=random_state).split(targets):
        weights, intercepts = _fit_svms(matrix[train], targets[train])
        decisions[test] = np.asarray(matrix[test] @ weights) + intercepts
    calibration = _platt(decisions, targets)
    confidences = _sigmoid(decisions * calibration[:, 0] + calibration[:, 1])
    return calibration, _best_prior_exponent(confidences, targets)


def _best_prior_exponent(confidences: np.ndarray, targets: np.ndarray) -> float:
    """How far to divide confidences by theme frequency before taking the top theme.

    0 picks the most probable theme (best for micro-F1, starves small themes); 1 divides by the
    prior outright (over-predicts them). The exponent maximising macro-F1 out of fold lies between.
    """
    log_priors = _log_priors(targets)
    scores = [_top_macro_f1(np.log(confidences + 1e-12) - e * log_priors, targets) for e in _PRIOR_EXPONENTS]
    return float(_PRIOR_EXPONENTS[int(np.argmax(scores))])


def _log_priors(targets: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(targets.mean(axis=0), 1e-6))


def _top_macro_f1(scores: np.ndarray, targets: np.ndarray) -> float:
    predicted = np.zeros_like(targets)
    predicted[np.arange(len(scores)), np.argmax(scores, axis=1)] = True
    true_positive = (predicted & targets).sum(axis=0)
    denominator = predicted.sum(axis=0) + targets.sum(axis=0)
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros(len(denominator)), where=denominator > 0)
    return float(np.mean(f1))


def _platt(decisions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    calibration = np.tile([1.0, 0.0], (targets.shape[1], 1))
    for k in range(targets.shape[1]):
        if 0 < targets[:, k].sum() < len(targets):
            fitted = LogisticRegression(C=100.0).fit(decisions[:, [k]], targets[:, k])
            calibration[k] = (fitted.coef_[0, 0], fitted.intercept_[0])
    return calibration


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-values)))


def _data_version(rows: Sequence[tuple[str, frozenset[str]]]) -> str:
    digest = hashlib.sha256()
    for text, names in rows:
        digest.update("\x1f".join(sorted(names)).encode() + b"\x1e" + text.encode("utf-8", "surrogatepass") + b"\x00")
    return f"{MODEL_KIND}-{digest.hexdigest()[:12]}"
