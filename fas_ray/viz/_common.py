"""What every figure builder shares: input checks that raise :class:`InputError`, and styling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl

from fas_ray.exceptions import InputError

__all__ = [
    "TEMPLATE",
    "as_float_array",
    "as_label_array",
    "column_list",
    "is_numeric",
    "numeric_columns",
    "require_columns",
    "require_frame",
    "style",
]

TEMPLATE = "plotly_white"
_MAX_LISTED = 20


def style(
    fig: go.Figure,
    title: str,
    x_title: str,
    y_title: str,
    *,
    xaxis: dict[str, Any] | None = None,
    yaxis: dict[str, Any] | None = None,
    **layout: Any,
) -> go.Figure:
    """Give ``fig`` the house look: a title, axis titles and the ``plotly_white`` template.

    ``xaxis``/``yaxis`` add axis settings (range, type, ...); ``layout`` any other layout.
    """
    fig.update_layout(
        title={"text": title},
        template=TEMPLATE,
        xaxis={**(xaxis or {}), "title": {"text": x_title}},
        yaxis={**(yaxis or {}), "title": {"text": y_title}},
        **layout,
    )
    return fig


def column_list(names: Sequence[str]) -> str:
    """``a, b, c`` (at most 20 names, then ``...``) for error messages."""
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (", ..." if len(names) > _MAX_LISTED else "")


def require_frame(df: object) -> pl.DataFrame:
    """Return ``df`` if it is a non-empty polars DataFrame; raise :class:`InputError` otherwise."""
    if not isinstance(df, pl.DataFrame):
        raise InputError(
            f"Expected a polars DataFrame, got {type(df).__name__}; "
            "convert it with pl.DataFrame(...) or pl.from_pandas(...)."
        )
    if df.width == 0 or df.height == 0:
        raise InputError(
            f"The data frame is empty ({df.height} rows, {df.width} columns); "
            "pass data with at least one row."
        )
    return df


def require_columns(df: pl.DataFrame, names: Sequence[str]) -> None:
    """Raise :class:`InputError` naming the first of ``names`` that ``df`` lacks."""
    for name in names:
        if name not in df.columns:
            raise InputError(
                f"The column {name!r} is not in the data. Columns: {column_list(df.columns)}."
            )


def is_numeric(dtype: pl.DataType) -> bool:
    """Integers, floats and decimals; booleans are categories here, not numbers."""
    return bool(dtype.is_numeric())


def numeric_columns(df: pl.DataFrame) -> list[str]:
    """The numeric columns of ``df``, in frame order."""
    return [name for name, dtype in df.schema.items() if is_numeric(dtype)]


def as_float_array(values: object, name: str) -> np.ndarray:
    """``values`` as a 1-D float64 array; :class:`InputError` if empty or not numeric."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must hold numbers ({exc}); pass numeric values.") from exc
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {arr.shape}; flatten it.")
    if arr.size == 0:
        raise InputError(f"{name} is empty; pass at least one value.")
    return arr


def as_label_array(values: object, name: str) -> np.ndarray:
    """``values`` as a 1-D array of labels (any dtype); :class:`InputError` if empty."""
    arr = values.to_numpy() if isinstance(values, pl.Series) else np.asarray(values)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {arr.shape}; flatten it.")
    if arr.size == 0:
        raise InputError(f"{name} is empty; pass at least one value.")
    return arr
