"""CatBoost's classifier with scikit-learn's ``predict`` shape.

``CatBoostClassifier.predict`` returns a column ``(n, 1)`` for multiclass tasks; every other
learner returns ``(n,)``. This subclass lives in its own module, imported only when a CatBoost
model is built, so importing the learners does not import CatBoost, and pickled models find
the class again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from catboost import CatBoostClassifier

__all__ = ["FlatCatBoostClassifier"]


class FlatCatBoostClassifier(CatBoostClassifier):
    """``CatBoostClassifier`` whose ``predict`` returns one label per row, shape ``(n,)``."""

    def predict(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        out = super().predict(data, *args, **kwargs)
        if kwargs.get("prediction_type", args[0] if args else "Class") != "Class":
            return out
        return np.asarray(out).reshape(-1)
