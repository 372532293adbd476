"""CatBoost's estimators as the other learners behave, and with category columns.

``CatBoostClassifier.predict`` returns a column ``(n, 1)`` for multiclass tasks; every other
learner returns ``(n,)``, and :class:`FlatCatBoostClassifier` does too.

CatBoost treats ``cat_features`` as categories (ordered target statistics, its main strength on
tables with categories) but refuses them as floats, which is what ``FeatureBuilder`` gives. The
``Categorical*`` subclasses turn a float matrix into a frame whose category columns are
integers before CatBoost sees it (``fit``, its early-stopping set, ``predict``,
``predict_proba``), and :meth:`tree_input` does it for SHAP's TreeExplainer.

This module is imported only when a CatBoost model is built, so importing the learners does not
import CatBoost, and pickled models find the classes again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from catboost import CatBoostClassifier, CatBoostRegressor

__all__ = [
    "CategoricalCatBoostClassifier",
    "CategoricalCatBoostRegressor",
    "FlatCatBoostClassifier",
]


class FlatCatBoostClassifier(CatBoostClassifier):
    """``CatBoostClassifier`` whose ``predict`` returns one label per row, shape ``(n,)``."""

    def predict(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        out = super().predict(data, *args, **kwargs)
        if kwargs.get("prediction_type", args[0] if args else "Class") != "Class":
            return out
        return np.asarray(out).reshape(-1)


class _CategoryInput:
    """Matrices become frames with integer ``cat_features`` columns on their way in."""

    def tree_input(self, X: Any) -> Any:
        """``X`` as CatBoost takes it: a frame whose category columns hold integer codes."""
        import pandas as pd

        if isinstance(X, pd.DataFrame):
            return X
        frame = pd.DataFrame(np.asarray(X, dtype=np.float64))
        for i in self.get_param("cat_features") or ():  # type: ignore[attr-defined]
            frame[i] = frame[i].fillna(-1.0).astype(np.int64)
        return frame

    def fit(self, X: Any, y: Any = None, *args: Any, eval_set: Any = None, **kwargs: Any) -> Any:
        if eval_set is not None:
            X_valid, y_valid = eval_set
            eval_set = (self.tree_input(X_valid), y_valid)
        return super().fit(self.tree_input(X), y, *args, eval_set=eval_set, **kwargs)  # type: ignore[misc]

    def predict(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        return super().predict(self.tree_input(data), *args, **kwargs)  # type: ignore[misc]

    def predict_proba(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        return super().predict_proba(self.tree_input(data), *args, **kwargs)  # type: ignore[misc]


class CategoricalCatBoostClassifier(_CategoryInput, FlatCatBoostClassifier):
    """:class:`FlatCatBoostClassifier` that takes float matrices with ``cat_features``."""


class CategoricalCatBoostRegressor(_CategoryInput, CatBoostRegressor):
    """``CatBoostRegressor`` that takes float matrices with ``cat_features``."""
