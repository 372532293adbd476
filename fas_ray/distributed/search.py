"""The model search on Ray Tune: long-lived Tune trials share one Optuna study.

Tune places one trial per worker slot (a CPU, or a few CPUs for larger data; one slot per GPU
when the cluster has GPUs, where XGBoost runs with ``device="cuda"``), on any node. Each trial
is a worker that asks a :class:`~fas_ray.search.SearchCoordinator` (a Ray actor holding the
study) for configurations, cross-validates them fold by fold (pruned by successive halving
over folds) and tells the results back. A cheap configuration so costs two actor calls instead
of a Tune trial's start-up, so the search keeps Optuna's pace while Ray schedules the work.
The training matrix travels once through the object store (``tune.with_parameters``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import ray
from ray import tune
from ray.tune import Callback, RunConfig, TuneConfig, Tuner
from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

from fas_ray.features import FoldFill
from fas_ray.ml import TaskInfo
from fas_ray.ml._metrics import objective_name
from fas_ray.search import (
    ConfigResult,
    SearchCoordinator,
    SearchResult,
    Ticket,
    TrialRecord,
    evaluate_config,
    search_result,
)

__all__ = ["SearchResult", "TrialRecord", "plan_workers", "run_search"]

_WAIT_S = 0.005
_STOP_GRACE_S = 5.0
_REPORT_EVERY_S = 1.0
_HEAD = "node:__internal_head__"  # the resource only the head node has
_CELLS_PER_EXTRA_CPU = 2_000_000


def plan_workers(n_cells: int, cpus: int, gpus: int) -> list[dict[str, float]]:
    """Resources of each worker: 1 CPU each for small data; 2 CPUs (and 2 threads) each when the
    matrix has more than ``_CELLS_PER_EXTRA_CPU`` cells; one of them gets a GPU per GPU."""
    per = 1 if n_cells <= _CELLS_PER_EXTRA_CPU or cpus < 2 else 2
    n = max(1, cpus // per)
    workers: list[dict[str, float]] = [{"CPU": float(per)} for _ in range(n)]
    for i in range(min(gpus, n)):
        workers[i]["GPU"] = 1.0
    return workers


def _worker(
    config: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    coordinator: Any,
    rungs: list[int],
    deadline: float | None,
    prefetch: bool,
    options_by_learner: dict[str, dict[str, Any]],
    metric: str | None = None,
    fold_fill: FoldFill | None = None,
) -> None:
    slot = config["slot"]
    # the node in the name: every configuration's record says where it ran
    name = f"w{slot['worker']}@{ray.get_runtime_context().get_node_id()[:12]}"
    n_jobs = int(slot["cpus"])
    options = {"device": "cuda"} if slot["gpus"] else {}

    def report(number: int, folds_done: int, running_mean: float) -> bool:
        if folds_done not in rungs:
            return False
        return bool(ray.get(coordinator.report.remote(number, folds_done, running_mean)))

    done, best, last = 0, -np.inf, time.monotonic()
    index = int(slot["worker"])
    coordinator.hello.remote(index, name)
    pending = coordinator.ask.remote(index)
    while True:
        ticket = ray.get(pending)
        if ticket == "done":
            break
        if ticket == "wait":
            time.sleep(_WAIT_S)
            pending = coordinator.ask.remote(index)
            continue
        assert isinstance(ticket, Ticket)
        # anytime mode: ask for the next configuration now, so sampling it overlaps this CV
        # (deterministic mode must not: a batch's tickets belong to every worker)
        pending = coordinator.ask.remote(index) if prefetch else None
        outcome: list[tuple[ConfigResult, np.ndarray | None]] = []
        evaluation = threading.Thread(
            target=lambda t=ticket, out=outcome: out.append(
                evaluate_config(
                    t,
                    X,
                    y,
                    task,
                    folds,
                    seed,
                    metric=metric,
                    n_jobs=n_jobs,
                    report=report,
                    deadline=deadline,
                    worker=name,
                    learner_options=options if result_wants_gpu(t) else None,
                    options_by_learner=options_by_learner,
                    fold_fill=fold_fill,
                )
            ),
            daemon=True,
        )
        evaluation.start()
        # a fold cannot be interrupted: at the hard deadline the worker leaves it running
        # (Tune then ends this actor) instead of overrunning the budget
        evaluation.join(None if deadline is None else max(0.0, deadline - time.time()))
        if not outcome:
            break
        result, oof = outcome[0]
        coordinator.tell.remote(result, oof)  # ordered before this worker's next ask
        if pending is None:
            pending = coordinator.ask.remote(index)
        done += 1
        if result.state == "complete":
            best = max(best, result.score)
        if time.monotonic() - last >= _REPORT_EVERY_S:
            tune.report({"configs": done, "best_score": float(best)})
            last = time.monotonic()
    tune.report({"configs": done, "best_score": float(best)})


class _WriteOffLost(Callback):
    """A worker whose trial died (its node lost, its process killed) had configurations out:
    the coordinator records them as failed, so the search goes on with the workers left."""

    def __init__(self, coordinator: Any) -> None:
        self.coordinator = coordinator

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        reason = "its Tune trial ended with an error (node or process lost)"
        self.coordinator.write_off.remote(int(trial.config["slot"]["worker"]), reason)


def _slot_resources(config: dict[str, Any]) -> dict[str, float]:
    return {"cpu": config["slot"]["cpus"], "gpu": config["slot"]["gpus"]}


def result_wants_gpu(ticket: Ticket) -> bool:
    """Only XGBoost configurations run on a worker's GPU."""
    return str(ticket.config.get("learner")) == "xgboost"


def run_search(
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: list[tuple[np.ndarray, np.ndarray]],
    *,
    metric: str,
    learners: tuple[str, ...],
    seed: int,
    time_budget_s: float | None,
    max_trials: int | None,
    storage_path: Path,
    prune: bool = True,
    first_configs: list[dict[str, Any]] | None = None,
    keep_oof: int = 20,
    fixed: dict[str, Any] | None = None,
    options_by_learner: dict[str, dict[str, Any]] | None = None,
    progress_path: str | None = None,
    fold_fill: FoldFill | None = None,
) -> SearchResult:
    """Search for the configuration with the best mean CV ``metric`` (a loss is minimised:
    the result's scores are ``neg_<metric>``, higher is better).

    With ``max_trials`` the search is deterministic (see :class:`SearchCoordinator`); it stops
    at ``max_trials`` configurations or after ``time_budget_s`` seconds, whichever comes first.
    With ``fold_fill``, ``X`` holds missing values as NaN and each fold fills them from its
    training rows (:class:`~fas_ray.features.FoldFill`).

    Raises:
        PipelineError: no configuration completed.
    """
    start = time.perf_counter()
    resources = ray.cluster_resources()
    workers = plan_workers(X.size, int(resources.get("CPU", 1)), int(resources.get("GPU", 0)))
    deadline = time.time() + time_budget_s if time_budget_s else None
    # configurations still running at the deadline may finish their current folds for 5 % of
    # the budget more; the caller keeps the other 5 % of its +10 % for refitting
    hard_deadline = deadline + 0.05 * time_budget_s if deadline and time_budget_s else None
    # on the head node: a worker node lost mid-search must not take the study with it (the
    # head's loss ends the cluster anyway)
    coordinator_cls: Any = ray.remote(num_cpus=0, resources={_HEAD: 0.001})(SearchCoordinator)
    coordinator: Any = coordinator_cls.remote(
        list(learners),
        seed,
        max_trials=max_trials,
        deadline=deadline,
        batch_size=len(workers),
        n_folds=len(folds),
        prune=prune,
        keep_oof=keep_oof,
        first_configs=first_configs or [],
        task=task,
        fixed=fixed,
        progress_path=progress_path,
    )
    rungs = SearchCoordinator._rung_folds(len(folds), 3)
    slots = [
        {"worker": i, "cpus": int(w["CPU"]), "gpus": int(w.get("GPU", 0))}
        for i, w in enumerate(workers)
    ]
    trainable = tune.with_resources(
        tune.with_parameters(
            _worker,
            X=X,
            y=y,
            task=task,
            folds=folds,
            seed=seed,
            coordinator=coordinator,
            rungs=rungs,
            deadline=hard_deadline,
            prefetch=max_trials is None,
            options_by_learner=options_by_learner or {},
            metric=metric,
            fold_fill=fold_fill,
        ),
        resources=_slot_resources,  # type: ignore[arg-type]
    )
    tuner = Tuner(
        trainable,
        param_space={"slot": tune.grid_search(slots)},
        tune_config=TuneConfig(
            max_concurrent_trials=len(workers),
            time_budget_s=(  # a backstop: workers return at the hard deadline themselves
                hard_deadline - time.time() + _STOP_GRACE_S if hard_deadline else None
            ),
        ),
        run_config=RunConfig(
            name="search",
            storage_path=str(Path(storage_path).resolve()),
            verbose=0,
            callbacks=[CSVLoggerCallback(), JsonLoggerCallback(), _WriteOffLost(coordinator)],
        ),
    )
    grid = tuner.fit()
    errors = [str(e).splitlines()[0] for e in grid.errors]
    ray.get(coordinator.flush_progress.remote())
    results: list[ConfigResult] = ray.get(coordinator.results.remote())
    oof: dict[int, np.ndarray] = ray.get(coordinator.best_oof.remote())
    counts: dict[str, int] = ray.get(coordinator.summary.remote())
    ray.kill(coordinator)
    return search_result(
        objective_name(metric),
        results,
        oof,
        counts,
        wall_seconds=time.perf_counter() - start,
        errors=errors,
        workers=[dict(w) for w in workers],
        deterministic=max_trials is not None,
    )
