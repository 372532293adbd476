"""Figures of a clustering: the rows' 2-D projection coloured by cluster."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from fas_ray.exceptions import InputError
from fas_ray.viz._common import as_label_array, style

__all__ = ["cluster_chart"]

_NOISE = "#b0b0b0"


def cluster_chart(
    coords: object,
    labels: object,
    *,
    axis_titles: Sequence[str] = ("component 1", "component 2"),
    title: str = "Clusters (2-D projection)",
) -> go.Figure:
    """A scatter of 2-D coordinates (e.g. the PCA of the clustering space), one trace per
    cluster (``cluster 0``, ...), largest first; label ``-1`` (noise) is drawn grey as
    ``noise``.

    Example:
        >>> fig = cluster_chart([[0, 0], [1, 1], [5, 5]], [0, 0, 1])
        >>> [t.name for t in fig.data]
        ['cluster 0 (2)', 'cluster 1 (1)']
    """
    try:
        xy = np.asarray(coords, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"coords must hold numbers ({exc}); pass an (n, 2) array.") from exc
    y = as_label_array(labels, "labels")
    if xy.ndim != 2 or xy.shape[1] not in (1, 2):
        raise InputError(f"coords must have shape (n, 2), got {xy.shape}; project to 2-D first.")
    if xy.shape[0] != y.size:
        raise InputError(
            f"coords has {xy.shape[0]} rows but labels has {y.size}; pass one label per row."
        )
    if xy.shape[1] == 1:  # one feature: the second axis is zero
        xy = np.column_stack([xy[:, 0], np.zeros(len(xy))])
    found, counts = np.unique(y, return_counts=True)
    order = sorted(range(found.size), key=lambda i: (str(found[i]) == "-1", -counts[i]))
    fig = go.Figure()
    for i in order:
        label, rows = found[i], y == found[i]
        noise = str(label) == "-1"
        fig.add_trace(
            go.Scatter(
                x=xy[rows, 0],
                y=xy[rows, 1],
                mode="markers",
                name=f"{'noise' if noise else f'cluster {label}'} ({counts[i]})",
                marker={"size": 5, "opacity": 0.7, **({"color": _NOISE} if noise else {})},
            )
        )
    return style(fig, title, axis_titles[0], axis_titles[1], legend={"title": {"text": "cluster"}})
