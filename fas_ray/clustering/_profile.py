"""What each cluster is: its size and share, its numeric means next to the whole table's, its
most frequent categories, and what sets it apart from the other rows.

"What sets it apart" ranks the clustering's standardised features (z-scores of numbers and
date parts, standardised category indicators ``city = Paris``) by the difference between the
cluster's mean and the other rows' mean, in standard deviations of the whole table; the
``APART`` largest differences are listed with their direction (higher / lower).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from fas_ray.clustering._space import ClusterSpace

__all__ = ["APART", "TOP_CATEGORIES", "cluster_profile"]

APART = 5
TOP_CATEGORIES = 3
_LABEL = "__cluster__"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else round(value, 6)


def cluster_profile(
    frame: pl.DataFrame,
    labels: np.ndarray,
    space: ClusterSpace,
    standardised: np.ndarray,
) -> dict[str, Any]:
    """The profile of the clusters ``labels`` of ``frame``'s rows (``-1``: noise, listed last
    as its own group).

    Args:
        frame: the rows as the feature builder reads them (normalised names, typed values).
        labels: each row's cluster.
        space: the fitted clustering space (which columns are numbers and categories).
        standardised: ``space.standardised`` of the rows (columns: ``space.feature_names``).

    Returns:
        ``{"rows", "overall": {"means"}, "clusters": [{"cluster", "size", "share", "means",
        "top_categories", "apart": [{"feature", "difference", "direction"}]}]}``.
    """
    numeric = [b.column for b in space.blocks if b.kind == "numeric" and b.column in frame.columns]
    numbers = [c for c in numeric if frame[c].dtype.is_numeric() or frame[c].dtype == pl.Boolean]
    categorical = [
        b.column for b in space.blocks if b.kind == "categorical" and b.column in frame.columns
    ]
    n = len(labels)
    data = frame.select(numbers + categorical).with_columns(pl.Series(_LABEL, labels))
    means = data.group_by(_LABEL).agg([pl.col(c).cast(pl.Float64).mean() for c in numbers])
    by_label = {row[_LABEL]: row for row in means.to_dicts()}
    overall = data.select([pl.col(c).cast(pl.Float64).mean() for c in numbers]).to_dicts()[0]
    found = sorted({int(v) for v in np.unique(labels)}, key=lambda v: (v < 0, v))
    names = space.feature_names
    clusters = []
    for label in found:
        inside = labels == label
        size = int(inside.sum())
        apart: list[dict[str, Any]] = []
        if size < n:
            diff = standardised[inside].mean(axis=0) - standardised[~inside].mean(axis=0)
            for j in np.argsort(-np.abs(diff), kind="stable")[:APART]:
                apart.append(
                    {
                        "feature": names[j],
                        "difference": round(float(diff[j]), 4),
                        "direction": "higher" if diff[j] > 0 else "lower",
                    }
                )
        clusters.append(
            {
                "cluster": label,
                "size": size,
                "share": round(size / n, 6),
                "means": {c: _number(by_label[label][c]) for c in numbers},
                "top_categories": _top_categories(data, label, categorical, size),
                "apart": apart,
            }
        )
    return {
        "rows": n,
        "overall": {"means": {c: _number(overall[c]) for c in numbers}},
        "clusters": clusters,
    }


def _top_categories(
    data: pl.DataFrame, label: int, columns: list[str], size: int
) -> dict[str, list[dict[str, Any]]]:
    rows = data.filter(pl.col(_LABEL) == label)
    out: dict[str, list[dict[str, Any]]] = {}
    for column in columns:
        counts = (
            rows.select(pl.col(column).cast(pl.String))
            .drop_nulls()
            .group_by(column)
            .len()
            .sort(["len", column], descending=[True, False])
            .head(TOP_CATEGORIES)
        )
        out[column] = [
            {"value": value, "share": round(count / size, 6)} for value, count in counts.iter_rows()
        ]
    return out
