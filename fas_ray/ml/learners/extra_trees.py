"""scikit-learn extremely randomised trees: random split points, no bootstrap by default.

More randomness than a random forest, so lower variance and a different error pattern, which
makes it a good ensemble partner for the boosted learners.
"""

from __future__ import annotations

from fas_ray.ml.learners._forest import ForestLearner

__all__ = ["ExtraTreesLearner"]


class ExtraTreesLearner(ForestLearner):
    name = "extra_trees"
    classifier = "ExtraTreesClassifier"
    regressor = "ExtraTreesRegressor"
    bootstrap_default = False
