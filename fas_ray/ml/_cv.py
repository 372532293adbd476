"""Cross-validation of one (learner, params) configuration: the body of every search trial."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit

from fas_ray.features._folds import FoldFill
from fas_ray.ml._metrics import score
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners import get_learner

__all__ = ["CVResult", "FoldRun", "cross_val_score", "full_proba", "make_folds", "run_folds"]


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


Report = Callable[[int, float], bool]


@dataclass
class FoldRun:
    """What :func:`run_folds` did: per-fold scores, out-of-fold predictions, and why it
    stopped early (``"pruned"``: ``report`` said so; ``"deadline"``: out of time; ``""``: all
    folds ran). ``iterations`` holds each fold's early-stopped boosting rounds (empty for
    learners without early stopping)."""

    fold_scores: list[float] = field(default_factory=list)
    oof: np.ndarray | None = field(default=None, repr=False)
    stopped: str = ""
    iterations: list[int] = field(default_factory=list)

    def refit_params(self, params: dict[str, Any], n_rows: int, n_train: float) -> dict[str, Any]:
        """``params`` for a refit on ``n_rows`` rows: with early stopping, ``n_estimators`` is
        the folds' mean best round count scaled by the larger data (``n_rows / n_train``)."""
        if not self.iterations:
            return dict(params)
        rounds = float(np.mean(self.iterations)) * max(1.0, n_rows / max(n_train, 1.0))
        return {**params, "n_estimators": max(1, int(round(rounds)))}


def _never(folds_done: int, running_mean: float) -> bool:
    return False


def run_folds(
    learner: str,
    params: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    *,
    metric: str | None = None,
    n_jobs: int = 1,
    options: dict[str, Any] | None = None,
    report: Report = _never,
    deadline: float | None = None,
    early_stopping: bool = True,
    fold_fill: FoldFill | None = None,
) -> FoldRun:
    """The one cross-validation loop: the search's trials, :func:`cross_val_score` and the
    benchmarks all run it.

    Each fold fits a fresh estimator on the training rows and scores the validation rows by
    :func:`~fas_ray.ml._metrics.score` (``metric``, negated for a loss). Class probabilities
    always get one column per class (:func:`full_proba`), even when a fold's training rows
    lack a class. Boosting learners that offer ``fit_early_stopping`` stop on the validation
    fold (their ``n_estimators`` is the cap) and record the rounds they kept.

    Args:
        report: called after each fold but the last with (folds done, running mean); True
            stops here (``stopped="pruned"``).
        deadline: ``time.time()`` after which no new fold starts (``stopped="deadline"``).
        options: extra keyword arguments for the learner's ``make_estimator``.
        fold_fill: fills ``X``'s missing values and forgets categories from each fold's
            training rows (``X`` from ``FeatureBuilder.transform(..., fill=False)``); None:
            ``X`` is used as it is.

    Raises:
        Whatever the estimator raises: callers decide whether a failing configuration is an
        error (``cross_val_score``) or a result (the search).
    """
    impl = get_learner(learner)
    n_classes = len(task.classes) if task.is_classification else 0
    oof = np.zeros((len(y), n_classes) if n_classes else len(y), dtype=np.float64)
    run = FoldRun(oof=oof)
    fit_early = getattr(impl, "fit_early_stopping", None) if early_stopping else None
    for i, (train_idx, valid_idx) in enumerate(folds):
        if deadline is not None and time.time() >= deadline:
            run.stopped = "deadline"
            break
        est = impl.make_estimator(params, task, seed, n_jobs=n_jobs, **(options or {}))
        if fold_fill is not None:
            X_train, X_valid = fold_fill.apply(X, train_idx, valid_idx)
        else:
            X_train, X_valid = X[train_idx], X[valid_idx]
        if fit_early is not None:
            rounds = fit_early(est, X_train, y[train_idx], X_valid, y[valid_idx])
            run.iterations.append(int(rounds))
        else:
            est.fit(X_train, y[train_idx])
        proba = None
        if n_classes:
            proba = full_proba(est, est.predict_proba(X_valid), n_classes)
            pred = None
        else:
            pred = np.asarray(est.predict(X_valid), dtype=np.float64)
        run.fold_scores.append(score(task, y[valid_idx], pred, proba, metric))
        oof[valid_idx] = proba if proba is not None else pred
        if i + 1 < len(folds) and report(i + 1, float(np.mean(run.fold_scores))):
            run.stopped = "pruned"
            break
    return run


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
    metric: str | None = None,
    options: dict[str, Any] | None = None,
    fold_fill: FoldFill | None = None,
) -> CVResult:
    """Mean and spread of the search objective over ``folds`` (:func:`run_folds`).

    Args:
        return_oof: keep the out-of-fold predictions in ``CVResult.oof`` (for ensembling
            and calibration).
        metric: the metric (default: the task's primary one); losses are negated.
        fold_fill: per-fold fill values (see :func:`run_folds`).
    """
    start = time.perf_counter()
    run = run_folds(
        learner,
        params,
        X,
        y,
        task,
        folds,
        seed,
        metric=metric,
        n_jobs=n_jobs,
        options=options,
        fold_fill=fold_fill,
    )
    arr = np.asarray(run.fold_scores)
    elapsed = time.perf_counter() - start
    oof = run.oof if return_oof else None
    return CVResult(float(arr.mean()), float(arr.std()), run.fold_scores, elapsed, oof)
