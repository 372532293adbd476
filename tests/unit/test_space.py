"""Typed search-space domains and the conditional (learner, parameters) space."""

from __future__ import annotations

from typing import Any

import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fas_ray.ml import (
    LEARNERS,
    CategoricalDomain,
    FloatDomain,
    IntDomain,
    TaskInfo,
    default_config,
    suggest_config,
)
from fas_ray.ml._space import split_config

FAST = settings(max_examples=50, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize(
    "make",
    [
        lambda: IntDomain(5, 1),
        lambda: FloatDomain(1.0, 0.5),
        lambda: FloatDomain(0.0, 1.0, log=True),
        lambda: FloatDomain(-1.0, 1.0, log=True),
        lambda: CategoricalDomain(()),
    ],
    ids=["int-low>high", "float-low>high", "float-log-zero", "float-log-negative", "empty-choices"],
)
def test_empty_domains_are_rejected(make: Any) -> None:
    with pytest.raises(ValueError):
        make()


def test_point_domains_are_allowed() -> None:
    assert IntDomain(3, 3).contains(3)
    assert FloatDomain(0.5, 0.5, log=True).contains(0.5)


def test_contains() -> None:
    d = IntDomain(1, 10)
    assert d.contains(1) and d.contains(10)
    assert not d.contains(0) and not d.contains(11) and not d.contains(2.0)
    f = FloatDomain(0.1, 1.0)
    assert f.contains(0.1) and f.contains(1) and not f.contains(1.01) and not f.contains("0.5")
    c = CategoricalDomain(("sqrt", 0.5))
    assert c.contains("sqrt") and c.contains(0.5) and not c.contains("log2")


@FAST
@given(
    low=st.integers(-1000, 1000),
    width=st.integers(0, 1000),
    seed=st.integers(0, 2**16),
)
def test_int_domain_suggestions_stay_inside(low: int, width: int, seed: int) -> None:
    domain = IntDomain(low, low + width)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    trial = study.ask()
    assert domain.contains(domain.suggest(trial, "x"))


@FAST
@given(
    low=st.floats(1e-6, 1e3),
    factor=st.floats(1.0, 1e3),
    log=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_float_domain_suggestions_stay_inside(
    low: float, factor: float, log: bool, seed: int
) -> None:
    domain = FloatDomain(low, low * factor, log=log)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    assert domain.contains(domain.suggest(study.ask(), "x"))


def test_suggest_config_samples_inside_each_learners_space() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        config = suggest_config(trial, sorted(LEARNERS))
        name = config["learner"]
        seen.add(name)
        space = LEARNERS[name].search_space()
        assert set(config) == {"learner"} | {f"{name}.{p}" for p in space}
        for param, domain in space.items():
            assert domain.contains(config[f"{name}.{param}"]), (name, param)
        assert set(trial.params) == set(config)
        study.tell(trial, 0.0)
    assert seen == set(LEARNERS)


def test_suggest_config_only_picks_from_the_given_learners() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(5):
        assert suggest_config(study.ask(), ["linear"])["learner"] == "linear"


def test_split_config_round_trip_of_a_sampled_config() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(10):
        config = suggest_config(study.ask(), sorted(LEARNERS))
        name, params = split_config(config)
        assert name == config["learner"]
        assert set(params) == set(LEARNERS[name].search_space())
        assert {"learner": name, **{f"{name}.{k}": v for k, v in params.items()}} == config


identifier = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@FAST
@given(
    name=identifier,
    params=st.dictionaries(identifier, st.integers() | st.floats(allow_nan=False) | identifier),
    other=st.dictionaries(identifier, st.integers(), max_size=3),
)
def test_split_config_round_trip_property(
    name: str, params: dict[str, Any], other: dict[str, int]
) -> None:
    foreign = f"{name}x"  # another learner whose name starts with this one's
    config = {
        "learner": name,
        **{f"{name}.{k}": v for k, v in params.items()},
        **{f"{foreign}.{k}": v for k, v in other.items()},
    }
    assert split_config(config) == (name, params)


@pytest.mark.parametrize(
    ("task", "switch"),
    [
        (TaskInfo("classification", "binary", "y", [0, 1], imbalanced=True), True),
        (TaskInfo("classification", "binary", "y", [0, 1]), False),
        (TaskInfo("regression", "regression", "y", imbalanced=True), False),
        (None, False),
    ],
    ids=["imbalanced", "balanced-classes", "regression", "no-task"],
)
def test_only_imbalanced_classification_searches_the_balanced_switch(
    task: TaskInfo | None, switch: bool
) -> None:
    for name in sorted(LEARNERS):
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5))
        _, params = split_config(suggest_config(study.ask(), [name], task))
        assert ("balanced" in params) is switch, name
        assert set(params) == set(LEARNERS[name].search_space(task))
        assert set(split_config(default_config(name, task))[1]) == set(params)


def test_default_config_is_flat_and_prefixed() -> None:
    assert default_config("linear") == {"learner": "linear", "linear.regularization": 1.0}
    config = default_config("lightgbm")
    assert config["lightgbm.n_estimators"] == 100
    assert config["lightgbm.num_leaves"] == 31
    assert config["lightgbm.learning_rate"] == 0.1


@pytest.mark.parametrize(
    "task",
    [
        TaskInfo("classification", "binary", "y", [0, 1], imbalanced=True),
        TaskInfo("classification", "multiclass", "y", [0, 1, 2]),
        TaskInfo("regression", "regression", "y"),
    ],
)
def test_portfolio_configurations_lie_in_their_learners_spaces(task: TaskInfo) -> None:
    from fas_ray.ml import get_learner, portfolio

    configs = portfolio(sorted(LEARNERS), task)
    assert len(configs) >= len(LEARNERS) and configs[0]["learner"] == "lightgbm"
    assert len({tuple(sorted(c.items(), key=str)) for c in configs}) == len(configs)
    for config in configs:
        learner, params = split_config(config)
        space = get_learner(learner).search_space(task)
        assert set(params) == set(space), learner
        assert all(space[k].contains(v) for k, v in params.items()), config
    # a study seeded with the portfolio hands the configurations out first, in order
    study = optuna.create_study(direction="maximize")
    for config in configs:
        study.enqueue_trial(config)
    assert [suggest_config(study.ask(), sorted(LEARNERS), task) for _ in configs] == configs
    assert portfolio(["linear"], task) == [
        {"learner": "linear", "linear.regularization": 1.0, **_balanced(task, "linear")}
    ]


def _balanced(task: TaskInfo, learner: str) -> dict[str, Any]:
    return {f"{learner}.balanced": False} if task.imbalanced else {}
