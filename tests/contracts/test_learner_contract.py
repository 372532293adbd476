"""Every learner × task passes the same checks, like scikit-learn's parametrize_with_checks.

A learner declares a search space and turns one sampled configuration into an unfitted
scikit-learn-compatible estimator; these checks hold for every learner in ``LEARNERS``.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import optuna
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from fas_ray.ml import (
    LEARNERS,
    CategoricalDomain,
    FloatDomain,
    IntDomain,
    Learner,
    TaskInfo,
    default_config,
    suggest_config,
)
from fas_ray.ml._space import split_config

SMALL_ENSEMBLE = 20  # n_estimators override so every check is fast
SEED = 0


@dataclass(frozen=True)
class TaskData:
    task: TaskInfo
    X: np.ndarray
    y: np.ndarray


@cache
def _task_data(kind: str) -> TaskData:
    if kind == "binary":
        data = load_breast_cancer()
        idx = np.random.default_rng(0).choice(len(data.target), size=200, replace=False)
        return TaskData(
            TaskInfo("classification", "binary", "y", [0, 1]), data.data[idx], data.target[idx]
        )
    if kind == "multiclass":
        data = load_iris()
        return TaskData(
            TaskInfo("classification", "multiclass", "y", [0, 1, 2]), data.data, data.target
        )
    data = load_diabetes()
    return TaskData(TaskInfo("regression", "regression", "y"), data.data, data.target)


def _sample_params(learner: Learner, seed: int = SEED) -> dict[str, Any]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    trial = study.ask()
    params = {name: d.suggest(trial, name) for name, d in learner.search_space().items()}
    return _small(params)


def _small(params: dict[str, Any]) -> dict[str, Any]:
    return {**params, "n_estimators": SMALL_ENSEMBLE} if "n_estimators" in params else params


def _corner(learner: Learner, end: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, d in learner.search_space().items():
        if isinstance(d, CategoricalDomain):
            params[name] = d.choices[0 if end == "low" else -1]
        else:
            params[name] = d.low if end == "low" else d.high
    return _small(params)


def _fit(
    learner: Learner,
    params: dict[str, Any],
    data: TaskData,
    seed: int = SEED,
    task: TaskInfo | None = None,
    balanced: bool = False,
) -> Any:
    est = learner.make_estimator(dict(params), task or data.task, seed, n_jobs=1, balanced=balanced)
    return est.fit(data.X, data.y)


def _imbalanced(data: TaskData) -> TaskInfo:
    """The same task flagged imbalanced, so spaces hold the ``balanced`` switch."""
    return dataclasses.replace(data.task, imbalanced=data.task.is_classification)


# -- the checks -----------------------------------------------------------------------------------


def check_search_space_is_typed_and_suggestable(learner: Learner, data: TaskData) -> None:
    space = learner.search_space()
    assert space, "an empty search space"
    assert all(isinstance(d, IntDomain | FloatDomain | CategoricalDomain) for d in space.values())
    assert all("." not in name for name in space), "'.' separates learner and parameter"
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=SEED))
    for _ in range(5):
        trial = study.ask()
        for name, domain in space.items():
            assert domain.contains(domain.suggest(trial, name)), name
    assert learner.search_space() == space, "the space is the same on every call"


def check_make_estimator_is_unfitted_and_clonable(learner: Learner, data: TaskData) -> None:
    params = _sample_params(learner)
    before = dict(params)
    est = learner.make_estimator(params, data.task, SEED, n_jobs=1)
    assert params == before, "make_estimator must not change the params it is given"
    clone(est)  # a scikit-learn estimator: get_params / set_params
    assert hasattr(est, "fit") and hasattr(est, "predict")
    if data.task.is_classification:
        assert hasattr(est, "predict_proba")


def check_seed_reaches_the_estimator(learner: Learner, data: TaskData) -> None:
    est = learner.make_estimator(_sample_params(learner), data.task, 123, n_jobs=1)
    seeds = {v for k, v in est.get_params(deep=True).items() if k.endswith("random_state")}
    assert seeds == {123}


def check_fit_predict_shapes(learner: Learner, data: TaskData) -> None:
    est = _fit(learner, _sample_params(learner), data)
    pred = np.asarray(est.predict(data.X))
    assert pred.shape == (len(data.y),)
    if data.task.is_classification:
        assert set(np.unique(pred).tolist()) <= set(range(len(data.task.classes)))
    else:
        assert np.isfinite(pred).all()


def check_predict_proba_rows_sum_to_one(learner: Learner, data: TaskData) -> None:
    assert data.task.is_classification, "only classification tasks are parametrized here"
    est = _fit(learner, _sample_params(learner), data)
    proba = np.asarray(est.predict_proba(data.X))
    assert proba.shape == (len(data.y), len(data.task.classes))
    assert (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(np.argmax(proba, axis=1), np.asarray(est.predict(data.X)))


def check_domain_corners_fit(learner: Learner, data: TaskData) -> None:
    for end in ("low", "high"):
        pred = np.asarray(_fit(learner, _corner(learner, end), data).predict(data.X[:10]))
        assert pred.shape == (10,), end


def check_pickle_round_trip(learner: Learner, data: TaskData) -> None:
    est = _fit(learner, _sample_params(learner), data)
    restored = pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    np.testing.assert_array_equal(restored.predict(data.X), est.predict(data.X))
    if data.task.is_classification:
        np.testing.assert_array_equal(restored.predict_proba(data.X), est.predict_proba(data.X))


def check_same_seed_same_model(learner: Learner, data: TaskData) -> None:
    params = _sample_params(learner, seed=1)
    a, b = _fit(learner, params, data), _fit(learner, params, data)
    np.testing.assert_array_equal(a.predict(data.X), b.predict(data.X))
    if data.task.is_classification:
        np.testing.assert_array_equal(a.predict_proba(data.X), b.predict_proba(data.X))


def check_default_params_lie_inside_the_space(learner: Learner, data: TaskData) -> None:
    for task in (None, data.task, _imbalanced(data)):
        space, defaults = learner.search_space(task), learner.default_params(task)
        assert set(defaults) == set(space), task
        for name, domain in space.items():
            assert domain.contains(defaults[name]), (name, defaults[name], domain)


def check_default_params_fit(learner: Learner, data: TaskData) -> None:
    est = _fit(learner, _small(learner.default_params(data.task)), data)
    assert np.asarray(est.predict(data.X)).shape == (len(data.y),)


def check_default_config_seeds_an_optuna_study(learner: Learner, data: TaskData) -> None:
    task = _imbalanced(data)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=SEED))
    study.enqueue_trial(default_config(learner.name, task))
    config = suggest_config(study.ask(), sorted(LEARNERS), task)
    assert split_config(config) == (learner.name, learner.default_params(task))


def check_suggested_configs_build_estimators(learner: Learner, data: TaskData) -> None:
    """Sampled through ``suggest_config``, imbalance switch included, and fitted."""
    task = _imbalanced(data)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=SEED))
    for _ in range(3):
        name, params = split_config(suggest_config(study.ask(), [learner.name], task))
        assert name == learner.name
        assert ("balanced" in params) == task.is_classification
        est = _fit(learner, _small(params), data, task=task)
        assert np.asarray(est.predict(data.X[:5])).shape == (5,)
    assert "balanced" not in learner.search_space(data.task)


def check_balanced_is_accepted(learner: Learner, data: TaskData) -> None:
    """``balanced=True`` fits (ignored for regression), pickles, and is deterministic."""
    params = _sample_params(learner)
    unfitted = learner.make_estimator(dict(params), data.task, 123, n_jobs=1, balanced=True)
    clone(unfitted)
    seeds = {v for k, v in unfitted.get_params(deep=True).items() if k.endswith("random_state")}
    assert seeds == {123}
    est = _fit(learner, params, data, balanced=True)
    again = _fit(learner, params, data, balanced=True)
    restored = pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    np.testing.assert_array_equal(restored.predict(data.X), est.predict(data.X))
    np.testing.assert_array_equal(again.predict(data.X), est.predict(data.X))
    if data.task.is_classification:
        proba = np.asarray(est.predict_proba(data.X))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def check_category_codes_are_accepted(learner: Learner, data: TaskData) -> None:
    """``categorical=`` columns of codes ``0..k-1`` fit; an unseen code (-1) and a code beyond
    the training ones predict; the option survives ``clone`` and pickling."""
    rng = np.random.default_rng(SEED)
    codes = rng.integers(0, 5, size=len(data.y)).astype(float)
    X = np.column_stack([codes, data.X])
    est = learner.make_estimator(_sample_params(learner), data.task, SEED, categorical=[0])
    assert repr(clone(est)) == repr(est), "clone keeps the categorical columns"
    est.fit(X, data.y)
    unseen = X[:4].copy()
    unseen[:, 0] = [-1.0, 5.0, 0.0, 4.0]
    pred = np.asarray(est.predict(unseen))
    assert pred.shape == (4,)
    restored = pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    np.testing.assert_array_equal(restored.predict(unseen), pred)
    if data.task.is_classification:
        np.testing.assert_allclose(np.asarray(est.predict_proba(unseen)).sum(axis=1), 1.0)


CHECKS: list[Callable[[Learner, TaskData], None]] = [
    check_search_space_is_typed_and_suggestable,
    check_make_estimator_is_unfitted_and_clonable,
    check_seed_reaches_the_estimator,
    check_fit_predict_shapes,
    check_predict_proba_rows_sum_to_one,
    check_domain_corners_fit,
    check_pickle_round_trip,
    check_same_seed_same_model,
    check_default_params_lie_inside_the_space,
    check_default_params_fit,
    check_default_config_seeds_an_optuna_study,
    check_suggested_configs_build_estimators,
    check_balanced_is_accepted,
    check_category_codes_are_accepted,
]
TASKS = ("binary", "multiclass", "regression")


def _cases() -> list[Any]:
    return [
        pytest.param(name, kind, check, id=f"{name}-{kind}-{check.__name__.removeprefix('check_')}")
        for name in sorted(LEARNERS)
        for kind in TASKS
        for check in CHECKS
        if not (check is check_predict_proba_rows_sum_to_one and kind == "regression")
    ]


@pytest.mark.parametrize(("learner_name", "task_kind", "check"), _cases())
def test_learner_contract(
    learner_name: str, task_kind: str, check: Callable[[Learner, TaskData], None]
) -> None:
    learner = LEARNERS[learner_name]
    assert learner.name == learner_name
    check(learner, _task_data(task_kind))
