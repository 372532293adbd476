"""scikit-learn's ``MLPClassifier`` weighing classes inversely to their frequency.

``MLPClassifier`` has no ``class_weight``; this subclass passes balanced sample weights to
``fit``. It lives in its own module so that pickled models find the class again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.utils.class_weight import compute_sample_weight

__all__ = ["BalancedMLPClassifier"]


class BalancedMLPClassifier(MLPClassifier):
    """``MLPClassifier`` fitted with ``compute_sample_weight("balanced", y)`` by default."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        if sample_weight is None:
            sample_weight = compute_sample_weight("balanced", np.asarray(y))
        return super().fit(X, y, sample_weight=sample_weight)
