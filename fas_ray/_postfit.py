"""What the stages after the fit cost, and how each is sized to the run's time budget.

The pipeline keeps a reserve for evaluation, SHAP, charts, registration and the report before
it gives the rest to AutoML (:func:`fit_seconds`), then sizes each of those stages to what is
left when it starts: error analysis on a sample of the holdout, SHAP on fewer rows or with a
cheaper setting (:func:`fas_ray.explain.explain_within`), data charts from a sample, PNGs only
while time is left (the HTML page always). The costs below were measured on the 2-core
reference machine (``/work/shared/ENVIRONMENT.md``) while other work ran on it; they are rough
on purpose: each stage also checks the clock as it goes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from fas_ray.budget import Budget

__all__ = [
    "TAIL_S",
    "PostfitCosts",
    "chart_rows",
    "error_rows",
    "estimate_postfit",
    "fit_seconds",
    "png_seconds",
]

RAY_SHUTDOWN_S = 1.5  # ray.shutdown() of the run's local Ray, after the fit
SHAP_IMPORT_S = 3.0  # ``import shap`` (numba, llvmlite), unless already imported
SHAP_MIN_S = 0.5  # SHAP of the smallest size, once imported
SHAP_PER_ROW_FEATURE_S = 1e-4  # a tree model's SHAP, per explained row and feature
TAIL_S = 1.0  # register (pickle), report, manifest writes, the command's exit
CHARTS_BASE_S = 1.5  # building ~15 plotly figures and the HTML page on small data
CHART_CELL_S = 6e-6  # per plotted cell (row x column, at most 20 columns) of the data charts
PNG_START_S = 3.5  # one headless Chromium for kaleido
PNG_FIRST_S = 1.3  # the first figure also loads plotly.js
PNG_FIGURE_S = 0.5  # each figure
EVALUATE_BASE_S = 0.3
EVALUATE_CELL_S = 4e-7  # holdout predictions and error analysis, per holdout cell
FIGURES = 15  # charts of a typical run
MIN_FIT_S = 12.0  # AutoML below this may finish no configuration here (Ray Tune's start)
AUTOML_OVERRUN = 0.05  # how far past its budget AutoML typically ends (refit, stragglers)
RESERVE_SHARE = 0.25  # at most this share of what is left goes to full-size post-fit stages
MIN_CHART_ROWS = 2_000
MIN_ERROR_ROWS = 1_000
_CHART_COLUMNS = 20


@dataclass(frozen=True)
class PostfitCosts:
    """Estimated seconds of each stage after the fit, at full size and at the smallest."""

    evaluate_s: float
    explain_min_s: float
    explain_full_s: float
    charts_s: float
    charts_min_s: float
    png_s: float
    tail_s: float

    @property
    def minimum(self) -> float:
        """Every stage at its smallest: no PNG, SHAP of the fewest rows, sampled charts."""
        return self.evaluate_s + self.explain_min_s + self.charts_min_s + self.tail_s

    @property
    def full(self) -> float:
        return self.evaluate_s + self.explain_full_s + self.charts_s + self.png_s + self.tail_s


def estimate_postfit(
    *,
    rows: int,
    columns: int,
    holdout_rows: int,
    shap_rows: int,
    png: bool,
    ray_running: bool = True,
) -> PostfitCosts:
    """The post-fit costs of a run on ``rows`` x ``columns`` data (before the model is known,
    SHAP is estimated as a tree model's; a slower explainer is sized down later)."""
    shap_import = 0.0 if "shap" in sys.modules else SHAP_IMPORT_S
    chart_cells = rows * min(columns, _CHART_COLUMNS)
    return PostfitCosts(
        evaluate_s=EVALUATE_BASE_S + holdout_rows * columns * EVALUATE_CELL_S,
        explain_min_s=shap_import + SHAP_MIN_S,
        explain_full_s=shap_import + SHAP_MIN_S + shap_rows * columns * SHAP_PER_ROW_FEATURE_S,
        charts_s=CHARTS_BASE_S + chart_cells * CHART_CELL_S,
        charts_min_s=CHARTS_BASE_S
        + min(rows, MIN_CHART_ROWS) * min(columns, _CHART_COLUMNS) * CHART_CELL_S,
        png_s=(PNG_START_S + PNG_FIRST_S + FIGURES * PNG_FIGURE_S) if png else 0.0,
        tail_s=TAIL_S + (RAY_SHUTDOWN_S if ray_running else 0.0),
    )


def fit_seconds(budget: Budget, costs: PostfitCosts) -> tuple[float | None, float, list[str]]:
    """AutoML's time budget: what is left less a reserve for the post-fit stages.

    The reserve is their full-size cost, capped at ``RESERVE_SHARE`` of what is left but never
    below their smallest cost; AutoML gets the rest less its typical overrun
    (``AUTOML_OVERRUN``), and at least ``MIN_FIT_S`` (a search that finishes no configuration
    would fail the run), even past the budget, with a note.

    Returns:
        (seconds for AutoML or ``None`` when unbounded, the reserve, notes).
    """
    if not budget.bounded:
        return None, 0.0, []
    left = budget.left()
    reserve = min(costs.full, max(costs.minimum, RESERVE_SHARE * left))
    # AutoML may end up to 10 % past its own budget (its refit); half of that is expected
    share = (budget.share(1.0, reserve=reserve) or 0.0) / (1.0 + AUTOML_OVERRUN)
    notes = []
    if share < MIN_FIT_S:
        notes.append(
            f"AutoML got its minimum of {MIN_FIT_S:.0f} s although {max(0.0, share):.1f} s "
            f"were left for it ({budget.elapsed():.1f} s used before the fit, {reserve:.1f} s "
            "kept for the stages after it): the budget is below this run's fixed costs"
        )
        share = MIN_FIT_S
    return share, reserve, notes


def error_rows(allotted_s: float | None, holdout_rows: int, columns: int) -> int | None:
    """Holdout rows the error analysis can use in ``allotted_s`` (``None``: all of them)."""
    if allotted_s is None:
        return None
    per_row = max(1, columns) * EVALUATE_CELL_S
    fit = max(MIN_ERROR_ROWS, int(max(0.0, allotted_s - EVALUATE_BASE_S) / per_row))
    return None if fit >= holdout_rows else fit


def chart_rows(allotted_s: float | None, rows: int, columns: int) -> int | None:
    """Rows the data charts can draw in ``allotted_s`` (``None``: every row)."""
    if allotted_s is None:
        return None
    per_row = min(max(1, columns), _CHART_COLUMNS) * CHART_CELL_S
    fit = max(MIN_CHART_ROWS, int(max(0.0, allotted_s - CHARTS_BASE_S) / per_row))
    return None if fit >= rows else fit


def png_seconds(budget: Budget, after_s: float, figures: int) -> tuple[float | None, str | None]:
    """Seconds for the PNGs, keeping ``after_s`` for the stages after the charts: ``None``
    when unbounded; 0 (with a note) when not even the browser and two figures fit."""
    if not budget.bounded:
        return None, None
    allotted = max(0.0, budget.left() - after_s)
    full = PNG_START_S + PNG_FIRST_S + figures * PNG_FIGURE_S
    smallest = PNG_START_S + PNG_FIRST_S + PNG_FIGURE_S
    plan = budget.plan(full, allotted_s=allotted, min_scale=smallest / full)
    if plan.skipped:
        return 0.0, (
            f"PNG export skipped (the HTML page has every chart): {allotted:.1f} s left, "
            f"{full:.0f} s needed for {figures} PNGs"
        )
    return allotted, None
