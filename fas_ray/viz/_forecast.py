"""Figures of a forecast: the history, the forecast and its intervals, and the backtest."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from fas_ray.viz._common import style

__all__ = ["forecast_chart", "backtest_chart"]


def forecast_chart(
    history: pl.DataFrame,
    future: pl.DataFrame,
    time: str,
    target: str,
    levels: Sequence[int] = (80, 95),
    title: str = "Forecast",
) -> go.Figure:
    """The history (line), the forecast (dashed) and each ``lo_<level>`` / ``hi_<level>``
    band of ``future`` shaded, widest first.

    Example:
        >>> import datetime as dt
        >>> h = pl.DataFrame({"t": [dt.date(2024, 1, d) for d in (1, 2)], "y": [1.0, 2.0]})
        >>> f = pl.DataFrame({"t": [dt.date(2024, 1, 3)], "forecast": [3.0],
        ...                   "lo_80": [2.5], "hi_80": [3.5]})
        >>> [t.name for t in forecast_chart(h, f, "t", "y", levels=[80]).data]
        ['80 % interval', '80 % interval', 'history', 'forecast']
    """
    fig = go.Figure()
    for level in sorted(levels, reverse=True):
        lo, hi = f"lo_{level}", f"hi_{level}"
        if lo not in future.columns:
            continue
        name = f"{level} % interval"
        x = future[time].to_list()
        fig.add_trace(
            go.Scatter(
                x=x,
                y=future[hi].to_list(),
                mode="lines",
                line={"width": 0},
                name=name,
                showlegend=False,
                legendgroup=name,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=future[lo].to_list(),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=f"rgba(31,119,180,{0.15 if level > 85 else 0.3})",
                name=name,
                legendgroup=name,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=history[time].to_list(),
            y=history[target].to_list(),
            mode="lines",
            name="history",
            line={"color": "#333"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=future[time].to_list(),
            y=future["forecast"].to_list(),
            mode="lines+markers",
            name="forecast",
            line={"color": "#1f77b4", "dash": "dash"},
        )
    )
    return style(fig, title, time, target)


def backtest_chart(
    times: Sequence[object],
    actual: Sequence[float],
    forecasts: dict[str, Sequence[float]],
    title: str = "Backtest",
) -> go.Figure:
    """The actual values of the backtest windows and each candidate's forecasts of them."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=list(times),
            y=list(actual),
            mode="lines+markers",
            name="actual",
            line={"color": "#333"},
        )
    )
    for name, values in forecasts.items():
        fig.add_trace(go.Scatter(x=list(times), y=list(values), mode="lines", name=name))
    return style(fig, title, "time", "value")
