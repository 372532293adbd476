"""Cross-validation of one (learner, params) configuration: the body of every search trial."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from fas_ray.ml._metrics import score
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners import get_learner

__all__ = ["CVResult", "cross_val_score", "make_folds"]


@dataclass(frozen=True)
class CVResult:
    mean: float
    std: float
    fold_scores: list[float]
    seconds: float


def make_folds(
    task: TaskInfo, y: np.ndarray, n_folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds for classification (fewer if a class is rarer than ``n_folds``), plain
    shuffled k-fold for regression."""
    if task.is_classification:
        smallest = int(np.bincount(y.astype(np.int64)).min())
        k = max(2, min(n_folds, smallest))
        if smallest >= 2:
            splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            return list(splitter.split(np.zeros(len(y)), y))
        return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(y))
    k = max(2, min(n_folds, len(y)))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(y))


def cross_val_score(
    learner: str,
    params: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    n_jobs: int = 1,
) -> CVResult:
    """Mean and spread of the primary metric over ``folds``."""
    start = time.perf_counter()
    impl = get_learner(learner)
    scores = []
    for train_idx, valid_idx in folds:
        est = impl.make_estimator(params, task, seed, n_jobs=n_jobs)
        est.fit(X[train_idx], y[train_idx])
        pred = est.predict(X[valid_idx])
        proba = est.predict_proba(X[valid_idx]) if task.is_classification else None
        scores.append(score(task, y[valid_idx], pred, proba))
    arr = np.asarray(scores)
    return CVResult(float(arr.mean()), float(arr.std()), scores, time.perf_counter() - start)
