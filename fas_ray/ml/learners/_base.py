"""The learner interface, and the class-balance switch every classifier shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from fas_ray.ml._space import CategoricalDomain

if TYPE_CHECKING:
    from fas_ray.ml._space import Domain
    from fas_ray.ml._task import TaskInfo

__all__ = [
    "BALANCED",
    "EARLY_STOPPING_ROUNDS",
    "Learner",
    "balance_defaults",
    "balance_space",
    "labels_seen",
    "pop_balanced",
]

BALANCED = "balanced"  # the search-space parameter: balanced class weights, or not
# boosting stops when the validation fold's loss has not improved for this many rounds
EARLY_STOPPING_ROUNDS = 50


class Learner(Protocol):
    """A model family the search can choose.

    ``search_space()`` maps parameter names to domains; ``default_params()`` is one known-good
    point inside it (library defaults, where the space allows) to seed a search;
    ``make_estimator()`` turns one sampled configuration into an unfitted scikit-learn-compatible
    estimator. Classification labels are always encoded as ``0..k-1`` before ``fit``.

    For an imbalanced classification task (``task.imbalanced``) the space also holds
    ``balanced`` (False / True): balanced class weights, as ``make_estimator(balanced=True)``.

    A boosting learner may also offer ``fit_early_stopping(est, X, y, X_valid, y_valid) ->
    rounds``: fit with the validation rows as the early-stopping set (``n_estimators`` is then
    the cap) and return the rounds kept. The CV loop uses it; a refit on all rows takes the
    folds' mean rounds as its ``n_estimators``.

    ``categorical`` lists the columns that hold category codes (``FeatureBuilder``'s
    ``categorical_indices``: ``0..k-1``, ``-1`` for a category unseen in training). A learner
    may split on them as categories (LightGBM), one-hot encode them (linear) or take the codes
    as numbers (forests); every learner accepts the argument.
    """

    name: str

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]: ...

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]: ...

    def make_estimator(
        self,
        params: dict[str, Any],
        task: TaskInfo,
        seed: int,
        n_jobs: int = 1,
        *,
        balanced: bool = False,
        device: str = "cpu",
        categorical: Sequence[int] = (),
    ) -> Any: ...


def balance_space(space: dict[str, Domain], task: TaskInfo | None) -> dict[str, Domain]:
    """``space`` plus the ``balanced`` switch when ``task`` is imbalanced classification."""
    if task is not None and task.is_classification and task.imbalanced:
        return {**space, BALANCED: CategoricalDomain((False, True))}
    return space


def balance_defaults(params: dict[str, Any], task: TaskInfo | None) -> dict[str, Any]:
    """``params`` plus ``balanced=False`` where :func:`balance_space` adds the switch."""
    if task is not None and task.is_classification and task.imbalanced:
        return {**params, BALANCED: False}
    return params


def pop_balanced(
    params: dict[str, Any], task: TaskInfo, balanced: bool
) -> tuple[dict[str, Any], bool]:
    """A copy of ``params`` without ``balanced``, and whether to balance (classification only)."""
    rest = {k: v for k, v in params.items() if k != BALANCED}
    wanted = bool(balanced or params.get(BALANCED, False))
    return rest, wanted and task.is_classification


def labels_seen(y: Any, y_valid: Any) -> bool:
    """Whether every label of ``y_valid`` occurs in ``y`` (an early-stopping set with a class
    the training rows lack cannot be scored by the booster)."""
    import numpy as np

    return bool(np.isin(np.unique(y_valid), np.unique(y)).all())
