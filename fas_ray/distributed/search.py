"""The model search on Ray Tune: OptunaSearch (TPE) over (learner, hyperparameters).

Each Tune trial cross-validates one configuration with :func:`fas_ray.ml.cross_val_score`; the
training matrix travels once through the object store (``tune.with_parameters``) and trial
actors are reused, which cuts Tune's per-trial overhead for cheap trials.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ray import tune
from ray.tune import RunConfig, TuneConfig, Tuner
from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback
from ray.tune.search.optuna import OptunaSearch

from fas_ray.distributed.runtime import cluster_cpus
from fas_ray.exceptions import PipelineError
from fas_ray.ml import TaskInfo, cross_val_score, suggest_config
from fas_ray.ml._space import split_config

__all__ = ["SearchResult", "TrialRecord", "run_search"]


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial."""

    trial_id: str
    learner: str
    params: dict[str, Any]
    score: float
    score_std: float
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "trial_id": self.trial_id,
            "learner": self.learner,
            "score": self.score,
            "score_std": self.score_std,
            "seconds": round(self.seconds, 3),
            "params": self.params,
        }


@dataclass
class SearchResult:
    """Finished trials, best first."""

    metric: str
    trials: list[TrialRecord]
    errors: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def best(self) -> TrialRecord:
        return self.trials[0]


def _trial(
    config: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
) -> None:
    learner, params = split_config(config)
    result = cross_val_score(learner, params, X, y, task, folds, seed, n_jobs=1)
    tune.report({"score": result.mean, "score_std": result.std, "cv_seconds": result.seconds})


def run_search(
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: list[tuple[np.ndarray, np.ndarray]],
    *,
    metric: str,
    learners: tuple[str, ...],
    seed: int,
    time_budget_s: float,
    max_trials: int | None,
    storage_path: Path,
) -> SearchResult:
    """Search for the configuration with the best mean CV ``metric`` (higher is better).

    Stops at ``max_trials`` trials or after ``time_budget_s`` seconds, whichever comes first.

    Raises:
        PipelineError: no trial finished.
    """
    start = time.perf_counter()
    searcher = OptunaSearch(
        space=functools.partial(suggest_config, learners=learners),
        metric="score",
        mode="max",
        seed=seed,
    )
    trainable = tune.with_resources(
        tune.with_parameters(_trial, X=X, y=y, task=task, folds=folds, seed=seed), {"cpu": 1}
    )
    tuner = Tuner(
        trainable,
        tune_config=TuneConfig(
            search_alg=searcher,
            num_samples=max_trials if max_trials is not None else -1,
            time_budget_s=time_budget_s,
            max_concurrent_trials=cluster_cpus(),
            reuse_actors=True,
        ),
        run_config=RunConfig(
            name="search",
            storage_path=str(Path(storage_path).resolve()),
            verbose=0,
            callbacks=[CSVLoggerCallback(), JsonLoggerCallback()],
        ),
    )
    grid = tuner.fit()
    trials: list[TrialRecord] = []
    errors: list[str] = []
    for i in range(len(grid)):
        result = grid[i]
        if result.error is not None:
            errors.append(str(result.error).splitlines()[0])
            continue
        metrics = result.metrics or {}
        if "score" not in metrics or not np.isfinite(metrics["score"]):
            continue
        learner, params = split_config(result.config or {})
        trials.append(
            TrialRecord(
                trial_id=str(metrics.get("trial_id", "")),
                learner=learner,
                params=params,
                score=float(metrics["score"]),
                score_std=float(metrics.get("score_std", 0.0)),
                seconds=float(metrics.get("cv_seconds", 0.0)),
            )
        )
    if not trials:
        detail = errors[0] if errors else "the time budget ended before any trial finished"
        raise PipelineError(
            f"No search trial finished ({detail}); give a larger --time-budget or check the data."
        )
    trials.sort(key=lambda t: (-t.score, t.trial_id))
    return SearchResult(metric, trials, errors, time.perf_counter() - start)
