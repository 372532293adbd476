"""FittedModel: features + estimator + label mapping, the unit the registry stores and serves.

The estimator is one learner's model (:func:`fit_model`) or a weighted
:class:`~fas_ray.ml._ensemble.VotingEnsemble` of several (:func:`fit_ensemble`); either may carry
a probability calibrator (:func:`~fas_ray.ml._calibrate.fit_calibrator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from fas_ray.etl import ColumnType
from fas_ray.features import FeatureBuilder, estimator_options, to_polars
from fas_ray.ml._ensemble import VotingEnsemble
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners import get_learner
from fas_ray.text import TextTarget

__all__ = [
    "ENSEMBLE",
    "FittedModel",
    "encode_target",
    "fit_bagged",
    "fit_ensemble",
    "fit_model",
    "text_target",
]

ENSEMBLE = "ensemble"  # FittedModel.learner of an ensemble


def encode_target(task: TaskInfo, y: pl.Series) -> np.ndarray:
    """Class labels → ``0..k-1`` in ``task.classes`` order; regression targets → float."""
    if not task.is_classification:
        return y.cast(pl.Float64).to_numpy()
    lookup = {c: i for i, c in enumerate(task.classes)}
    return np.fromiter((lookup[v] for v in y.to_list()), dtype=np.int64, count=y.len())


def text_target(
    task: TaskInfo,
    y: np.ndarray,
    seed: int,
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    time_limit: float | None = None,
    **options: Any,
) -> TextTarget:
    """What the text columns' models are fitted to (:class:`~fas_ray.text.TextTarget`):
    ``y`` encoded by :func:`encode_target`, the CV ``folds`` (default: the text models' own);
    ``options``: its other fields (``encoder``, ``map_fn``)."""
    n_classes = len(task.classes) if task.is_classification else 0
    return TextTarget(y, n_classes, folds=folds, seed=seed, time_limit=time_limit, **options)


def _features(
    train: pl.DataFrame,
    task: TaskInfo,
    seed: int,
    types: dict[str, ColumnType] | None,
    features: tuple[FeatureBuilder, np.ndarray] | None,
    fill: bool = True,
) -> tuple[FeatureBuilder, np.ndarray, np.ndarray]:
    """The builder and training matrix: ``features`` when given (fitted on ``train`` by the
    caller, with its text models' out-of-fold columns), else fitted here."""
    y = encode_target(task, train[task.target])
    if features is not None:
        builder, X = features
        if X.shape[0] != train.height:
            raise ValueError(f"features has {X.shape[0]} rows but train has {train.height}.")
        return builder, X, y
    builder = FeatureBuilder(target=task.target, types=dict(types or {}))
    X = builder.fit_transform(train, fill=fill, text=text_target(task, y, seed))
    return builder, X, y


@dataclass
class FittedModel:
    """A trained model that takes raw rows (any frame or records) and returns predictions.

    ``estimator`` is one fitted estimator, or a :class:`VotingEnsemble` (``learner`` is then
    ``"ensemble"`` and ``params["members"]`` lists each member's learner, params and weight).
    With a ``calibrator``, :meth:`predict_proba` returns calibrated probabilities and
    :meth:`predict` their most likely class.
    """

    features: FeatureBuilder
    estimator: Any
    task: TaskInfo
    learner: str
    params: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    calibrator: Any = None
    background: Any = None  # a sample of training feature rows, for SHAP explanations

    @property
    def classes_(self) -> list[Any]:
        """Class labels in the column order of :meth:`predict_proba`."""
        return list(self.task.classes)

    @property
    def is_ensemble(self) -> bool:
        return isinstance(self.estimator, VotingEnsemble)

    def _calibrator(self) -> Any:
        return getattr(self, "calibrator", None)  # models pickled before calibration existed

    def predict(self, data: Any) -> np.ndarray:
        X = self.features.transform(to_polars(data))
        if self.task.is_classification and self._calibrator() is not None:
            pred = np.argmax(self._proba(X), axis=1)
        else:
            pred = self.estimator.predict(X)
        if self.task.is_classification:
            classes = np.asarray(self.task.classes, dtype=object)
            return classes[np.asarray(pred, dtype=np.int64)]
        return np.asarray(pred, dtype=np.float64)

    def predict_both(self, data: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions and (for classifiers) class probabilities from one feature transform;
        the same numbers as :meth:`predict` and :meth:`predict_proba`."""
        if not self.task.is_classification:
            return self.predict(data), None
        X = self.features.transform(to_polars(data))
        classes = np.asarray(self.task.classes, dtype=object)
        if self._calibrator() is not None:
            proba = self._proba(X)
            return classes[np.argmax(proba, axis=1)], proba
        pred = classes[np.asarray(self.estimator.predict(X), dtype=np.int64)]
        return pred, self._proba(X)

    def predict_proba(self, data: Any) -> np.ndarray:
        if not self.task.is_classification:
            raise TypeError("predict_proba is only defined for classification models.")
        return self._proba(self.features.transform(to_polars(data)))

    def _proba(self, X: np.ndarray) -> np.ndarray:
        proba = np.asarray(self.estimator.predict_proba(X), dtype=np.float64)
        calibrator = self._calibrator()
        return proba if calibrator is None else np.asarray(calibrator.transform(proba))


def fit_model(
    learner: str,
    params: dict[str, Any],
    train: pl.DataFrame,
    task: TaskInfo,
    seed: int,
    n_jobs: int = -1,
    types: dict[str, ColumnType] | None = None,
    calibrator: Any = None,
    features: tuple[FeatureBuilder, np.ndarray] | None = None,
) -> FittedModel:
    """Fit features and the estimator on ``train`` (which holds the target column).

    ``types`` are the ETL's column types, applied again to prediction input; ``calibrator``
    (already fitted, e.g. on out-of-fold probabilities) is kept with the model. ``features``
    (a builder fitted on ``train`` and its filled training matrix, as
    :meth:`FeatureBuilder.fit_transform` returns it) skips fitting the features again.
    """
    builder, X, y = _features(train, task, seed, types, features)
    est = get_learner(learner).make_estimator(
        params, task, seed, n_jobs=n_jobs, **estimator_options(learner, builder)
    )
    est.fit(X, y)
    return FittedModel(builder, est, task, learner, dict(params), calibrator=calibrator)


def fit_ensemble(
    members: Sequence[tuple[str, dict[str, Any]]],
    weights: Sequence[float],
    train: pl.DataFrame,
    task: TaskInfo,
    seed: int,
    n_jobs: int = -1,
    types: dict[str, ColumnType] | None = None,
    calibrator: Any = None,
    features: tuple[FeatureBuilder, np.ndarray] | None = None,
) -> FittedModel:
    """Refit each ``(learner, params)`` member on ``train`` and average them with ``weights``.

    Members with weight 0 are skipped. ``weights`` typically come from
    :func:`~fas_ray.ml._ensemble.caruana_ensemble` over the members' out-of-fold predictions.
    ``features``: as for :func:`fit_model`.

    Raises:
        ValueError: members and weights differ in length, or no weight is positive.
    """
    if len(members) != len(weights):
        raise ValueError(f"{len(members)} ensemble members but {len(weights)} weights.")
    kept = [(m, float(w)) for m, w in zip(members, weights, strict=True) if w > 0]
    if not kept:
        raise ValueError("An ensemble needs at least one member with a positive weight.")
    builder, X, y = _features(train, task, seed, types, features)
    estimators = []
    for (learner, params), _ in kept:
        est = get_learner(learner).make_estimator(
            params, task, seed, n_jobs=n_jobs, **estimator_options(learner, builder)
        )
        estimators.append(est.fit(X, y))
    total = sum(w for _, w in kept)
    n_classes = len(task.classes) if task.is_classification else None
    ensemble = VotingEnsemble(estimators, [w / total for _, w in kept], n_classes)
    described = [
        {"learner": learner, "params": dict(params), "weight": w / total}
        for (learner, params), w in kept
    ]
    return FittedModel(
        builder, ensemble, task, ENSEMBLE, {"members": described}, calibrator=calibrator
    )


def fit_bagged(
    members: Sequence[tuple[str, dict[str, Any]]],
    weights: Sequence[float],
    train: pl.DataFrame,
    task: TaskInfo,
    seed: int,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    n_jobs: int = -1,
    types: dict[str, ColumnType] | None = None,
    calibrator: Any = None,
    features: tuple[FeatureBuilder, np.ndarray] | None = None,
) -> FittedModel:
    """Each member fitted once per CV fold (its training rows; boosting stops early on the
    fold's validation rows, as in the search), all fold models averaged: the models whose
    out-of-fold predictions chose the ensemble and fitted the calibrator, instead of one refit
    on all rows (AutoGluon's bagging).

    ``members``' ``n_estimators`` (the rounds a search kept) caps each boosting fold model.
    Each fold's missing values are filled from its training rows, as in the search
    (:class:`~fas_ray.features.FoldFill`); predictions use the fill values of all rows.
    The estimator is a :class:`VotingEnsemble` of ``len(members) * len(folds)`` models, each
    member's weight shared by its folds; ``learner`` is the member's learner for one member.
    ``features``: as for :func:`fit_model`, but the matrix built with ``fill=False``.

    Raises:
        ValueError: members and weights differ in length, no weight is positive, or no folds.
    """
    if len(members) != len(weights):
        raise ValueError(f"{len(members)} ensemble members but {len(weights)} weights.")
    kept = [(m, float(w)) for m, w in zip(members, weights, strict=True) if w > 0]
    if not kept or not folds:
        raise ValueError("Bagging needs a member with a positive weight and at least one fold.")
    if features is None:  # the text models' out-of-fold columns from these same folds
        y = encode_target(task, train[task.target])
        builder = FeatureBuilder(target=task.target, types=dict(types or {}))
        text = text_target(task, y, seed, folds=folds)
        features = builder, builder.fit_transform(train, fill=False, text=text)
    builder, X, y = _features(train, task, seed, types, features, fill=False)
    fold_fill = builder.fold_fill()
    fold_matrices = [fold_fill.apply(X, train_idx, valid_idx) for train_idx, valid_idx in folds]
    total = sum(w for _, w in kept)
    estimators, shares = [], []
    for (learner, params), weight in kept:
        impl = get_learner(learner)
        fit_early = getattr(impl, "fit_early_stopping", None)
        for (train_idx, valid_idx), (X_train, X_valid) in zip(folds, fold_matrices, strict=True):
            est = impl.make_estimator(
                params, task, seed, n_jobs=n_jobs, **estimator_options(learner, builder)
            )
            if fit_early is not None:
                fit_early(est, X_train, y[train_idx], X_valid, y[valid_idx])
            else:
                est.fit(X_train, y[train_idx])
            estimators.append(est)
            shares.append(weight / total / len(folds))
    n_classes = len(task.classes) if task.is_classification else None
    described = [
        {"learner": learner, "params": dict(params), "weight": w / total}
        for (learner, params), w in kept
    ]
    name = kept[0][0][0] if len(kept) == 1 else ENSEMBLE
    return FittedModel(
        builder,
        VotingEnsemble(estimators, shares, n_classes),
        task,
        name,
        {"members": described, "bagged_folds": len(folds)},
        calibrator=calibrator,
    )
