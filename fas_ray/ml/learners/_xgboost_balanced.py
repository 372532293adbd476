"""An XGBoost classifier that weighs classes inversely to their frequency.

XGBoost has no ``class_weight``; this subclass passes balanced sample weights to ``fit``. It
lives in its own module, imported only when a balanced model is built, so importing the
learners does not import XGBoost, and pickled models find the class again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight
from xgboost import XGBClassifier

__all__ = ["BalancedXGBClassifier"]


class BalancedXGBClassifier(XGBClassifier):
    """``XGBClassifier`` fitted with ``compute_sample_weight("balanced", y)`` by default."""

    def fit(self, X: Any, y: Any, *, sample_weight: Any = None, **kwargs: Any) -> Any:
        if sample_weight is None:
            sample_weight = compute_sample_weight("balanced", np.asarray(y))
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)
