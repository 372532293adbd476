"""One Optuna study shared by every search worker: configurations out, scores in.

Workers (Ray Tune trials, or a plain loop in this process) call :meth:`SearchCoordinator.ask`
for a configuration, report each CV fold's running score through :meth:`report` (which may
prune it), and hand the result back with :meth:`tell`. One worker evaluates many
configurations, so a cheap configuration costs two calls to this object instead of a whole Tune
trial.

Two modes:

- **deterministic** (a trial budget): configurations are handed out in batches of
  ``batch_size``; the next batch is sampled only when the whole batch was told, and results are
  given to the sampler in configuration order. Pruning compares only with configurations of
  earlier batches. So the same data, seed and budget give the same configurations and scores,
  whatever order the workers finish in.
- **anytime** (a time budget only): every worker asks as soon as it is free (TPE with the
  constant liar, so busy configurations are not sampled twice).

Pruning is asynchronous successive halving over CV folds: at the rung folds (1, 3, 9, ... with
``eta`` 3) a configuration continues only when its running mean is in the best ``1/eta`` of the
running means other configurations had at that fold, or in the best ``1/eta`` of those of its
own learner. The second rule keeps every model family's best configurations for the ensemble:
where one cheap learner leads (a linear model on a linear table), the trees' configurations
would otherwise all be pruned at the first fold, and the ensemble could only average linear
models.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import optuna

from fas_ray.ml._space import split_config, suggest_config
from fas_ray.ml._task import TaskInfo

__all__ = ["HISTORY_LIMIT", "ConfigResult", "SearchCoordinator", "Ticket"]

State = Literal["complete", "pruned", "failed"]
HISTORY_LIMIT = 5000  # configurations kept in the progress file's history


@dataclass(frozen=True)
class Ticket:
    """A configuration handed to a worker."""

    number: int
    config: dict[str, Any]


@dataclass
class ConfigResult:
    """What a worker found for one configuration."""

    number: int
    learner: str
    params: dict[str, Any]
    state: State
    score: float = math.nan
    score_std: float = math.nan
    fold_scores: list[float] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "learner": self.learner,
            "state": self.state,
            "score": self.score,
            "score_std": self.score_std,
            "folds": len(self.fold_scores),
            "seconds": round(self.seconds, 4),
            "worker": self.worker,
            "params": self.params,
            **({"error": self.error} if self.error else {}),
        }


class SearchCoordinator:
    """Holds the study, the finished results and the best out-of-fold predictions.

    Args:
        learners: learner names the sampler chooses from.
        seed: sampler seed.
        max_trials: stop handing out configurations after this many (deterministic mode).
        deadline: ``time.time()`` after which nothing new is handed out (``None``: no limit).
        batch_size: configurations per batch in deterministic mode (the number of workers).
        n_folds: folds per configuration (for the pruning rungs).
        prune: whether to prune by successive halving over folds.
        eta: successive-halving reduction factor.
        min_rung_size: configurations needed at a rung before it prunes anything (all of
            them, or of one learner for the learner's own reference).
        per_learner: also keep a configuration that is in the best ``1/eta`` of its learner's
            configurations at the rung (False: only the global reference counts).
        keep_oof: how many of the best configurations keep their out-of-fold predictions.
        keep_oof_per_learner: also keep the best this many of each learner, so the ensemble
            has different model families to combine even when one learner fills the top.
        first_configs: configurations to evaluate first (e.g. library defaults), in order.
        task: the task, so that learners' spaces fit it (an imbalanced classification adds the
            ``balanced`` class-weight switch).
        fixed: ``"<learner>.<param>"`` values set instead of sampled.
        progress_path: a JSON file rewritten (atomically, at most once a second) with the
            counts and the best score so far, for whoever watches the run.
    """

    def __init__(
        self,
        learners: Sequence[str],
        seed: int,
        *,
        max_trials: int | None = None,
        deadline: float | None = None,
        batch_size: int = 1,
        n_folds: int = 5,
        prune: bool = True,
        eta: int = 3,
        min_rung_size: int = 6,
        per_learner: bool = True,
        keep_oof: int = 20,
        keep_oof_per_learner: int = 3,
        first_configs: Sequence[dict[str, Any]] = (),
        task: TaskInfo | None = None,
        fixed: dict[str, Any] | None = None,
        progress_path: str | None = None,
    ) -> None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.learners = list(learners)
        self.task = task
        self.fixed = dict(fixed or {})
        self.deterministic = max_trials is not None
        self.max_trials = max_trials
        self.deadline = deadline
        self.batch_size = max(1, int(batch_size))
        self.prune = prune
        self.eta = max(2, int(eta))
        self.min_rung_size = max(1, int(min_rung_size))
        self.per_learner = per_learner
        self.keep_oof = max(0, int(keep_oof))
        self.keep_oof_per_learner = max(0, int(keep_oof_per_learner)) if self.keep_oof else 0
        self.rungs = self._rung_folds(n_folds, self.eta)
        with warnings.catch_warnings():  # multivariate/group are "experimental" in Optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(
                seed=seed,
                multivariate=True,
                group=True,
                constant_liar=not self.deterministic,
                n_startup_trials=max(8, 2 * self.batch_size),
            )
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        for config in first_configs:
            self.study.enqueue_trial(config, skip_if_exists=True)
        self._trials: dict[int, optuna.trial.Trial] = {}
        self._configs: dict[int, dict[str, Any]] = {}
        # rung fold -> (configuration number, running mean, learner)
        self._rung_values: dict[int, list[tuple[int, float, str]]] = {f: [] for f in self.rungs}
        self._handed = 0
        self._batch_start = 0
        self._pending_tells: dict[int, ConfigResult] = {}
        self._results: dict[int, ConfigResult] = {}
        self._oof: dict[int, np.ndarray] = {}
        self.stopped = False
        self.progress_path = progress_path
        self._progress_at = 0.0
        self._history: list[list[Any]] = []
        self._best: ConfigResult | None = None
        self._out: dict[int, int] = {}  # configuration number -> the worker holding it
        self._names: dict[int, str] = {}
        self.lost: list[dict[str, Any]] = []  # configurations written off with their worker

    # ------------------------------------------------------------------ handing out
    @staticmethod
    def _rung_folds(n_folds: int, eta: int) -> list[int]:
        """Fold counts after which pruning is checked: 1, eta, eta², ... below ``n_folds``."""
        rungs, r = [], 1
        while r < n_folds:
            rungs.append(r)
            r *= eta
        return rungs

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    def _budget_left(self) -> bool:
        return self.max_trials is None or self._handed < self.max_trials

    def ask(self, worker: int | None = None) -> Ticket | Literal["wait", "done"]:
        """The next configuration, ``"wait"`` (deterministic mode, the batch is not finished)
        or ``"done"`` (budget or time used up, or :meth:`stop` was called). ``worker`` names
        the asker, so that what it holds can be written off if it dies (:meth:`write_off`)."""
        if self.stopped or self._out_of_time() or not self._budget_left():
            return "done"
        if self.deterministic and self._handed >= self._batch_start + self.batch_size:
            if self._told_in_batch() < self._handed - self._batch_start:
                return "wait"
            self._flush_batch()
            return self.ask(worker)
        trial = self.study.ask()
        config = suggest_config(trial, self.learners, self.task, self.fixed)
        self._trials[trial.number] = trial
        self._configs[trial.number] = config
        self._handed += 1
        if worker is not None:
            self._out[trial.number] = worker
        return Ticket(trial.number, config)

    def _told_in_batch(self) -> int:
        return sum(1 for n in self._results if n >= self._batch_start)

    def _flush_batch(self) -> None:
        """Give the finished batch to the sampler in configuration order."""
        for number in sorted(self._pending_tells):
            self._tell_optuna(self._pending_tells[number])
        self._pending_tells.clear()
        self._batch_start = self._handed

    # ------------------------------------------------------------------ pruning
    def report(self, number: int, folds_done: int, running_mean: float) -> bool:
        """Record a configuration's running mean after ``folds_done`` folds; True = prune it."""
        if folds_done not in self._rung_values:
            return False
        values = self._rung_values[folds_done]
        learner = str(self._configs.get(number, {}).get("learner", ""))
        if self.deterministic:
            reference = [(v, lr) for n, v, lr in values if n < self._batch_start]
        else:
            reference = [(v, lr) for _, v, lr in values]
        values.append((number, float(running_mean), learner))
        if not self.prune:
            return False
        if self._kept_by([v for v, _ in reference], running_mean):
            return False
        own = [v for v, lr in reference if lr == learner] if learner and self.per_learner else []
        return len(own) < self.min_rung_size or not self._kept_by(own, running_mean)

    def _kept_by(self, reference: list[float], running_mean: float) -> bool:
        """Whether ``running_mean`` survives against ``reference``: too few values to compare
        with (below ``min_rung_size``), or in their best ``1/eta``."""
        if len(reference) < self.min_rung_size:
            return True
        keep = max(1, len(reference) // self.eta)
        threshold = sorted(reference, reverse=True)[keep - 1]
        return running_mean >= threshold

    # ------------------------------------------------------------------ results
    def write_off(self, worker: int, reason: str) -> int:
        """Record the configurations ``worker`` held as failed (it died, e.g. with its node),
        so that a deterministic batch does not wait for them; returns how many."""
        numbers = sorted(n for n, w in self._out.items() if w == worker)
        name = self._names.get(worker, f"w{worker}")
        for number in numbers:
            learner, params = split_config(self._configs[number])
            error = f"lost with worker {name}: {reason}"
            self.tell(ConfigResult(number, learner, params, "failed", worker=name, error=error))
            self.lost.append({"number": number, "worker": name, "reason": reason})
        return len(numbers)

    def hello(self, worker: int, name: str) -> None:
        """A worker's name (``w<i>@<node>``), for the records of what it held if it dies."""
        self._names[worker] = name

    def tell(self, result: ConfigResult, oof: np.ndarray | None = None) -> None:
        """Store a configuration's result (and its out-of-fold predictions if it completed)."""
        self._out.pop(result.number, None)
        if result.number in self._results:  # written off, then told by a worker that lived
            return
        self._results[result.number] = result
        if (
            result.state == "complete"
            and np.isfinite(result.score)
            and len(self._history) < HISTORY_LIMIT
        ):
            self._history.append([result.number, float(result.score), result.learner])
        if result.state == "complete" and np.isfinite(result.score):
            if self._best is None or result.score > self._best.score:
                self._best = result
        self._write_progress()
        if result.state == "complete" and oof is not None and self.keep_oof:
            self._oof[result.number] = oof
            self._trim_oof()
        if self.deterministic:
            self._pending_tells[result.number] = result
        else:
            self._tell_optuna(result)

    def progress(self) -> dict[str, Any]:
        """Counts so far, the best configuration's score and learner, and ``history``: the
        completed configurations as ``[number, score, learner]`` in the order they finished
        (the first :data:`HISTORY_LIMIT`), for a chart that grows while the search runs."""
        best = self._best
        return {
            **self.summary(),
            "best_score": None if best is None else best.score,
            "best_learner": None if best is None else best.learner,
            "history": list(self._history),
            "updated_at": time.time(),
        }

    def _write_progress(self, force: bool = False) -> None:
        if not self.progress_path or (not force and time.time() - self._progress_at < 1.0):
            return
        from fas_ray.storage import write_json

        self._progress_at = time.time()
        try:
            write_json(Path(self.progress_path), self.progress())
        except OSError:  # progress is advisory: never fail the search over it
            pass

    def _trim_oof(self) -> None:
        """Keep the OOF predictions of the best ``keep_oof`` configurations overall and of
        the best ``keep_oof_per_learner`` of each learner; drop the rest."""

        def rank(n: int) -> tuple[float, int]:  # best first; ties go to the earlier number
            score = self._results[n].score
            return (-score if np.isfinite(score) else math.inf, n)

        ordered = sorted(self._oof, key=rank)
        keep = set(ordered[: self.keep_oof])
        per_learner: dict[str, int] = {}
        for n in ordered:
            learner = self._results[n].learner
            if per_learner.get(learner, 0) < self.keep_oof_per_learner:
                keep.add(n)
            per_learner[learner] = per_learner.get(learner, 0) + 1
        for n in [n for n in self._oof if n not in keep]:
            del self._oof[n]

    def _tell_optuna(self, result: ConfigResult) -> None:
        trial = self._trials.pop(result.number, None)
        if trial is None:
            return
        if result.state == "complete":
            self.study.tell(trial, result.score)
        elif result.state == "pruned":
            if result.fold_scores:
                trial.report(float(np.mean(result.fold_scores)), len(result.fold_scores))
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)

    def stop(self) -> None:
        """Hand out nothing more."""
        self.stopped = True

    def flush_progress(self) -> None:
        """Write the progress file now (the search is over)."""
        self._write_progress(force=True)

    def results(self) -> list[ConfigResult]:
        """Every told configuration, in configuration order."""
        return [self._results[n] for n in sorted(self._results)]

    def best_oof(self) -> dict[int, np.ndarray]:
        """Out-of-fold predictions of the best completed configurations, by number."""
        return dict(self._oof)

    def config_of(self, number: int) -> dict[str, Any]:
        return dict(self._configs[number])

    def summary(self) -> dict[str, int]:
        states = [r.state for r in self._results.values()]
        return {
            "handed_out": self._handed,
            "complete": states.count("complete"),
            "pruned": states.count("pruned"),
            "failed": states.count("failed"),
            "lost": len(self.lost),
        }
