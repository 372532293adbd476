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

from fas_ray.features._folds import FoldFill
from fas_ray.ml._cv import FoldRun, run_folds
from fas_ray.ml._space import split_config
from fas_ray.ml._task import TaskInfo
from fas_ray.search._coordinator import ConfigResult, Ticket

__all__ = ["Folds", "evaluate_config"]

Folds = list[tuple[np.ndarray, np.ndarray]]
Report = Callable[[int, int, float], bool]


def evaluate_config(
    ticket: Ticket,
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: Folds,
    seed: int,
    *,
    metric: str | None = None,
    n_jobs: int = 1,
    report: Report | None = None,
    deadline: float | None = None,
    worker: str = "",
    learner_options: dict[str, Any] | None = None,
    options_by_learner: dict[str, dict[str, Any]] | None = None,
    fold_fill: FoldFill | None = None,
) -> tuple[ConfigResult, np.ndarray | None]:
    """CV of ``ticket.config`` by :func:`~fas_ray.ml._cv.run_folds`; never raises for a
    failing estimator (state ``failed``).

    Args:
        metric: the metric (default: the task's primary one); the score is negated for a loss.
        report: called after each fold with (number, folds done, running mean); True prunes.
        deadline: ``time.time()`` after which no new fold starts (the result is then
            ``pruned``, with the folds done so far).
        learner_options: extra keyword arguments for ``make_estimator`` (e.g. ``device``).
        options_by_learner: more keyword arguments per learner name (e.g. the linear
            learner's ``categorical`` columns, from ``fas_ray.features.estimator_options``).
        fold_fill: fills missing values from each fold's training rows (``X`` built with
            ``fill=False``; see :class:`~fas_ray.features.FoldFill`).

    A boosting learner stops early on each validation fold; the result's ``params`` then hold
    the rounds to refit with on all rows (``n_estimators``).
    """
    start = time.perf_counter()
    learner, params = split_config(ticket.config)
    result = ConfigResult(ticket.number, learner, params, "complete", worker=worker)
    options = {**(options_by_learner or {}).get(learner, {}), **(learner_options or {})}

    def on_fold(folds_done: int, running_mean: float) -> bool:
        return report is not None and report(ticket.number, folds_done, running_mean)

    run: FoldRun | None = None
    try:
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
            report=on_fold,
            deadline=deadline,
            fold_fill=fold_fill,
        )
        result.fold_scores = run.fold_scores
        if run.stopped:
            result.state = "pruned"
        n_train = float(np.mean([len(train) for train, _ in folds]))
        result.params = run.refit_params(params, len(y), n_train)
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
    oof = run.oof if run is not None and result.state == "complete" else None
    return result, oof
