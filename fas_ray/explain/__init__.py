"""Explanations of fitted models."""

from fas_ray.explain._shap import FeatureImportance, shap_importance

__all__ = ["FeatureImportance", "shap_importance"]
