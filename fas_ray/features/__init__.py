"""Feature building, fitted on training rows and saved with the model."""

from fas_ray.features._drift import DriftMonitor, FeatureReference, level_of, psi, reference_of
from fas_ray.features._folds import FoldFill
from fas_ray.features._tabular import ColumnSpec, FeatureBuilder, estimator_options, to_polars

__all__ = [
    "ColumnSpec",
    "DriftMonitor",
    "FeatureBuilder",
    "FeatureReference",
    "FoldFill",
    "estimator_options",
    "level_of",
    "psi",
    "reference_of",
    "to_polars",
]
