"""Churn risk: a calibrated classifier over account attributes, chosen and measured without peeking.

Two candidates share one preprocessing (numbers median-imputed and standardised, categories
one-hot with rare and unseen values pooled): an L2-regularised logistic regression and shallow
histogram gradient boosting. Both end in ``CalibratedClassifierCV(cv=3, method="sigmoid")``;
sigmoid rather than isotonic because isotonic overfits the small labelled sets a CRM starts with
(a model may be trained on as few as ``MIN_PER_CLASS`` churned accounts).

How the figures are measured (nested, so no figure has seen its own test rows): the rows are
split into ``folds`` stratified folds; inside each training part alone the two candidates are
compared by 3-fold cross-validated ROC AUC, the better one is calibrated on that training part and
predicts the held-out fold. ROC AUC, PR AUC and Brier score come from these pooled out-of-fold,
calibrated predictions. ``ChurnReport.cv_auc`` is each candidate's selection AUC averaged over the
training parts, and the final model is the candidate with the higher one, fitted the same way on
all rows.

Training limits BLAS and OpenMP to one thread: the machine is shared with the web and workers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

LOGISTIC = "logistic_regression"
BOOSTING = "gradient_boosting"
CANDIDATES = (LOGISTIC, BOOSTING)
MIN_ROWS = 50
MIN_PER_CLASS = 10
CALIBRATION = "sigmoid"
CALIBRATION_FOLDS = 3
SELECTION_FOLDS = 3
# Categories seen on fewer training rows are pooled: their one-hot weights would be noise.
MIN_CATEGORY_ROWS = 5
MAX_CATEGORIES = 30
MISSING = "(missing)"
DECILE_MIDPOINTS = (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95)
# Gradient boosting drivers predict every account once per typical value of every feature (about
# 80 copies on the telco data): rows per predict_proba call, so a call holds tens of MB, not GBs.
PERTURBED_ROWS_PER_CALL = 50_000

Row = Mapping[str, object]


class NotEnoughData(Exception):
    """Too few labelled accounts, or too few of one outcome, to train and measure a churn model."""


@dataclass(frozen=True)
class ChurnDataset:
    """``rows`` map feature names to numbers (anything ``float()`` accepts, e.g. Decimal), strings
    (categories) or None (unknown); ``labels`` are 1 for churned, 0 for retained."""

    rows: list[dict[str, object]]
    labels: list[int]


@dataclass
class ChurnReport:
    """``cv_auc``: each candidate's selection ROC AUC; ``roc_auc``, ``pr_auc``, ``brier``: out-of-fold
    figures of the whole procedure (selection + calibrated fit), see the module docstring."""

    chosen: str
    cv_auc: dict[str, float]
    roc_auc: float
    pr_auc: float
    brier: float
    n: int
    positives: int
    folds: int
    features: list[str]


@dataclass(frozen=True)
class _Columns:
    """Which features are numbers and which categories, and what a typical training account has:
    ``typical[name]`` is ``((value, share), ...)``: deciles for a number, the mix of common values
    for a category."""

    numbers: tuple[str, ...]
    categories: tuple[str, ...]
    typical: dict[str, tuple[tuple[object, float], ...]]

    @property
    def names(self) -> tuple[str, ...]:
        return self.numbers + self.categories

    def matrix(self, rows: Sequence[Row]) -> np.ndarray:
        matrix = np.empty((len(rows), len(self.names)), dtype=object)
        for i, row in enumerate(rows):
            matrix[i, : len(self.numbers)] = [_number(row.get(name)) for name in self.numbers]
            matrix[i, len(self.numbers) :] = [_category(row.get(name)) for name in self.categories]
        return matrix

    def cell(self, name: str, value: object) -> object:
        """``value`` of feature ``name`` as ``matrix`` holds it."""
        return _category(value) if name in self.categories else _number(value)

    def readable(self, name: str, value: object) -> str:
        if name in self.categories:
            category = _category(value)
            return f"{name} missing" if category == MISSING else f"{name} = {category}"
        number = _number(value)
        return f"{name} missing" if math.isnan(number) else f"{name} = {number:g}"


class ChurnModel:
    """A fitted, calibrated churn model; picklable.

    ``calibrated`` is a ``CalibratedClassifierCV`` over a ``Pipeline`` (``"columns"``: a
    ``ColumnTransformer``, ``"model"``: the classifier); it holds one fitted pipeline and calibrator
    per calibration fold and averages them.
    """

    def __init__(self, *, kind: str, columns: _Columns, calibrated: CalibratedClassifierCV, training: np.ndarray):
        self.kind = kind
        self.calibrated = calibrated
        self._columns = columns
        pipelines = [member.estimator for member in calibrated.calibrated_classifiers_]
        # The average account in each member's design space: contributions are measured from it.
        self._references = [np.asarray(p.named_steps["columns"].transform(training)).mean(axis=0) for p in pipelines]
        self._owners = [_column_owners(p, columns) for p in pipelines]

    @property
    def features(self) -> list[str]:
        return list(self._columns.names)

    def predict_proba(self, rows: Sequence[Row]) -> list[float]:
        """Calibrated P(churn) per row. Unknown features are ignored, missing ones imputed."""
        if not rows:
            return []
        with threadpool_limits(limits=1):
            probabilities = self.calibrated.predict_proba(self._columns.matrix(rows))[:, 1]
        return [float(p) for p in probabilities]

    def drivers(self, row: Row, *, top: int = 3) -> list[tuple[str, float]]:
        """The features pushing this account's risk up most; ``drivers_many`` for one row."""
        return self.drivers_many([row], top=top)[0]

    def drivers_many(self, rows: Sequence[Row], *, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the features pushing its risk up most, as ``("Contract = Month-to-month", 0.8)``,
        largest first; only features that raise the risk, so a safe account may have none.

        Logistic regression: coefficient × (standardised value − training mean), summed over a
        feature's one-hot columns and averaged over the calibration folds' models, in log-odds.
        Gradient boosting: P(churn) minus the mean P(churn) with that one feature set in turn to
        typical training values (its deciles for a number, its common values by their shares for a
        category), everything else held; in probability points. Not simply the median or mode: the
        commonest category could never show as a driver (in the telco data the commonest contract,
        month-to-month, is also the riskiest), and a median that sits on one side of a threshold
        makes small wiggles of the trees on that side look like drivers.

        Each row's figures do not depend on the other rows: batching only saves the per-call cost
        of the pipelines (the same arithmetic in the same order, so the same floats as one by one).
        """
        if not rows:
            return []
        matrix = self._columns.matrix(rows)
        if self.kind == LOGISTIC:
            contributions = self._linear_contributions(matrix)
        else:
            contributions = self._perturbation_contributions(matrix)
        return [self._raising(row, values, top) for row, values in zip(rows, contributions, strict=True)]

    def _raising(self, row: Row, contributions: np.ndarray, top: int) -> list[tuple[str, float]]:
        positive = ((name, float(value)) for name, value in zip(self._columns.names, contributions, strict=True))
        raising = sorted((item for item in positive if item[1] > 0), key=lambda item: -item[1])
        return [(self._columns.readable(name, row.get(name)), value) for name, value in raising[:top]]

    def _linear_contributions(self, matrix: np.ndarray) -> np.ndarray:
        """One row per account, one column per feature (``features`` order), in log-odds."""
        position = {name: index for index, name in enumerate(self._columns.names)}
        totals = np.zeros((len(matrix), len(position)))
        members = self.calibrated.calibrated_classifiers_
        for member, reference, owners in zip(members, self._references, self._owners, strict=True):
            pipeline = member.estimator
            design = np.asarray(pipeline.named_steps["columns"].transform(matrix))
            parts = pipeline.named_steps["model"].coef_[0] * (design - reference)
            for column, name in enumerate(owners):
                totals[:, position[name]] += parts[:, column] / len(members)
        return totals

    def _perturbation_contributions(self, matrix: np.ndarray) -> np.ndarray:
        """One row per account, one column per feature (``features`` order), in probability points."""
        columns = self._columns
        settings = [
            (index, columns.cell(name, value), share)
            for index, name in enumerate(columns.names)
            for value, share in columns.typical[name]
        ]
        step = max(1, PERTURBED_ROWS_PER_CALL // (len(settings) + 1))
        blocks = [self._perturbed(matrix[start : start + step], settings) for start in range(0, len(matrix), step)]
        return np.vstack(blocks)

    def _perturbed(self, matrix: np.ndarray, settings: Sequence[tuple[int, object, float]]) -> np.ndarray:
        count = len(matrix)
        # Block 0 holds the accounts as they are, block s + 1 the accounts with setting s applied.
        stacked = np.tile(matrix, (len(settings) + 1, 1))
        for block, (index, value, _) in enumerate(settings, start=1):
            stacked[block * count : (block + 1) * count, index] = value
        with threadpool_limits(limits=1):
            probabilities = self.calibrated.predict_proba(stacked)[:, 1].reshape(len(settings) + 1, count)
        typical = np.zeros((count, len(self._columns.names)))
        for (index, _, share), probability in zip(settings, probabilities[1:], strict=True):
            typical[:, index] += share * probability
        return probabilities[0][:, np.newaxis] - typical


def train_churn_model(
    data: ChurnDataset,
    *,
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    candidates: Sequence[str] = CANDIDATES,
) -> tuple[ChurnModel, ChurnReport]:
    """Choose, measure and fit a churn model (see the module docstring for how).

    ``progress(done, total)`` is called after each evaluation fold and after the final fit.
    ``candidates`` restricts the choice (``LOGISTIC``, ``BOOSTING``); on a tie the first wins.
    Raises ``NotEnoughData`` when there are too few rows or too few of either outcome.
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    if not candidates or set(candidates) - set(CANDIDATES):
        raise ValueError(f"candidates must be among {CANDIDATES}, got {candidates}")
    y = _labels(data)
    smaller = int(min(y.sum(), len(y) - y.sum()))
    if folds > smaller:
        raise NotEnoughData(
            f"{folds} folds need at least {folds} accounts of either outcome; the smaller has {smaller}."
        )
    columns = _columns_from(data.rows)
    x = columns.matrix(data.rows)
    with threadpool_limits(limits=1):
        out_of_fold, cv_auc = _nested_evaluation(x, y, columns, candidates, folds, seed, progress)
        chosen = max(candidates, key=cv_auc.__getitem__)
        final = _calibrated(chosen, columns, seed).fit(x, y)
        model = ChurnModel(kind=chosen, columns=columns, calibrated=final, training=x)
    if progress is not None:
        progress(folds + 1, folds + 1)
    return model, ChurnReport(
        chosen=chosen,
        cv_auc=cv_auc,
        roc_auc=float(roc_auc_score(y, out_of_fold)),
        pr_auc=float(average_precision_score(y, out_of_fold)),
        brier=float(brier_score_loss(y, out_of_fold)),
        n=len(y),
        positives=int(y.sum()),
        folds=folds,
        features=list(columns.names),
    )


def _nested_evaluation(
    x: np.ndarray,
    y: np.ndarray,
    columns: _Columns,
    candidates: Sequence[str],
    folds: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, dict[str, float]]:
    out_of_fold = np.zeros(len(y))
    selection: dict[str, list[float]] = {kind: [] for kind in candidates}
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for done, (train, test) in enumerate(splitter.split(x, y), start=1):
        aucs = {kind: _selection_auc(kind, columns, x[train], y[train], seed) for kind in candidates}
        for kind, auc in aucs.items():
            selection[kind].append(auc)
        picked = max(candidates, key=aucs.__getitem__)
        calibrated = _calibrated(picked, columns, seed).fit(x[train], y[train])
        out_of_fold[test] = calibrated.predict_proba(x[test])[:, 1]
        if progress is not None:
            progress(done, folds + 1)
    return out_of_fold, {kind: float(np.mean(aucs)) for kind, aucs in selection.items()}


def _selection_auc(kind: str, columns: _Columns, x: np.ndarray, y: np.ndarray, seed: int) -> float:
    splitter = StratifiedKFold(SELECTION_FOLDS, shuffle=True, random_state=seed)
    scores = cross_val_score(_pipeline(kind, columns, seed), x, y, cv=splitter, scoring="roc_auc", n_jobs=1)
    return float(np.mean(scores))


def _calibrated(kind: str, columns: _Columns, seed: int) -> CalibratedClassifierCV:
    return CalibratedClassifierCV(
        _pipeline(kind, columns, seed),
        method=CALIBRATION,
        cv=StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed),
        ensemble=True,
        n_jobs=1,
    )


def _pipeline(kind: str, columns: _Columns, seed: int) -> Pipeline:
    count = len(columns.numbers)
    parts: list[tuple[str, object, list[int]]] = []
    if columns.numbers:
        numbers = make_pipeline(
            FunctionTransformer(_as_float),
            # Kept even when a training subset never saw the feature, so the columns stay aligned.
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
        )
        parts.append(("numbers", numbers, list(range(count))))
    if columns.categories:
        categories = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=MIN_CATEGORY_ROWS,
            max_categories=MAX_CATEGORIES,
            sparse_output=False,
        )
        parts.append(("categories", categories, list(range(count, len(columns.names)))))
    return Pipeline([("columns", ColumnTransformer(parts)), ("model", _classifier(kind, seed))])


def _classifier(kind: str, seed: int) -> LogisticRegression | HistGradientBoostingClassifier:
    if kind == LOGISTIC:
        return LogisticRegression(C=1.0, max_iter=2000)
    # Shallow trees, a slow learning rate and large leaves: CRM tables are small and noisy.
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=150,
        max_depth=3,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )


def _column_owners(pipeline: Pipeline, columns: _Columns) -> list[str]:
    """The feature behind each column of a fitted pipeline's design matrix."""
    owners = list(columns.numbers)
    transformer = pipeline.named_steps["columns"]
    if columns.categories:
        # The encoder sees only the category columns and names its outputs "x<j>_<value>".
        for name in transformer.named_transformers_["categories"].get_feature_names_out():
            owners.append(columns.categories[int(name[1 : name.index("_")])])
    return owners


def _labels(data: ChurnDataset) -> np.ndarray:
    if len(data.rows) != len(data.labels):
        raise ValueError(f"{len(data.rows)} rows but {len(data.labels)} labels")
    y = np.asarray([int(label) for label in data.labels], dtype=int)
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValueError("labels must be 1 (churned) or 0 (retained)")
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if len(y) < MIN_ROWS or min(positives, negatives) < MIN_PER_CLASS:
        raise NotEnoughData(
            f"A churn model needs at least {MIN_ROWS} labelled accounts, with at least {MIN_PER_CLASS} churned "
            f"and {MIN_PER_CLASS} retained; found {len(y)} ({positives} churned, {negatives} retained)."
        )
    return y


def _columns_from(rows: Sequence[Row]) -> _Columns:
    numbers: list[str] = []
    categories: list[str] = []
    typical: dict[str, tuple[tuple[object, float], ...]] = {}
    for name in dict.fromkeys(key for row in rows for key in row):
        known = [row[name] for row in rows if row.get(name) is not None]
        if any(isinstance(value, str) for value in known):
            categories.append(name)
            typical[name] = _category_mix(known)
            continue
        values = [number for number in map(_number, known) if not math.isnan(number)]
        if values:  # a feature never known teaches nothing
            numbers.append(name)
            typical[name] = _number_mix(values)
    if not numbers and not categories:
        raise NotEnoughData("No feature has a value in any labelled account.")
    return _Columns(numbers=tuple(numbers), categories=tuple(categories), typical=typical)


def _number_mix(values: Sequence[float]) -> tuple[tuple[object, float], ...]:
    deciles = Counter(float(q) for q in np.quantile(values, DECILE_MIDPOINTS))
    return tuple((value, count / len(DECILE_MIDPOINTS)) for value, count in deciles.items())


def _category_mix(known: Sequence[object]) -> tuple[tuple[object, float], ...]:
    counts = Counter(_category(value) for value in known).most_common(MAX_CATEGORIES)
    common = [(value, count) for value, count in counts if count >= MIN_CATEGORY_ROWS] or counts[:1]
    total = sum(count for _, count in common)
    return tuple((value, count / total) for value, count in common)


def _number(value: object) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]  # Decimal, numpy and numeric strings alike
    except (TypeError, ValueError):
        return math.nan


def _category(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    return str(value)


def _as_float(matrix: np.ndarray) -> np.ndarray:
    return np.asarray(matrix, dtype=float)
