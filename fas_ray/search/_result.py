"""The outcome of a search: completed configurations best first, and what the rest did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fas_ray.exceptions import PipelineError
from fas_ray.search._coordinator import ConfigResult

__all__ = ["SearchResult", "TrialRecord", "search_result"]


@dataclass(frozen=True)
class TrialRecord:
    """One configuration that completed its CV."""

    trial_id: str
    learner: str
    params: dict[str, Any]
    score: float
    score_std: float
    seconds: float
    number: int = -1
    worker: str = ""

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
    """Completed configurations best first, plus what the rest did."""

    metric: str
    trials: list[TrialRecord]
    errors: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    oof: dict[int, np.ndarray] = field(default_factory=dict)
    workers: list[dict[str, Any]] = field(default_factory=list)
    deterministic: bool = False
    # node -> configurations its workers evaluated (complete, pruned or failed); workers are
    # named ``w<i>@<node id>`` on Ray, plain ``w<i>`` / ``local`` in this process
    by_node: dict[str, int] = field(default_factory=dict)

    @property
    def best(self) -> TrialRecord:
        return self.trials[0]

    @property
    def configs_per_minute(self) -> float:
        done = self.counts.get("complete", 0) + self.counts.get("pruned", 0)
        return 60.0 * done / self.wall_seconds if self.wall_seconds > 0 else 0.0


def search_result(
    metric: str,
    results: list[ConfigResult],
    oof: dict[int, np.ndarray],
    counts: dict[str, int],
    *,
    wall_seconds: float,
    errors: list[str] | None = None,
    workers: list[dict[str, Any]] | None = None,
    deterministic: bool = False,
) -> SearchResult:
    """Collect a coordinator's results into a :class:`SearchResult`.

    Raises:
        PipelineError: no configuration completed.
    """
    errors = list(errors or [])
    errors += [f"{r.learner}: {r.error}" for r in results if r.state == "failed"]
    trials = [
        TrialRecord(
            trial_id=f"c{r.number:04d}",
            learner=r.learner,
            params=r.params,
            score=r.score,
            score_std=r.score_std,
            seconds=r.seconds,
            number=r.number,
            worker=r.worker,
        )
        for r in results
        if r.state == "complete"
    ]
    if not trials:
        detail = errors[0] if errors else "the time budget ended before any configuration finished"
        raise PipelineError(
            f"No search trial finished ({detail}); give a larger --time-budget or check the data."
        )
    trials.sort(key=lambda t: (-t.score, t.number))
    by_node: dict[str, int] = {}
    for r in results:
        node = r.worker.partition("@")[2] or "this process"
        by_node[node] = by_node.get(node, 0) + 1
    return SearchResult(
        metric,
        trials,
        errors,
        wall_seconds,
        counts=counts,
        oof=oof,
        workers=list(workers or []),
        deterministic=deterministic,
        by_node=by_node,
    )
