"""The charts of a run: which figures a run gets, built from what the run wrote, and written as
one offline HTML page plus a PNG per figure, and as Plotly JSON for the studio.

:func:`run_figures` is pure (data in, figures out); a chart whose data do not suit it (e.g. a
correlation heatmap with one numeric column) is left out with a note instead of failing the
run. :func:`write_figures` does the I/O: ``charts.html`` (plotly.js embedded once, works
offline), ``figures.json`` (every figure's Plotly JSON, what the studio draws) and
``png/<name>.png`` rendered by one headless Chromium. :func:`data_figure` draws one data chart
on demand, for the columns a user picks.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import plotly.graph_objects as go
import polars as pl

from fas_ray import viz
from fas_ray.exceptions import FasRayError, InputError
from fas_ray.storage import atomic_write_text

__all__ = ["DATA_CHARTS", "DataChart", "data_figure", "png_order", "run_figures", "write_figures"]

DataChart = Literal["distribution", "correlation", "scatter_matrix", "box", "time_series"]
DATA_CHARTS: tuple[DataChart, ...] = get_args(DataChart)

log = logging.getLogger("fas_ray.charts")
_MAX_DISTRIBUTIONS = 6
_MAX_BOXES = 10


def _numeric(df: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c in df.columns and df[c].dtype.is_numeric()]


def run_figures(
    *,
    silver: pl.DataFrame,
    target: str,
    classes: list[Any] | None,
    gold: pl.DataFrame,
    shap: dict[str, Any] | None,
    trials: Sequence[dict[str, Any]],
    higher_is_better: bool,
    time_column: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
) -> tuple[dict[str, go.Figure], list[str]]:
    """The figures of one run, and notes on those left out.

    Args:
        silver: the cleaned data (inputs and target).
        target: the target column.
        classes: class labels (classification) or ``None`` (regression).
        gold: the holdout rows with ``prediction`` (and ``proba_<class>``) columns.
        shap: :meth:`fas_ray.explain.ShapExplanation.to_json` of the run's model.
        trials: the leaderboard records (``number``, ``score``, ``learner``, ``state``).
        higher_is_better: direction of the search metric.
        time_column: a date column to draw the target over, if the data have one.
        max_rows: draw the data and holdout charts from a seeded sample of at most this many
            rows of each (``None``: every row); a note says so.
        seed: seeds that sample.
    """
    figs: dict[str, go.Figure] = {}
    notes: list[str] = []
    if max_rows is not None:
        for label, frame in (("data", silver), ("holdout", gold)):
            if frame.height > max_rows:
                notes.append(
                    f"{label} charts drawn from a sample of {max_rows:,} of {frame.height:,} rows"
                )
        if silver.height > max_rows:
            silver = silver.sample(max_rows, seed=seed)
        if gold.height > max_rows:
            gold = gold.sample(max_rows, seed=seed)

    def add(name: str, build: Callable[[], go.Figure]) -> None:
        try:
            figs[name] = build()
        except FasRayError as exc:
            notes.append(f"{name}: {exc}")
        except Exception as exc:  # a chart must never fail the run
            log.warning("chart %s failed: %s", name, exc)
            notes.append(f"{name}: {type(exc).__name__}: {exc}")

    ranked = [f["feature"] for f in (shap or {}).get("importance", [])]
    inputs = [c for c in silver.columns if c != target]
    raw_ranked = [c for c in ranked if c in inputs]
    raw_ranked += [c for c in inputs if c not in raw_ranked]
    # -- the data
    add("distribution_target", lambda: viz.distribution(silver, target))
    for column in raw_ranked[: _MAX_DISTRIBUTIONS - 1]:
        add(f"distribution_{column}", functools.partial(viz.distribution, silver, column))
    numeric = _numeric(silver, raw_ranked)
    add(
        "correlation",
        lambda: viz.correlation_heatmap(silver.select(numeric + _numeric(silver, [target]))),
    )
    color = target if classes is not None else None
    add(
        "scatter_matrix",
        lambda: viz.scatter_matrix(
            silver.with_columns(pl.col(target).cast(pl.String)) if color else silver,
            numeric[:5],
            color=color,
        ),
    )
    add("box_plots", lambda: viz.box_plots(silver, numeric[:_MAX_BOXES]))
    if time_column and time_column in silver.columns and classes is None:
        add("time_series", lambda: viz.time_series(silver.sort(time_column), time_column, target))
    # -- the model
    y_true = gold[target].to_numpy() if target in gold.columns else None
    if y_true is not None and classes is not None:
        columns = [f"proba_{c}" for c in classes]
        if all(c in gold.columns for c in columns):
            proba = gold.select(columns).to_numpy()
            add("roc", lambda: viz.roc_curve(y_true, proba, classes))
            add("precision_recall", lambda: viz.precision_recall_curve(y_true, proba, classes))
            add("calibration", lambda: viz.calibration_curve(y_true, proba, classes))
    elif y_true is not None and "prediction" in gold.columns:
        pred = gold["prediction"].to_numpy()
        add("predicted_vs_actual", lambda: viz.predicted_vs_actual(y_true, pred))
        add("residuals", lambda: viz.residuals_vs_predicted(y_true, pred))
    if shap and shap.get("importance"):
        add(
            "feature_importance",
            lambda: viz.feature_importance(
                [f["feature"] for f in shap["importance"]],
                [f["mean_abs_shap"] for f in shap["importance"]],
            ),
        )
        add("shap_summary", lambda: viz.shap_beeswarm(shap["beeswarm"], shap.get("output", "")))
    ordered = sorted(trials, key=lambda t: t.get("number", 0))
    if ordered:
        scores = [
            t["score"] if t.get("state", "complete") == "complete" else np.nan for t in ordered
        ]
        learners = [str(t.get("learner", "")) for t in ordered]
        add(
            "search_history",
            lambda: viz.search_history(scores, learners, greater_is_better=higher_is_better),
        )
    return figs, notes


# under a time limit the PNGs are drawn model first: what a reader of the report looks for
_PNG_FIRST = (
    "feature_importance",
    "shap_summary",
    "roc",
    "predicted_vs_actual",
    "precision_recall",
    "residuals",
    "calibration",
    "search_history",
    "correlation",
    "distribution_target",
)


def png_order(names: Sequence[str]) -> list[str]:
    """Figure names in the order PNGs are drawn: the model's charts, then the data's."""
    rank = {name: i for i, name in enumerate(_PNG_FIRST)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), list(names).index(n)))


def write_figures(
    figs: dict[str, go.Figure],
    out_dir: Path,
    *,
    title: str,
    png: bool = True,
    png_seconds: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """``out_dir/charts.html`` with every figure, and ``out_dir/png/<name>.png`` unless
    ``png`` is False; returns what was written (PNG failures become a note, not an error).

    Args:
        png_seconds: time for the PNGs, browser start included (``None``: no limit); the
            figures are then drawn model charts first (:func:`png_order`) while time is left,
            and ``png_skipped`` lists the others.
    """
    out_dir = Path(out_dir)
    written: dict[str, Any] = {"html": str(viz.to_html_page(figs, out_dir / "charts.html", title))}
    body = ",".join(f"{json.dumps(name)}:{fig.to_json()}" for name, fig in figs.items())
    written["json"] = str(atomic_write_text(out_dir / "figures.json", "{" + body + "}"))
    written["png"] = {}
    if png:
        safe = {name.replace(" ", "_"): fig for name, fig in figs.items()}
        ordered = {name: safe[name] for name in png_order(list(safe))}
        try:
            export = viz.export_png(
                ordered, out_dir / "png", width=900, height=560, seconds=png_seconds, clock=clock
            )
            written["png"] = {name: str(path) for name, path in export.paths.items()}
            if export.failed:
                written["png_error"] = "plotly.js could not draw " + ", ".join(
                    sorted(export.failed)
                )
            if export.skipped:
                written["png_skipped"] = list(export.skipped)
        except Exception as exc:  # PNGs are a convenience: never fail the run over them
            written["png_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return written


def data_figure(
    df: pl.DataFrame,
    kind: DataChart,
    columns: Sequence[str],
    color: str | None = None,
    *,
    color_by_value: bool = False,
) -> go.Figure:
    """One data chart of ``df`` for the picked ``columns``.

    ``distribution``: one column; ``correlation``, ``scatter_matrix`` (at most 5) and ``box``:
    the numeric columns among ``columns`` (all numeric ones when none are named);
    ``time_series``: a date column, then the value columns. ``color`` colours the scatter
    matrix (e.g. the target): by value when it is not numeric or ``color_by_value`` (class
    labels), else on a continuous scale.

    Raises:
        InputError: an unknown kind or column, or columns that do not suit the kind.
    """
    if kind not in DATA_CHARTS:
        raise InputError(f"Unknown chart {kind!r}; choose one of {', '.join(DATA_CHARTS)}.")
    unknown = [c for c in [*columns, *([color] if color else [])] if c not in df.columns]
    if unknown:
        raise InputError(
            f"No column(s) {', '.join(map(repr, unknown))}; the data has {', '.join(df.columns)}."
        )
    if kind == "distribution":
        if len(columns) != 1:
            raise InputError("A distribution shows one column; pick exactly one.")
        return viz.distribution(df, columns[0])
    if kind == "time_series":
        if len(columns) < 2:
            raise InputError("A time series needs a date column, then one or more value columns.")
        return viz.time_series(df.sort(columns[0]), columns[0], list(columns[1:]))
    numeric = _numeric(df, columns) if columns else _numeric(df, df.columns)
    if columns and len(numeric) < len(columns):
        other = [c for c in columns if c not in numeric]
        raise InputError(f"{kind} takes numeric columns; {', '.join(other)} are not numeric.")
    if kind == "correlation":
        return viz.correlation_heatmap(df.select(numeric))
    if kind == "box":
        return viz.box_plots(df, numeric)
    frame = df
    if color and (color_by_value or not df[color].dtype.is_numeric()):
        frame = df.with_columns(pl.col(color).cast(pl.String))
    return viz.scatter_matrix(frame, numeric[:5] if not columns else numeric, color=color)
