"""Plotly figures for data and models, and their export to offline HTML and PNG.

Builders take data (polars DataFrames, numpy arrays, lists) and return a
``plotly.graph_objects.Figure``; they read and write no files. :func:`to_html`, :func:`to_png`
and :func:`export_png` (PNG within a time limit) write figures to disk.

Example:
    >>> import polars as pl
    >>> from fas_ray import viz
    >>> fig = viz.box_plots(pl.DataFrame({"a": [1.0, 2.0, 3.0, 9.0]}))
    >>> fig.layout.template.layout.paper_bgcolor
    'white'
"""

from fas_ray.viz._cluster import cluster_chart
from fas_ray.viz._data import (
    box_plots,
    correlation_heatmap,
    distribution,
    scatter_matrix,
    time_series,
)
from fas_ray.viz._export import PngExport, export_png, to_html, to_html_page, to_png
from fas_ray.viz._forecast import backtest_chart, forecast_chart
from fas_ray.viz._model import (
    calibration_curve,
    feature_importance,
    precision_recall_curve,
    predicted_vs_actual,
    roc_curve,
    search_history,
)
from fas_ray.viz._shap import residuals_vs_predicted, shap_beeswarm

__all__ = [
    "PngExport",
    "backtest_chart",
    "box_plots",
    "calibration_curve",
    "cluster_chart",
    "correlation_heatmap",
    "distribution",
    "export_png",
    "feature_importance",
    "forecast_chart",
    "precision_recall_curve",
    "predicted_vs_actual",
    "residuals_vs_predicted",
    "roc_curve",
    "scatter_matrix",
    "search_history",
    "shap_beeswarm",
    "time_series",
    "to_html",
    "to_html_page",
    "to_png",
]
