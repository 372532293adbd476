"""scikit-learn's networks, quiet when they stop at their epoch cap, and a balanced classifier.

Stopping at ``max_iter`` is how the MLP learner bounds its cost, not a fault, so its
``ConvergenceWarning`` is not shown. ``MLPClassifier`` has no ``class_weight``; the balanced
subclass passes balanced sample weights to ``fit``. The classes live in their own module so
that pickled models find them again.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.class_weight import compute_sample_weight

__all__ = ["BalancedMLPClassifier", "CappedMLPClassifier", "CappedMLPRegressor"]


class CappedMLPClassifier(MLPClassifier):
    """``MLPClassifier`` whose epoch cap is not warned about."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y, sample_weight=sample_weight)


class BalancedMLPClassifier(CappedMLPClassifier):
    """``MLPClassifier`` fitted with ``compute_sample_weight("balanced", y)`` by default."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        if sample_weight is None:
            sample_weight = compute_sample_weight("balanced", np.asarray(y))
        return super().fit(X, y, sample_weight=sample_weight)


class CappedMLPRegressor(MLPRegressor):
    """``MLPRegressor`` whose epoch cap is not warned about."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y, sample_weight=sample_weight)
