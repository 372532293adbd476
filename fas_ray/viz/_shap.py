"""SHAP summary (beeswarm) and residual charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from fas_ray.exceptions import InputError
from fas_ray.viz._common import as_float_array, style

__all__ = ["residuals_vs_predicted", "shap_beeswarm"]


def shap_beeswarm(
    beeswarm: Mapping[str, Mapping[str, Sequence[Any]]], output: str = "", seed: int = 0
) -> go.Figure:
    """The SHAP summary: one row of points per feature (most important on top), each point a
    sampled row at its SHAP value, coloured by the feature's value (low blue → high red).

    Args:
        beeswarm: feature → ``{"shap": [...], "value": [...]}`` in importance order (what
            :meth:`fas_ray.explain.ShapExplanation.to_json` gives under ``"beeswarm"``).
        output: the explained output, for the title.
        seed: the vertical jitter's seed.

    Example:
        >>> fig = shap_beeswarm({"a": {"shap": [0.1, -0.2], "value": [1.0, 0.0]}})
        >>> fig.data[0].y.tolist() != []
        True
    """
    if not beeswarm:
        raise InputError("No SHAP values to draw; explain at least one feature.")
    rng = np.random.default_rng(seed)
    names = list(beeswarm)
    fig = go.Figure()
    for rank, name in enumerate(names):
        shap_values = as_float_array(beeswarm[name]["shap"], f"{name} shap")
        raw = [np.nan if v is None else v for v in beeswarm[name]["value"]]
        values = np.asarray(raw, dtype=np.float64)
        if values.size != shap_values.size:
            raise InputError(f"{name}: {shap_values.size} SHAP values for {values.size} values.")
        finite = values[np.isfinite(values)]
        lo, hi = (np.quantile(finite, 0.05), np.quantile(finite, 0.95)) if finite.size else (0, 1)
        colour = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
        y = len(names) - 1 - rank + rng.uniform(-0.3, 0.3, shap_values.size)
        fig.add_trace(
            go.Scattergl(
                x=shap_values,
                y=y,
                mode="markers",
                name=name,
                showlegend=False,
                marker={
                    "size": 5,
                    "color": np.nan_to_num(colour, nan=0.5),
                    "colorscale": "RdBu_r",
                    "cmin": 0,
                    "cmax": 1,
                    "showscale": rank == 0,
                    "colorbar": {
                        "title": {"text": "feature value"},
                        "tickvals": [0, 1],
                        "ticktext": ["low", "high"],
                    },
                },
                customdata=values,
                hovertemplate=f"{name}<br>SHAP %{{x:.4g}}<br>value %{{customdata:.4g}}"
                "<extra></extra>",
            )
        )
    title = "SHAP summary" + (f" ({output})" if output else "")
    return style(
        fig,
        title,
        "SHAP value (impact on the model output)",
        "feature",
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(names))),
            "ticktext": names[::-1],
        },
        height=max(400, 28 * len(names) + 150),
    )


def residuals_vs_predicted(y_true: object, y_pred: object) -> go.Figure:
    """Residuals (predicted − actual) against the predictions, with the zero line.

    Example:
        >>> residuals_vs_predicted([1.0, 2.0], [1.5, 1.5]).data[0].y.tolist()
        [0.5, -0.5]
    """
    actual = as_float_array(y_true, "y_true")
    predicted = as_float_array(y_pred, "y_pred")
    if actual.size != predicted.size or actual.size == 0:
        raise InputError(
            f"y_true ({actual.size}) and y_pred ({predicted.size}) need one value per row."
        )
    residual = predicted - actual
    fig = go.Figure(
        [
            go.Scatter(
                x=predicted,
                y=residual,
                mode="markers",
                name="rows",
                marker={"size": 6, "opacity": 0.6},
                hovertemplate="predicted %{x:.4g}<br>residual %{y:.4g}<extra></extra>",
            ),
            go.Scatter(
                x=[float(predicted.min()), float(predicted.max())],
                y=[0.0, 0.0],
                mode="lines",
                name="zero",
                line={"dash": "dash", "color": "grey"},
            ),
        ]
    )
    return style(fig, "Residuals vs predicted", "predicted", "residual (predicted − actual)")
