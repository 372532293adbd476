"""scikit-learn random forest: bootstrapped trees on the best of random feature subsets."""

from __future__ import annotations

from fas_ray.ml.learners._forest import ForestLearner

__all__ = ["RandomForestLearner"]


class RandomForestLearner(ForestLearner):
    name = "random_forest"
    classifier = "RandomForestClassifier"
    regressor = "RandomForestRegressor"
    bootstrap_default = True
