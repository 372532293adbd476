"""Cross-validate one configuration fold by fold: the unit of work of every search worker.

After each fold the running mean goes to a ``report`` callback, which may prune the
configuration (successive halving, see :mod:`fas_ray.search._coordinator`); past the
``deadline`` the configuration stops after its current fold. Completed configurations return
their out-of-fold predictions (class probabilities, or values) for ensembling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from fas_ray.ml._metrics import score
from fas_ray.ml._space import split_config
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners import get_learner
from fas_ray.search._coordinator import ConfigResult, Ticket

__all__ = ["Folds", "evaluate_config"]

Folds = list[tuple[np.ndarray, np.ndarray]]
Report = Callable[[int, int, float], bool]


def _never(number: int, folds_done: int, running_mean: float) -> bool:
    return False


def evaluate_config(
    ticket: Ticket,
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: Folds,
    seed: int,
    *,
    n_jobs: int = 1,
    report: Report = _never,
    deadline: float | None = None,
    worker: str = "",
    learner_options: dict[str, Any] | None = None,
    options_by_learner: dict[str, dict[str, Any]] | None = None,
) -> tuple[ConfigResult, np.ndarray | None]:
    """CV of ``ticket.config``; never raises for a failing estimator (state ``failed``).

    Args:
        report: called after each fold with (number, folds done, running mean); True prunes.
        deadline: ``time.time()`` after which no new fold starts (the result is then
            ``pruned``, with the folds done so far).
        learner_options: extra keyword arguments for ``make_estimator`` (e.g. ``device``).
        options_by_learner: more keyword arguments per learner name (e.g. the linear
            learner's ``categorical`` columns, from ``fas_ray.features.estimator_options``).
    """
    start = time.perf_counter()
    learner, params = split_config(ticket.config)
    result = ConfigResult(ticket.number, learner, params, "complete", worker=worker)
    impl = get_learner(learner)
    options = {**(options_by_learner or {}).get(learner, {}), **(learner_options or {})}
    n_classes = len(task.classes) if task.is_classification else 0
    oof = np.zeros((len(y), n_classes) if n_classes else len(y), dtype=np.float64)
    try:
        for i, (train_idx, valid_idx) in enumerate(folds):
            if deadline is not None and time.time() >= deadline:
                result.state = "pruned"
                break
            est = impl.make_estimator(params, task, seed, n_jobs=n_jobs, **options)
            est.fit(X[train_idx], y[train_idx])
            pred = est.predict(X[valid_idx])
            proba = est.predict_proba(X[valid_idx]) if n_classes else None
            result.fold_scores.append(score(task, y[valid_idx], pred, proba))
            oof[valid_idx] = proba if proba is not None else pred
            if i + 1 < len(folds) and report(
                ticket.number, i + 1, float(np.mean(result.fold_scores))
            ):
                result.state = "pruned"
                break
    except Exception as exc:  # a configuration the estimator rejects: record, go on
        result.state = "failed"
        result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    result.seconds = time.perf_counter() - start
    if result.fold_scores:
        scores = np.asarray(result.fold_scores)
        result.score, result.score_std = float(scores.mean()), float(scores.std())
    if result.state == "complete" and not np.isfinite(result.score):
        result.state = "failed"
        result.error = "non-finite CV score"
    return result, (oof if result.state == "complete" else None)
