"""Explanations of fitted models: SHAP importance and error analysis."""

from fas_ray.explain._errors import Slice, error_analysis, worst_slices
from fas_ray.explain._shap import FeatureImportance, shap_importance
from fas_ray.explain._sized import ShapSize, SizedExplanation, explain_within
from fas_ray.explain._values import ShapExplanation, explain_fitted, explain_matrix

__all__ = [
    "FeatureImportance",
    "ShapExplanation",
    "ShapSize",
    "SizedExplanation",
    "Slice",
    "error_analysis",
    "explain_fitted",
    "explain_matrix",
    "explain_within",
    "shap_importance",
    "worst_slices",
]
