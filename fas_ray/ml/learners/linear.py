"""Linear models on standardised features: logistic regression or ridge regression."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fas_ray.ml._space import Domain, FloatDomain
from fas_ray.ml._task import TaskInfo
from fas_ray.ml.learners._base import balance_defaults, balance_space, pop_balanced

__all__ = ["LinearLearner", "encoded_and_scaled"]

MAX_ONEHOT_CATEGORIES = 100  # per categorical column; rarer codes share one "infrequent" column


class LinearLearner:
    """``regularization`` is ``1 / C`` for logistic regression and ``alpha`` for ridge."""

    name = "linear"

    def search_space(self, task: TaskInfo | None = None) -> dict[str, Domain]:
        return balance_space({"regularization": FloatDomain(1e-4, 1e3, log=True)}, task)

    def default_params(self, task: TaskInfo | None = None) -> dict[str, Any]:
        """``C = 1`` / ``alpha = 1``, scikit-learn's defaults."""
        return balance_defaults({"regularization": 1.0}, task)

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
    ) -> Any:
        """A ``StandardScaler`` + model pipeline (``device`` is ignored: CPU only).

        Args:
            categorical: columns of ordinal category codes (``FeatureBuilder``'s
                ``categorical_indices``); they are one-hot encoded first, and a code not seen in
                training (such as ``-1``, an unknown category) encodes as all zeros.
        """
        from sklearn.linear_model import LogisticRegression, Ridge

        params, balanced = pop_balanced(params, task, balanced)
        strength = float(params["regularization"])
        if task.is_classification:
            model: Any = LogisticRegression(
                C=1.0 / strength,
                max_iter=2000,
                random_state=seed,
                class_weight="balanced" if balanced else None,
            )
        else:
            model = Ridge(alpha=strength, random_state=seed)
        return encoded_and_scaled(model, categorical)


def encoded_and_scaled(model: Any, categorical: Sequence[int] = ()) -> Any:
    """``model`` after ``StandardScaler``, and first a one-hot encoding of the ``categorical``
    code columns (at most ``MAX_ONEHOT_CATEGORIES`` per column; an unseen code encodes as all
    zeros)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    scaled = make_pipeline(StandardScaler(), model)
    if not categorical:
        return scaled
    onehot = OneHotEncoder(
        handle_unknown="ignore", max_categories=MAX_ONEHOT_CATEGORIES, sparse_output=False
    )
    encode = ColumnTransformer([("onehot", onehot, list(categorical))], remainder="passthrough")
    # nested, so the outer pipeline's last step has no ``coef_``: SHAP then explains the
    # model over the builder's features, not over the one-hot columns
    return Pipeline([("encode", encode), ("model", scaled)])
