"""The shared-study coordinator: batches, determinism, pruning rungs, budgets, kept OOF."""

from __future__ import annotations

import math
import random
import time

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_breast_cancer

from fas_ray.ml import LEARNERS as LEARNER_REGISTRY
from fas_ray.ml import detect_task, get_learner, make_folds
from fas_ray.search import (
    ConfigResult,
    SearchCoordinator,
    Ticket,
    evaluate_config,
    search_in_process,
)

LEARNERS = ["lightgbm", "linear"]


def _fake_score(config: dict[str, object]) -> float:
    """A deterministic objective of the configuration alone."""
    return sum(float(v) for k, v in config.items() if isinstance(v, int | float)) % 1.0


def _drive(coord: SearchCoordinator, workers: int, rng: random.Random) -> list[ConfigResult]:
    """Simulate ``workers`` workers that finish in a random order."""
    busy: list[Ticket] = []
    while True:
        while len(busy) < workers:
            t = coord.ask()
            if t == "done" or t == "wait":
                break
            assert isinstance(t, Ticket)
            busy.append(t)
        if not busy:
            assert coord.ask() == "done"
            return coord.results()
        ticket = busy.pop(rng.randrange(len(busy)))
        s = _fake_score(ticket.config)
        coord.tell(ConfigResult(ticket.number, "x", {}, "complete", s, 0.0, [s]))


def test_deterministic_mode_ignores_finishing_order() -> None:
    runs = []
    for order_seed in (1, 2, 3):
        coord = SearchCoordinator(LEARNERS, seed=7, max_trials=20, batch_size=3)
        results = _drive(coord, 3, random.Random(order_seed))
        runs.append([(r.number, r.score) for r in results])
        assert [coord.config_of(r.number) for r in results] == [
            coord.config_of(n) for n in range(20)
        ]
    assert len(runs[0]) == 20
    assert runs[0] == runs[1] == runs[2]


def test_batch_waits_until_every_config_is_told() -> None:
    coord = SearchCoordinator(LEARNERS, seed=0, max_trials=10, batch_size=2)
    a, b = coord.ask(), coord.ask()
    assert isinstance(a, Ticket) and isinstance(b, Ticket)
    assert coord.ask() == "wait"
    coord.tell(ConfigResult(b.number, "x", {}, "complete", 0.5))
    assert coord.ask() == "wait"
    coord.tell(ConfigResult(a.number, "x", {}, "complete", 0.4))
    c = coord.ask()
    assert isinstance(c, Ticket) and c.number == 2


def test_a_lost_worker_is_written_off_and_the_batch_goes_on() -> None:
    """A worker that dies holding a configuration (its node lost) would stall a deterministic
    batch forever; written off, it is a failed result and the next batch starts."""
    coord = SearchCoordinator(LEARNERS, seed=0, max_trials=10, batch_size=2)
    coord.hello(1, "w1@node-b")
    a, b = coord.ask(0), coord.ask(1)
    assert isinstance(a, Ticket) and isinstance(b, Ticket)
    coord.tell(ConfigResult(a.number, "x", {}, "complete", 0.4))
    assert coord.ask(0) == "wait"
    assert coord.write_off(0, "gone") == 0  # worker 0 holds nothing now
    assert coord.write_off(1, "node lost") == 1
    c = coord.ask(0)  # the batch is complete: the next one starts (asked through the flush)
    assert isinstance(c, Ticket) and c.number == 2
    lost = coord.results()[b.number]
    assert (lost.state, lost.worker) == ("failed", "w1@node-b")
    assert lost.error == "lost with worker w1@node-b: node lost"
    assert lost.learner == b.config["learner"]
    assert coord.summary()["lost"] == 1 and coord.summary()["failed"] == 1
    # the configuration handed out through the flush is held by its asker: it is written off too
    assert coord.write_off(0, "gone") == 1
    # a worker thought lost that tells after all changes nothing
    coord.tell(ConfigResult(b.number, "x", {}, "complete", 0.9))
    assert coord.results()[b.number].state == "failed"


def test_max_trials_and_deadline_end_the_search() -> None:
    coord = SearchCoordinator(LEARNERS, seed=0, max_trials=2, batch_size=5)
    assert isinstance(coord.ask(), Ticket) and isinstance(coord.ask(), Ticket)
    assert coord.ask() == "done"
    late = SearchCoordinator(LEARNERS, seed=0, deadline=time.time() - 1)
    assert late.ask() == "done"
    stopped = SearchCoordinator(LEARNERS, seed=0)
    stopped.stop()
    assert stopped.ask() == "done"


def _lowest(domain: object) -> object:
    return domain.choices[0] if hasattr(domain, "choices") else domain.low  # type: ignore[attr-defined]


def test_first_configs_are_evaluated_first() -> None:
    space = get_learner("linear").search_space()
    first = {"learner": "linear", **{f"linear.{k}": _lowest(d) for k, d in space.items()}}
    coord = SearchCoordinator(["linear"], seed=0, first_configs=[first])
    ticket = coord.ask()
    assert isinstance(ticket, Ticket)
    assert ticket.config == first


def test_rungs_prune_the_worse_two_thirds() -> None:
    assert SearchCoordinator._rung_folds(5, 3) == [1, 3]
    assert SearchCoordinator._rung_folds(10, 3) == [1, 3, 9]
    coord = SearchCoordinator(LEARNERS, seed=0, min_rung_size=6, n_folds=5)
    for n, v in enumerate([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]):
        assert coord.report(n, 1, v) is False  # fewer than 6 to compare with
    assert coord.report(10, 1, 0.55) is False  # top third of the 6 earlier values: kept
    assert coord.report(11, 1, 0.45) is True  # below the top third: pruned
    assert coord.report(12, 2, 0.0) is False  # not a rung
    off = SearchCoordinator(LEARNERS, seed=0, prune=False, min_rung_size=1)
    off.report(0, 1, 1.0)
    assert off.report(1, 1, 0.0) is False


def test_a_learner_keeps_its_own_best_third_where_another_learner_leads() -> None:
    coord = SearchCoordinator(["linear", "lightgbm"], seed=0, min_rung_size=3, n_folds=5)
    coord._configs.update({n: {"learner": "linear"} for n in range(6)})
    coord._configs.update({n: {"learner": "lightgbm"} for n in range(6, 12)})
    for n, v in enumerate([0.90, 0.91, 0.92, 0.93, 0.94, 0.95]):  # the linear model leads
        assert coord.report(n, 1, v) is False
    assert coord.report(6, 1, 0.80) is True  # globally poor, too few trees to compare with
    assert coord.report(7, 1, 0.70) is True
    assert coord.report(8, 1, 0.75) is True
    assert coord.report(9, 1, 0.85) is False  # the best third of the trees: kept
    assert coord.report(10, 1, 0.60) is True  # poor for a tree too
    alone = SearchCoordinator(["linear", "lightgbm"], seed=0, min_rung_size=3, per_learner=False)
    alone._configs.update(coord._configs)
    for n, v in enumerate([0.90, 0.91, 0.92, 0.93, 0.94, 0.95, 0.80, 0.70, 0.75]):
        alone.report(n, 1, v)
    assert alone.report(9, 1, 0.85) is True  # only the global reference counts


def test_only_the_best_oof_predictions_are_kept() -> None:
    coord = SearchCoordinator(LEARNERS, seed=0, keep_oof=2, keep_oof_per_learner=0)
    for n, s in enumerate([0.3, 0.9, 0.1, 0.8]):
        coord.tell(ConfigResult(n, "x", {}, "complete", s), np.full(3, s))
    coord.tell(ConfigResult(9, "x", {}, "pruned", 0.99), None)
    assert sorted(coord.best_oof()) == [1, 3]
    assert coord.summary() == {"handed_out": 0, "complete": 4, "pruned": 1, "failed": 0, "lost": 0}


def test_each_learner_keeps_its_best_oof_predictions_for_the_ensemble() -> None:
    coord = SearchCoordinator(LEARNERS, seed=0, keep_oof=2, keep_oof_per_learner=1)
    scores = {0: ("a", 0.9), 1: ("a", 0.8), 2: ("a", 0.95), 3: ("b", 0.2), 4: ("b", 0.3)}
    for n, (learner, s) in scores.items():
        coord.tell(ConfigResult(n, learner, {}, "complete", s), np.full(3, s))
    # the top two overall (both "a") plus the best "b", which a top-2 cut alone would drop
    assert sorted(coord.best_oof()) == [0, 2, 4]
    coord.tell(ConfigResult(5, "c", {}, "complete", float("nan")), np.full(3, 0.0))
    assert sorted(coord.best_oof()) == [0, 2, 4, 5]  # a NaN score ranks last but is c's best


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray, object, list[tuple[np.ndarray, np.ndarray]]]:
    X, y = load_breast_cancer(return_X_y=True)
    task = detect_task(pl.Series("y", y), "y")
    y = y.astype(np.int64)
    return X, y, task, make_folds(task, y, 5, 0)


def test_evaluate_config_returns_oof_and_handles_failures(cancer: tuple) -> None:
    X, y, task, folds = cancer
    coord = SearchCoordinator(["linear"], seed=0)
    ticket = coord.ask()
    assert isinstance(ticket, Ticket)
    result, oof = evaluate_config(ticket, X, y, task, folds, 0)
    assert result.state == "complete" and len(result.fold_scores) == 5
    assert oof is not None and oof.shape == (len(y), 2)
    np.testing.assert_allclose(oof.sum(axis=1), 1.0)
    assert 0.95 < result.score <= 1.0

    pruned, none = evaluate_config(ticket, X, y, task, folds, 0, report=lambda n, f, m: f == 1)
    assert pruned.state == "pruned" and len(pruned.fold_scores) == 1 and none is None

    late, _ = evaluate_config(ticket, X, y, task, folds, 0, deadline=time.time() - 1)
    assert late.state == "pruned" and late.fold_scores == [] and math.isnan(late.score)


class _Broken:
    name = "broken"

    def search_space(self, task: object = None) -> dict[str, object]:
        return {}

    def make_estimator(self, params: dict, task: object, seed: int, n_jobs: int = 1) -> object:
        raise ValueError("this estimator always fails")


def test_a_failing_estimator_is_recorded_not_raised(
    cancer: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y, task, folds = cancer
    monkeypatch.setitem(LEARNER_REGISTRY, "broken", _Broken())
    failed, oof = evaluate_config(Ticket(99, {"learner": "broken"}), X, y, task, folds, 0)
    assert failed.state == "failed" and oof is None
    assert failed.error == "ValueError: this estimator always fails"


def test_search_in_process_is_deterministic(cancer: tuple) -> None:
    X, y, task, folds = cancer

    def run() -> list[tuple[int, str, str, float]]:
        coord = SearchCoordinator(["lightgbm", "linear"], seed=3, max_trials=10, batch_size=2)
        search_in_process(coord, X, y, task, folds, seed=3)
        return [(r.number, r.learner, r.state, r.score) for r in coord.results()]

    first = run()
    assert len(first) == 10
    assert first == run()


def test_fixed_parameters_are_set_not_sampled() -> None:
    coord = SearchCoordinator(["lightgbm"], seed=0, fixed={"lightgbm.n_estimators": 200})
    for _ in range(5):
        ticket = coord.ask()
        assert isinstance(ticket, Ticket)
        assert ticket.config["lightgbm.n_estimators"] == 200
        assert "lightgbm.learning_rate" in ticket.config
        coord.tell(ConfigResult(ticket.number, "lightgbm", {}, "complete", 0.5))
    assert all("lightgbm.n_estimators" not in t.params for t in coord.study.trials)
