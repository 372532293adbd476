"""Greedy ensemble selection over out-of-fold predictions, and the ensemble estimator.

:func:`caruana_ensemble` is ensemble selection with replacement (Caruana et al., "Ensemble
Selection from Libraries of Models", ICML 2004; the way AutoGluon builds its weighted
ensemble): start empty, and each round add the candidate (again, possibly) whose inclusion
gives the best score of the averaged predictions. A model's weight is how often it was picked.
The rounds' best prefix is kept, so the ensemble never scores below the best single model on
the predictions it was selected on (its score is optimistic: selection saw those rows).

:class:`VotingEnsemble` holds the refitted members and the weights, and predicts like one
scikit-learn estimator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.utils.metaestimators import available_if

from fas_ray.ml._cv import full_proba
from fas_ray.ml._metrics import greater_is_better, metric_score, primary_metric
from fas_ray.ml._task import TaskInfo

__all__ = ["EnsembleResult", "VotingEnsemble", "caruana_ensemble", "ensemble_predict"]


@dataclass(frozen=True)
class EnsembleResult:
    """The selected weights and how the ensemble scored on the out-of-fold predictions.

    Args:
        weights: candidate index → weight (> 0), summing to 1.
        score: the ensemble's ``metric`` on the out-of-fold predictions.
        best_single: the best single candidate's ``metric``.
        history: the ensemble's ``metric`` after each round.
        metric: the metric's name; ``greater_is_better(metric)`` gives its direction.
    """

    weights: dict[int, float]
    score: float
    best_single: float
    history: list[float] = field(default_factory=list)
    metric: str = ""


def ensemble_predict(
    weights: Mapping[int, float], predictions: Sequence[np.ndarray] | Mapping[int, np.ndarray]
) -> np.ndarray:
    """The weighted average of ``predictions[i]`` (class probabilities or values).

    Weights are normalised to sum to 1; indices missing from ``weights`` get none.
    """
    total = float(sum(weights.values()))
    if not weights or total <= 0:
        raise ValueError("An ensemble needs at least one positive weight.")
    first = np.asarray(predictions[next(iter(weights))], dtype=np.float64)
    out = np.zeros_like(first)
    for i, w in weights.items():
        out += (w / total) * np.asarray(predictions[i], dtype=np.float64)
    return out


def _score(metric: str, task: TaskInfo, y: np.ndarray, prediction: np.ndarray) -> float:
    if task.is_classification:
        value = metric_score(metric, y, None, prediction)
    else:
        value = metric_score(metric, y, prediction, None)
    return value if np.isfinite(value) else float("nan")


def _better(a: float, b: float, higher: bool) -> bool:
    """Strictly better; NaN is never better, and anything beats NaN."""
    if np.isnan(a):
        return False
    if np.isnan(b):
        return True
    return a > b if higher else a < b


def caruana_ensemble(
    predictions: Sequence[np.ndarray],
    y: np.ndarray,
    task: TaskInfo,
    *,
    rounds: int = 25,
    metric: str | None = None,
    costs: Sequence[float] | None = None,
    max_cost: float | None = None,
) -> EnsembleResult:
    """Greedy ensemble selection with replacement over candidates' out-of-fold predictions.

    Args:
        predictions: one array per candidate, rows in ``y``'s order: class probabilities
            ``(n, k)`` for classification, values ``(n,)`` for regression.
        y: encoded labels ``0..k-1`` or regression values.
        task: the task; its primary metric is the default ``metric``.
        rounds: how many picks (a model picked ``r`` times gets weight ``r / picks``).
        metric: any name :func:`~fas_ray.ml._metrics.metric_score` knows; losses are minimised.
        costs: what including each candidate costs (e.g. the seconds its refit takes); with
            ``max_cost``, a candidate joins only while the distinct members' costs stay within
            it (picking a member again costs nothing). When no candidate fits alone, the
            result is the best single one: what a run without an ensemble refits anyway.
        max_cost: the bound on the members' summed ``costs``; None: no bound.

    Ties go to the lowest candidate index, so the result depends only on the inputs.

    Example:
        >>> task = TaskInfo("regression", "regression", "y")
        >>> y = np.array([0.0, 1.0, 2.0, 3.0])
        >>> caruana_ensemble([y + 1.0, y - 1.0], y, task, rounds=4).weights
        {0: 0.5, 1: 0.5}
    """
    if not predictions:
        raise ValueError("Ensemble selection needs at least one candidate.")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}.")
    preds = [np.asarray(p, dtype=np.float64) for p in predictions]
    shape = preds[0].shape
    if any(p.shape != shape for p in preds) or shape[0] != len(y):
        raise ValueError(
            f"Every candidate needs predictions of one shape with {len(y)} rows; got "
            f"{sorted({p.shape for p in preds})}."
        )
    name = metric or primary_metric(task)
    higher = greater_is_better(name)
    singles = [_score(name, task, y, p) for p in preds]

    cost = np.zeros(len(preds)) if costs is None else np.asarray(costs, dtype=np.float64)
    if cost.shape != (len(preds),):
        raise ValueError(f"costs needs one value per candidate ({len(preds)}), got {cost.shape}.")
    limit = float("inf") if max_cost is None else float(max_cost)

    total = np.zeros(shape)
    counts = np.zeros(len(preds), dtype=np.int64)
    history: list[float] = []
    best_round, best_counts = -1, counts.copy()
    for r in range(1, rounds + 1):
        pick, pick_score = -1, float("nan")
        spent = float(cost[counts > 0].sum())
        for i, p in enumerate(preds):
            if counts[i] == 0 and spent + cost[i] > limit:
                continue
            value = _score(name, task, y, (total + p) / r)
            if pick < 0 or _better(value, pick_score, higher):
                pick, pick_score = i, value
        if pick < 0:  # round 1, no candidate fits alone: the best single, refitted anyway
            pick = _best_index(singles, higher)
            pick_score = singles[pick]
        total += preds[pick]
        counts[pick] += 1
        history.append(pick_score)
        if best_round < 0 or _better(pick_score, history[best_round], higher):
            best_round, best_counts = r - 1, counts.copy()
    picks = int(best_counts.sum())
    weights = {int(i): float(c) / picks for i, c in enumerate(best_counts) if c > 0}
    best_single = singles[_best_index(singles, higher)]
    return EnsembleResult(weights, history[best_round], best_single, history, name)


def _best_index(values: Sequence[float], higher: bool) -> int:
    """The best value's index (the first on ties; 0 when every value is NaN)."""
    array = np.asarray(values, dtype=np.float64)
    if np.all(np.isnan(array)):
        return 0
    return int(np.nanargmax(array) if higher else np.nanargmin(array))


class VotingEnsemble:
    """Fitted estimators averaged with weights: probabilities (classification) or values.

    Args:
        estimators: fitted scikit-learn-compatible estimators.
        weights: one non-negative weight per estimator (normalised when predicting).
        n_classes: the number of classes ``0..k-1`` for classification; None for regression.

    Pickles like its members; ``fit`` is not offered: members are fitted before.
    """

    def __init__(
        self, estimators: Sequence[Any], weights: Sequence[float], n_classes: int | None = None
    ) -> None:
        self.estimators = list(estimators)
        self.weights = [float(w) for w in weights]
        self.n_classes = n_classes

    def _weights(self) -> dict[int, float]:
        if len(self.weights) != len(self.estimators):
            raise ValueError(
                f"{len(self.estimators)} estimators but {len(self.weights)} weights were given."
            )
        return {i: w for i, w in enumerate(self.weights) if w > 0}

    @property
    def classes_(self) -> np.ndarray:
        if self.n_classes is None:
            raise AttributeError("A regression ensemble has no classes_.")
        return np.arange(self.n_classes)

    def _is_classifier(self) -> bool:
        return self.n_classes is not None

    @available_if(_is_classifier)
    def predict_proba(self, X: Any) -> np.ndarray:
        n_classes = int(self.n_classes or 0)  # set: available_if checked it
        weights = self._weights()
        probas = {
            i: full_proba(self.estimators[i], self.estimators[i].predict_proba(X), n_classes)
            for i in weights
        }
        return ensemble_predict(weights, probas)

    def predict(self, X: Any) -> np.ndarray:
        if self.n_classes is not None:
            return np.argmax(self.predict_proba(X), axis=1)
        weights = self._weights()
        values = {i: np.asarray(self.estimators[i].predict(X), dtype=np.float64) for i in weights}
        return ensemble_predict(weights, values)
