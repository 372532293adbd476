"""The search loop in this process: one worker asking the coordinator until it says done.

Ray Tune runs the same loop in each of its trials (``fas_ray.distributed.search``); this one
serves tests, benchmarks and runs that have no Ray.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from fas_ray.features._folds import FoldFill
from fas_ray.ml._task import TaskInfo
from fas_ray.search._coordinator import SearchCoordinator, Ticket
from fas_ray.search._evaluate import Folds, evaluate_config

__all__ = ["search_in_process"]


def search_in_process(
    coordinator: SearchCoordinator,
    X: np.ndarray,
    y: np.ndarray,
    task: TaskInfo,
    folds: Folds,
    seed: int,
    n_jobs: int = 1,
    options_by_learner: dict[str, dict[str, Any]] | None = None,
    metric: str | None = None,
    fold_fill: FoldFill | None = None,
) -> SearchCoordinator:
    """Evaluate configurations until the coordinator's budget or deadline ends; returns it."""
    while True:
        ticket = coordinator.ask()
        if ticket == "done":
            return coordinator
        if ticket == "wait":  # one worker never waits on itself, but be safe
            time.sleep(0.001)
            continue
        assert isinstance(ticket, Ticket)
        result, oof = evaluate_config(
            ticket,
            X,
            y,
            task,
            folds,
            seed,
            metric=metric,
            n_jobs=n_jobs,
            report=coordinator.report,
            deadline=coordinator.deadline,
            worker="local",
            options_by_learner=options_by_learner,
            fold_fill=fold_fill,
        )
        coordinator.tell(result, oof)
