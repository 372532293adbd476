"""Feature building, fitted on training rows and saved with the model."""

from fas_ray.features._folds import FoldFill
from fas_ray.features._tabular import ColumnSpec, FeatureBuilder, estimator_options, to_polars

__all__ = ["ColumnSpec", "FeatureBuilder", "FoldFill", "estimator_options", "to_polars"]
