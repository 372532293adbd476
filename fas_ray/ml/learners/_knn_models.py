"""scikit-learn's nearest-neighbour models with a cap on the rows they keep, and a balanced
classifier.

A k-NN model keeps its training rows and compares every row it predicts with all of them, so
its prediction cost grows with the training rows: the models here keep a seeded sample of at
most ``max_rows`` (every class keeps at least its rows in the sample, or all of them when
rarer). The classifiers' probabilities keep ``SMOOTHING`` of their mass spread evenly over
the ``K`` classes, ``(1 - s) p + s / K``: a unanimous vote is not certainty, so one wrong row
costs a log-loss of about 8 (3 classes) instead of 34 when k-NN is the model chosen alone. The
share is small because k-NN's value is in ensembles, where the other members bound it anyway:
on scikit-learn's digits, ``s = 0.01`` lowered k-NN's share and raised the held-out log-loss
of a LightGBM + linear + k-NN ensemble from 0.060 to 0.070 (0.001: 0.061). The order of the
classes in each row, so the predicted class and ROC-AUC, stays the same.
``KNeighborsClassifier`` takes no class weights; the balanced classifier divides its
probabilities by the classes' training shares and renormalises (the neighbours' vote as if
every class were equally common). The classes live in their own module so that pickled models
find them again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

__all__ = [
    "SMOOTHING",
    "BalancedKNNClassifier",
    "CappedKNNClassifier",
    "CappedKNNRegressor",
    "capped_rows",
]

SMOOTHING = 0.001  # share of each row's probability spread evenly over the classes


def capped_rows(y: np.ndarray, max_rows: int, seed: int, *, by_class: bool) -> np.ndarray:
    """Sorted row indices: all rows when there are at most ``max_rows``, else a seeded sample
    of ``max_rows`` to which every class the sample missed adds back its rows (``by_class``)."""
    n = len(y)
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    keep = rng.choice(n, size=max_rows, replace=False)
    if by_class:
        missed = np.setdiff1d(np.unique(y), np.unique(y[keep]))
        if missed.size:
            keep = np.concatenate([keep, np.flatnonzero(np.isin(y, missed))])
    return np.sort(keep)


class CappedKNNClassifier(KNeighborsClassifier):
    """``KNeighborsClassifier`` that keeps at most ``max_rows`` training rows."""

    def __init__(
        self,
        n_neighbors: int = 5,
        *,
        weights: str = "uniform",
        max_rows: int = 20_000,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        super().__init__(n_neighbors=n_neighbors, weights=weights, n_jobs=n_jobs)
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> Any:
        y = np.asarray(y)
        rows = capped_rows(y, self.max_rows, self.random_state, by_class=True)
        self.n_neighbors = min(int(self.get_params()["n_neighbors"]), len(rows))
        return super().fit(np.asarray(X)[rows], y[rows])

    def predict_proba(self, X: Any) -> np.ndarray:
        votes = np.asarray(super().predict_proba(X), dtype=np.float64)
        return (1.0 - SMOOTHING) * votes + SMOOTHING / votes.shape[1]


class BalancedKNNClassifier(CappedKNNClassifier):
    """The capped classifier whose probabilities are divided by each class's training share."""

    def fit(self, X: Any, y: Any) -> Any:
        super().fit(X, y)
        counts = np.bincount(np.searchsorted(self.classes_, np.asarray(y)))
        self.class_share_ = counts / counts.sum()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        proba = np.asarray(super().predict_proba(X)) / self.class_share_
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_)[np.argmax(self.predict_proba(X), axis=1)]


class CappedKNNRegressor(KNeighborsRegressor):
    """``KNeighborsRegressor`` that keeps at most ``max_rows`` training rows."""

    def __init__(
        self,
        n_neighbors: int = 5,
        *,
        weights: str = "uniform",
        max_rows: int = 20_000,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        super().__init__(n_neighbors=n_neighbors, weights=weights, n_jobs=n_jobs)
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> Any:
        y = np.asarray(y)
        rows = capped_rows(y, self.max_rows, self.random_state, by_class=False)
        self.n_neighbors = min(int(self.get_params()["n_neighbors"]), len(rows))
        return super().fit(np.asarray(X)[rows], y[rows])
