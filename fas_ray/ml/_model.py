"""FittedModel: features + estimator + label mapping, the unit the registry stores and serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from fas_ray.etl import ColumnType
from fas_ray.features import FeatureBuilder, to_polars
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners import get_learner

__all__ = ["FittedModel", "encode_target", "fit_model"]


def encode_target(task: TaskInfo, y: pl.Series) -> np.ndarray:
    """Class labels → ``0..k-1`` in ``task.classes`` order; regression targets → float."""
    if not task.is_classification:
        return y.cast(pl.Float64).to_numpy()
    lookup = {c: i for i, c in enumerate(task.classes)}
    return np.fromiter((lookup[v] for v in y.to_list()), dtype=np.int64, count=y.len())


@dataclass
class FittedModel:
    """A trained model that takes raw rows (any frame or records) and returns predictions."""

    features: FeatureBuilder
    estimator: Any
    task: TaskInfo
    learner: str
    params: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def classes_(self) -> list[Any]:
        """Class labels in the column order of :meth:`predict_proba`."""
        return list(self.task.classes)

    def predict(self, data: Any) -> np.ndarray:
        X = self.features.transform(to_polars(data))
        pred = self.estimator.predict(X)
        if self.task.is_classification:
            classes = np.asarray(self.task.classes, dtype=object)
            return classes[np.asarray(pred, dtype=np.int64)]
        return np.asarray(pred, dtype=np.float64)

    def predict_proba(self, data: Any) -> np.ndarray:
        if not self.task.is_classification:
            raise TypeError("predict_proba is only defined for classification models.")
        X = self.features.transform(to_polars(data))
        return np.asarray(self.estimator.predict_proba(X), dtype=np.float64)


def fit_model(
    learner: str,
    params: dict[str, Any],
    train: pl.DataFrame,
    task: TaskInfo,
    seed: int,
    n_jobs: int = -1,
    types: dict[str, ColumnType] | None = None,
) -> FittedModel:
    """Fit features and the estimator on ``train`` (which holds the target column).

    ``types`` are the ETL's column types, applied again to prediction input.
    """
    builder = FeatureBuilder(target=task.target, types=dict(types or {})).fit(train)
    X = builder.transform(train)
    y = encode_target(task, train[task.target])
    est = get_learner(learner).make_estimator(params, task, seed, n_jobs=n_jobs)
    est.fit(X, y)
    return FittedModel(builder, est, task, learner, dict(params))
