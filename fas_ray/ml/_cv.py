"""Cross-validation of one (learner, params) configuration: the body of every search trial."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit

from fas_ray.ml._metrics import score
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners import get_learner

__all__ = ["CVResult", "cross_val_score", "full_proba", "make_folds"]


@dataclass(frozen=True)
class CVResult:
    """The primary metric over the folds.

    ``oof`` (with ``return_oof=True``) holds the out-of-fold predictions in the rows' original
    order: class probabilities ``(n, k)`` for classification, values ``(n,)`` for regression.
    Rows in no validation fold stay 0.
    """

    mean: float
    std: float
    fold_scores: list[float]
    seconds: float
    oof: np.ndarray | None = field(default=None, repr=False, compare=False)


def full_proba(estimator: Any, proba: np.ndarray, n_classes: int) -> np.ndarray:
    """``proba`` with one column per class ``0..n_classes-1``, even when the estimator saw fewer
    classes in training (its ``classes_`` name the columns it has)."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape[1] == n_classes:
        return proba
    out = np.zeros((proba.shape[0], n_classes))
    out[:, np.asarray(estimator.classes_, dtype=np.int64)] = proba
    return out


def make_folds(
    task: TaskInfo,
    y: np.ndarray,
    n_folds: int,
    seed: int,
    order: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds for classification (fewer if a class is rarer than ``n_folds``), plain
    shuffled k-fold for regression.

    For a time-series task with ``order`` (one sortable value per row, e.g.
    :func:`~fas_ray.ml._split.time_order`): expanding-window folds as ``TimeSeriesSplit``
    makes them over the rows sorted by ``order``, so every validation fold comes after its
    training rows. The earliest rows are then in no validation fold, and rows with equal
    ``order`` values may fall on both sides of a fold boundary.

    Raises:
        ValueError: ``order`` has not one value per row, or a time-ordered split has under
            three rows.
    """
    if task.family == "time_series" and order is not None:
        return _time_ordered_folds(np.asarray(order), len(y), n_folds)
    if task.is_classification:
        smallest = int(np.bincount(y.astype(np.int64)).min())
        k = max(2, min(n_folds, smallest))
        if smallest >= 2:
            splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            return list(splitter.split(np.zeros(len(y)), y))
        return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(y))
    k = max(2, min(n_folds, len(y)))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(y))


def _time_ordered_folds(
    order: np.ndarray, n_rows: int, n_folds: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    if order.shape != (n_rows,):
        raise ValueError(f"'order' has shape {order.shape}; expected one value per row ({n_rows}).")
    if n_rows < 3:
        raise ValueError(f"Time-ordered folds need at least 3 rows; got {n_rows}.")
    by_time = np.argsort(order, kind="stable")
    splitter = TimeSeriesSplit(n_splits=max(2, min(n_folds, n_rows - 1)))
    return [
        (np.sort(by_time[train]), np.sort(by_time[valid]))
        for train, valid in splitter.split(by_time)
    ]


def cross_val_score(
    learner: str,
    params: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    n_jobs: int = 1,
    return_oof: bool = False,
) -> CVResult:
    """Mean and spread of the primary metric over ``folds``.

    Args:
        return_oof: keep the out-of-fold predictions in ``CVResult.oof`` (for ensembling
            and calibration).
    """
    start = time.perf_counter()
    impl = get_learner(learner)
    n_classes = len(task.classes) if task.is_classification else 0
    oof = np.zeros((len(y), n_classes) if n_classes else len(y)) if return_oof else None
    scores = []
    for train_idx, valid_idx in folds:
        est = impl.make_estimator(params, task, seed, n_jobs=n_jobs)
        est.fit(X[train_idx], y[train_idx])
        pred = est.predict(X[valid_idx])
        proba = None
        if n_classes:
            proba = full_proba(est, est.predict_proba(X[valid_idx]), n_classes)
        scores.append(score(task, y[valid_idx], pred, proba))
        if oof is not None:
            oof[valid_idx] = proba if proba is not None else pred
    arr = np.asarray(scores)
    elapsed = time.perf_counter() - start
    return CVResult(float(arr.mean()), float(arr.std()), scores, elapsed, oof)
