"""Typed search-space domains and the conditional (learner, hyperparameters) space.

Learners declare their spaces with these domains; :func:`suggest_config` samples one configuration
through an Optuna trial (define-by-run), so the sampler picks the learner and its parameters
together and every parameter is named ``<learner>.<param>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fas_ray.ml._task import TaskInfo

__all__ = [
    "CategoricalDomain",
    "Domain",
    "FloatDomain",
    "IntDomain",
    "default_config",
    "split_config",
    "suggest_config",
]


class _Trial(Protocol):  # the part of optuna.Trial used here
    def suggest_int(self, name: str, low: int, high: int, *, log: bool = ...) -> int: ...
    def suggest_float(self, name: str, low: float, high: float, *, log: bool = ...) -> float: ...
    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


@dataclass(frozen=True)
class IntDomain:
    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"IntDomain low {self.low} > high {self.high}")

    def suggest(self, trial: _Trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def contains(self, value: Any) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high


@dataclass(frozen=True)
class FloatDomain:
    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if self.low > self.high or (self.log and self.low <= 0):
            raise ValueError(f"FloatDomain({self.low}, {self.high}, log={self.log}) is empty")

    def suggest(self, trial: _Trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)

    def contains(self, value: Any) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high


@dataclass(frozen=True)
class CategoricalDomain:
    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError("CategoricalDomain needs at least one choice")

    def suggest(self, trial: _Trial, name: str) -> Any:
        return trial.suggest_categorical(name, list(self.choices))

    def contains(self, value: Any) -> bool:
        return value in self.choices


Domain = IntDomain | FloatDomain | CategoricalDomain


def suggest_config(
    trial: _Trial,
    learners: Sequence[str],
    task: TaskInfo | None = None,
    fixed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Sample ``{"learner": name, "<name>.<param>": value, ...}`` through an Optuna trial.

    With ``task``, each learner's space for that task (an imbalanced classification task adds
    the ``balanced`` switch). ``fixed`` maps ``"<learner>.<param>"`` names to values that are
    set instead of sampled (e.g. ``{"lightgbm.n_estimators": 200}``).
    """
    from fas_ray.ml.learners import get_learner

    fixed = fixed or {}
    name = trial.suggest_categorical("learner", list(learners))
    config: dict[str, Any] = {"learner": name}
    for param, domain in get_learner(name).search_space(task).items():
        key = f"{name}.{param}"
        config[key] = fixed[key] if key in fixed else domain.suggest(trial, key)
    return config


def default_config(learner: str, task: TaskInfo | None = None) -> dict[str, Any]:
    """The learner's known-good defaults as a flat config, to seed a search.

    Feed it to ``optuna.Study.enqueue_trial`` (or Tune's ``points_to_evaluate``): the next
    :func:`suggest_config` then returns exactly this configuration.

    Example:
        >>> default_config("linear")
        {'learner': 'linear', 'linear.regularization': 1.0}
    """
    from fas_ray.ml.learners import get_learner

    params = get_learner(learner).default_params(task)
    return {"learner": learner, **{f"{learner}.{k}": v for k, v in params.items()}}


def split_config(config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``{"learner": "x", "x.a": 1}`` → ``("x", {"a": 1})``."""
    name = str(config["learner"])
    prefix = f"{name}."
    params = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    return name, params
