"""Explanations of fitted models: SHAP importance and error analysis."""

from fas_ray.explain._errors import Slice, error_analysis, worst_slices
from fas_ray.explain._shap import FeatureImportance, shap_importance
from fas_ray.explain._values import ShapExplanation, explain_fitted, explain_matrix

__all__ = [
    "FeatureImportance",
    "ShapExplanation",
    "Slice",
    "error_analysis",
    "explain_fitted",
    "explain_matrix",
    "shap_importance",
    "worst_slices",
]
