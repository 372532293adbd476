"""Figures that describe a data set: distributions, correlations, time series, boxes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl

from fas_ray.exceptions import InputError
from fas_ray.viz._common import (
    column_list,
    is_numeric,
    numeric_columns,
    require_columns,
    require_frame,
    style,
)

__all__ = [
    "box_plots",
    "correlation_heatmap",
    "distribution",
    "scatter_matrix",
    "time_series",
]

MAX_BINS = 100
MAX_CATEGORIES = 30
MAX_COLOR_GROUPS = 10
MAX_MATRIX_COLUMNS = 5
_OTHER = "(other)"
_MISSING = "(missing)"


def _bin_count(x: np.ndarray) -> int:
    """Freedman–Diaconis bins (Sturges when the IQR is 0), between 1 and :data:`MAX_BINS`."""
    n = x.size
    span = float(x.max() - x.min())
    if span == 0:
        return 1
    q25, q75 = np.percentile(x, [25, 75])
    iqr = float(q75 - q25)
    if iqr > 0:
        bins = math.ceil(span / (2 * iqr / n ** (1 / 3)))
    else:
        bins = math.ceil(math.log2(n)) + 1
    return max(1, min(bins, MAX_BINS))


def _histogram(x: np.ndarray) -> go.Bar:
    """Counts per bin computed here, so the figure stays small for any number of rows."""
    counts, edges = np.histogram(x, bins=_bin_count(x))
    return go.Bar(
        x=(edges[:-1] + edges[1:]) / 2,
        y=counts,
        width=np.diff(edges),
        customdata=np.column_stack([edges[:-1], edges[1:]]),
        hovertemplate="[%{customdata[0]:.4g}, %{customdata[1]:.4g}]: %{y}<extra></extra>",
        name="count",
    )


def _top_categories(series: pl.Series) -> go.Bar:
    """The :data:`MAX_CATEGORIES` most frequent values; the rest summed as ``(other)``."""
    counts = series.cast(pl.String).fill_null(_MISSING).value_counts(sort=True)
    labels = counts.to_series(0).to_list()[:MAX_CATEGORIES]
    values = counts.to_series(1).to_list()[:MAX_CATEGORIES]
    if counts.height > MAX_CATEGORIES:
        labels.append(f"{_OTHER} {counts.height - MAX_CATEGORIES} more")
        values.append(int(counts.to_series(1)[MAX_CATEGORIES:].sum()))
    return go.Bar(x=labels, y=values, name="count", hovertemplate="%{x}: %{y}<extra></extra>")


def distribution(df: pl.DataFrame, column: str) -> go.Figure:
    """A histogram of a numeric column, or a bar chart of the top categories of any other.

    Numeric columns get Freedman–Diaconis bins (at most 100), computed here and drawn as
    bars; nulls and non-finite values are left out and counted in the title. Strings,
    categoricals, booleans and dates get one bar per value, the 30 most frequent first and
    the rest summed into one ``(other)`` bar; nulls are a ``(missing)`` bar.

    Args:
        df: The data.
        column: The column to show.

    Returns:
        A figure with one ``bar`` trace.

    Example:
        >>> import polars as pl
        >>> fig = distribution(pl.DataFrame({"x": [1.0, 2.0, 2.5, 4.0]}), "x")
        >>> fig.data[0].type
        'bar'
    """
    df = require_frame(df)
    require_columns(df, [column])
    series = df[column]
    if series.dtype.is_nested() or series.dtype == pl.Object:
        raise InputError(
            f"The column {column!r} holds {series.dtype} values, which have no distribution "
            "to draw; pass a numeric, string, categorical, boolean or date column."
        )
    if not is_numeric(series.dtype):
        fig = go.Figure(_top_categories(series))
        return style(fig, f"Distribution of {column}", column, "count")

    x = series.cast(pl.Float64).to_numpy()
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise InputError(
            f"The column {column!r} has no finite values (all null, NaN or infinite); "
            "pick a column with data."
        )
    left_out = series.len() - x.size
    title = f"Distribution of {column}"
    if left_out:
        title += f" ({left_out} missing or non-finite left out)"
    fig = go.Figure(_histogram(x))
    return style(fig, title, column, "count", bargap=0)


def _pearson(X: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns of ``X`` over pairwise-complete (finite) rows.

    A pair with fewer than two shared rows, or a constant column, gets NaN.
    """
    k = X.shape[1]
    finite = np.isfinite(X)
    corr = np.full((k, k), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if finite.all():
            corr = np.atleast_2d(np.corrcoef(X, rowvar=False))
        else:
            for i in range(k):
                for j in range(i, k):
                    rows = finite[:, i] & finite[:, j]
                    if rows.sum() >= 2:
                        corr[i, j] = corr[j, i] = np.corrcoef(X[rows, i], X[rows, j])[0, 1]
    return np.clip(corr, -1.0, 1.0)


def correlation_heatmap(df: pl.DataFrame) -> go.Figure:
    """Pearson correlations between the numeric columns, on a diverging RdBu scale.

    Non-numeric columns are skipped; nulls are left out pair by pair. A constant column
    correlates with nothing and shows as blank cells.

    Args:
        df: The data; it needs at least two numeric columns.

    Returns:
        A figure with one ``heatmap`` trace, z in [-1, 1], centred on 0.

    Example:
        >>> import polars as pl
        >>> fig = correlation_heatmap(pl.DataFrame({"a": [1, 2, 3], "b": [3, 1, 2]}))
        >>> fig.data[0].zmid
        0
    """
    df = require_frame(df)
    names = numeric_columns(df)
    if len(names) < 2:
        raise InputError(
            f"A correlation heatmap needs at least 2 numeric columns, found {len(names)} "
            f"({column_list(names) or 'none'}); add numeric columns or cast them to numbers."
        )
    X = df.select(pl.col(names).cast(pl.Float64)).to_numpy()
    corr = _pearson(X)
    trace = go.Heatmap(
        z=corr,
        x=names,
        y=names,
        colorscale="RdBu",
        zmid=0,
        zmin=-1,
        zmax=1,
        colorbar={"title": {"text": "r"}},
        hovertemplate="%{y} × %{x}: r = %{z:.3f}<extra></extra>",
    )
    if len(names) <= 20:
        trace.update(texttemplate="%{z:.2f}")
    fig = go.Figure(trace)
    return style(
        fig,
        "Pearson correlation of numeric columns",
        "column",
        "column",
        yaxis={"autorange": "reversed"},
    )


def time_series(
    df: pl.DataFrame, time_column: str, value_columns: str | Sequence[str]
) -> go.Figure:
    """One line (with markers) per value column over a date or datetime column.

    Rows are sorted by time; the x axis is a date axis and the hover shows date and value.

    Args:
        df: The data.
        time_column: A ``Date`` or ``Datetime`` column.
        value_columns: One numeric column name or several.

    Returns:
        A figure with one ``scatter`` trace per value column.

    Example:
        >>> import datetime as dt
        >>> import polars as pl
        >>> days = [dt.date(2024, 1, d) for d in (1, 2, 3)]
        >>> fig = time_series(pl.DataFrame({"day": days, "y": [1, 3, 2]}), "day", "y")
        >>> fig.layout.xaxis.type
        'date'
    """
    df = require_frame(df)
    values = [value_columns] if isinstance(value_columns, str) else list(value_columns)
    if not values:
        raise InputError("value_columns is empty; name at least one numeric column to plot.")
    require_columns(df, [time_column, *values])
    time_dtype = df.schema[time_column]
    if not time_dtype.is_temporal() or time_dtype == pl.Time or time_dtype == pl.Duration:
        raise InputError(
            f"The time column {time_column!r} is {time_dtype}, not a date or datetime; "
            f"convert it first, e.g. pl.col({time_column!r}).str.to_datetime()."
        )
    for name in values:
        if not is_numeric(df.schema[name]):
            raise InputError(
                f"The value column {name!r} is {df.schema[name]}, not numeric; "
                "pass numeric columns or cast them with pl.col(...).cast(pl.Float64)."
            )
    data = df.select(time_column, *values).sort(time_column)
    date_format = "%Y-%m-%d" if time_dtype == pl.Date else "%Y-%m-%d %H:%M:%S"
    fig = go.Figure(
        [
            go.Scatter(
                x=data[time_column].to_list(),
                y=data[name].to_list(),
                mode="lines+markers",
                name=name,
                hovertemplate=f"%{{x|{date_format}}}<br>{name}: %{{y}}<extra></extra>",
            )
            for name in values
        ]
    )
    title = f"{', '.join(values)} over {time_column}"
    y_title = values[0] if len(values) == 1 else "value"
    return style(
        fig,
        title,
        time_column,
        y_title,
        xaxis={"type": "date"},
    )


def _matrix_columns(df: pl.DataFrame, columns: Sequence[str] | None) -> tuple[list[str], str]:
    """The columns to draw and a note for the title when some numeric ones were left out."""
    if columns is None:
        numeric = numeric_columns(df)
        picked = numeric[:MAX_MATRIX_COLUMNS]
        note = (
            f" (first {MAX_MATRIX_COLUMNS} of {len(numeric)} numeric columns)"
            if len(numeric) > MAX_MATRIX_COLUMNS
            else ""
        )
    else:
        picked = list(columns)
        if len(picked) > MAX_MATRIX_COLUMNS:
            raise InputError(
                f"A scatter matrix shows at most {MAX_MATRIX_COLUMNS} columns, got "
                f"{len(picked)}; pass {MAX_MATRIX_COLUMNS} or fewer."
            )
        require_columns(df, picked)
        for name in picked:
            if not is_numeric(df.schema[name]):
                raise InputError(
                    f"The column {name!r} is {df.schema[name]}, not numeric; "
                    "a scatter matrix needs numeric columns."
                )
        note = ""
    if len(picked) < 2:
        raise InputError(
            f"A scatter matrix needs at least 2 numeric columns, found {len(picked)}; "
            "add numeric columns or name them in columns=."
        )
    return picked, note


def scatter_matrix(
    df: pl.DataFrame, columns: Sequence[str] | None = None, color: str | None = None
) -> go.Figure:
    """Pairwise scatter plots of up to 5 numeric columns, lower triangle only.

    Without ``columns`` the first 5 numeric columns are used (the title says so when there
    are more); naming more than 5 raises :class:`InputError` rather than silently dropping
    some. A numeric ``color`` column colours points on a continuous scale; any other colours
    them by value, the 10 most frequent values each with a legend entry and the rest as
    ``(other)``.

    Args:
        df: The data.
        columns: The numeric columns to pair (2 to 5), or None for the first 5 numeric.
        color: A column to colour points by, or None.

    Returns:
        A figure with ``splom`` traces (one, or one per colour group); with exactly 2 columns,
        ``scatter`` traces of the one lower-triangle cell (plotly.js cannot draw that splom).

    Example:
        >>> import polars as pl
        >>> df = pl.DataFrame({"a": [1, 2, 3], "b": [2, 1, 3], "c": [3, 3, 1]})
        >>> [d.label for d in scatter_matrix(df).data[0].dimensions]
        ['a', 'b', 'c']
    """
    df = require_frame(df)
    picked, note = _matrix_columns(df, columns)
    if color is not None:
        require_columns(df, [color])
    dimensions = [{"label": name, "values": df[name].to_list()} for name in picked]
    common = {"showupperhalf": False, "diagonal": {"visible": False}}
    traces: list[go.Splom] = []
    if color is None:
        traces.append(go.Splom(dimensions=dimensions, marker={"size": 4}, **common))
    elif is_numeric(df.schema[color]):
        marker = {
            "size": 4,
            "color": df[color].to_list(),
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": {"title": {"text": color}},
        }
        traces.append(go.Splom(dimensions=dimensions, marker=marker, **common))
    else:
        groups = df[color].cast(pl.String).fill_null(_MISSING)
        top = groups.value_counts(sort=True).to_series(0).to_list()[:MAX_COLOR_GROUPS]
        for value in [*top, _OTHER]:
            mask = ~groups.is_in(top) if value == _OTHER else groups == value
            if not mask.any():
                continue
            dims = [{"label": name, "values": df[name].filter(mask).to_list()} for name in picked]
            traces.append(go.Splom(dimensions=dims, name=value, marker={"size": 4}, **common))
    if len(picked) == 2:
        # plotly.js cannot draw a 2-column splom without its diagonal and upper half (its one
        # lower-triangle cell): draw that cell as a plain scatter
        traces = [
            go.Scatter(
                x=t.dimensions[0]["values"],
                y=t.dimensions[1]["values"],
                mode="markers",
                name=t.name,
                marker={
                    k: v
                    for k, v in t.marker.to_plotly_json().items()
                    if k in ("size", "color", "colorscale", "showscale", "colorbar")
                },
                showlegend=t.name is not None,
            )
            for t in traces
        ]
        fig = go.Figure(traces)
        title = f"Scatter matrix{note}" + (f", coloured by {color}" if color else "")
        return style(fig, title, picked[0], picked[1], hovermode="closest")
    fig = go.Figure(traces)
    title = f"Scatter matrix{note}" + (f", coloured by {color}" if color else "")
    # a splom titles its axes with the dimension labels; the generic ones below stay hidden
    return style(fig, title, "column", "column", dragmode="select", hovermode="closest")


def box_plots(df: pl.DataFrame, columns: Sequence[str] | None = None) -> go.Figure:
    """One box per numeric column: quartiles, whiskers at 1.5×IQR, outliers as points.

    Args:
        df: The data.
        columns: Numeric columns to show, or None for all numeric columns.

    Returns:
        A figure with one ``box`` trace per column.

    Example:
        >>> import polars as pl
        >>> fig = box_plots(pl.DataFrame({"a": [1, 2, 3, 40], "b": [0.1, 0.2, 0.3, 0.4]}))
        >>> [t.name for t in fig.data]
        ['a', 'b']
    """
    df = require_frame(df)
    if columns is None:
        names = numeric_columns(df)
        if not names:
            raise InputError(
                f"Box plots need numeric columns and the data has none (columns: "
                f"{column_list(df.columns)}); cast columns to numbers first."
            )
    else:
        names = list(columns)
        if not names:
            raise InputError("columns is empty; name numeric columns or pass None for all.")
        require_columns(df, names)
        for name in names:
            if not is_numeric(df.schema[name]):
                raise InputError(
                    f"The column {name!r} is {df.schema[name]}, not numeric; box plots need "
                    "numeric columns (use distribution() for categories)."
                )
    fig = go.Figure(
        [
            go.Box(y=df[name].drop_nulls().to_list(), name=name, boxpoints="outliers")
            for name in names
        ]
    )
    return style(fig, "Box plots of numeric columns", "column", "value", showlegend=False)
