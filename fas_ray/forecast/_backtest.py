"""Rolling-origin backtests, the forecast metrics, combination of the best candidates and
conformal prediction intervals from backtest errors.

A backtest of ``folds`` windows, each ``horizon`` steps long, ends at the last point: window
``i`` forecasts ``y[o_i : o_i + horizon]`` from ``y[:o_i]`` only (an expanding window), so no
window ever sees its own future.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from fas_ray.forecast._models import Candidate

__all__ = [
    "Backtest",
    "Combination",
    "backtest",
    "combine",
    "conformal_widths",
    "interval_coverage",
    "mase",
    "metrics",
    "origins",
]


def origins(n_points: int, horizon: int, folds: int) -> list[int]:
    """The first forecast step of each backtest window, oldest first.

    Example:
        >>> origins(20, 3, 3)
        [11, 14, 17]
    """
    return [n_points - (folds - i) * horizon for i in range(folds)]


def mase(y_true: np.ndarray, y_pred: np.ndarray, history: np.ndarray, m: int) -> float:
    """Mean absolute error over that of the history's in-sample seasonal naive forecast (lag
    ``m``; lag 1 when the history is not longer than ``m`` or its seasonal errors are all 0).
    A history with no change at all scales by 1 (the error itself)."""
    scale = _naive_scale(history, m)
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))) / scale)


def _naive_scale(history: np.ndarray, m: int) -> float:
    for lag in (m, 1):
        if lag >= 1 and len(history) > lag:
            scale = float(np.mean(np.abs(history[lag:] - history[:-lag])))
            if scale > 0:
                return scale
    return 1.0


def metrics(
    y_true: np.ndarray, y_pred: np.ndarray, history: np.ndarray, m: int
) -> dict[str, float]:
    """MASE, sMAPE (%, 0-200), RMSE and MAE of one window."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    error = y_true - y_pred
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(
        2 * np.abs(error), denominator, out=np.zeros_like(error), where=denominator > 0
    )
    return {
        "mase": mase(y_true, y_pred, history, m),
        "smape": float(100 * np.mean(ratio)),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
    }


@dataclass
class Backtest:
    """One candidate's backtest: its forecasts per window and the metrics averaged over them.

    ``forecasts[i]`` is window ``i``'s forecast; ``error`` says why it failed (then no
    metrics)."""

    name: str
    forecasts: list[np.ndarray] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.scores)


def backtest(
    candidate: Candidate,
    y: np.ndarray,
    horizon: int,
    folds: int,
    m: int,
    deadline: float | None = None,
    exog: np.ndarray | None = None,
) -> Backtest:
    """``candidate`` forecast from each window's origin, scored against what followed
    (``exog``: covariates aligned with ``y``; each window sees their rows before its origin).

    ``deadline`` (``time.time()``): a window that would start after it fails the candidate
    (``error="out of time"``), so a slow method cannot overrun the budget by more than one
    fit."""
    start = time.perf_counter()
    result = Backtest(candidate.name)
    per_window: list[dict[str, float]] = []
    for origin in origins(len(y), horizon, folds):
        if deadline is not None and time.time() >= deadline:
            result.error = "out of time"
            break
        history, actual = y[:origin], y[origin : origin + horizon]
        try:
            past = None if exog is None else exog[:origin]
            forecast = candidate.forecast(history, horizon, exog=past)
        except Exception as exc:  # a method that cannot fit this history: recorded, not fatal
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            break
        result.forecasts.append(forecast)
        per_window.append(metrics(actual, forecast, history, m))
    if not result.error:
        result.scores = {k: float(np.mean([w[k] for w in per_window])) for k in per_window[0]}
    result.seconds = time.perf_counter() - start
    return result


@dataclass(frozen=True)
class Combination:
    """What to forecast with: one candidate, or the mean or median of several.

    Args:
        members: candidate names.
        how: ``single``, ``mean``, ``median`` or ``weighted`` (Caruana's selection).
        scores: the combination's backtest metrics.
        weights: the members' weights (``weighted``).
    """

    members: tuple[str, ...]
    how: str
    scores: dict[str, float]
    weights: tuple[float, ...] = ()

    @property
    def name(self) -> str:
        if self.how == "single":
            return self.members[0]
        if self.how == "weighted":
            parts = [f"{m} {w:.2f}" for m, w in zip(self.members, self.weights, strict=True)]
            return f"weighted({', '.join(parts)})"
        return f"{self.how}({', '.join(self.members)})"

    def apply(self, forecasts: Sequence[np.ndarray]) -> np.ndarray:
        """The combined forecast of the members' ``forecasts`` (in ``members`` order)."""
        stacked = np.vstack([np.asarray(f, np.float64) for f in forecasts])
        if self.how == "median":
            return np.asarray(np.median(stacked, axis=0))
        if self.how == "weighted":
            return np.asarray(np.average(stacked, axis=0, weights=self.weights))
        return np.asarray(np.mean(stacked, axis=0))


def combine(
    results: Sequence[Backtest],
    y: np.ndarray,
    horizon: int,
    folds: int,
    m: int,
    top: int = 3,
    caruana: bool = False,
) -> tuple[Combination, list[Combination]]:
    """The best of: the best single candidate, the mean of the best 2 or 3, the median of
    the best 3 (by backtest MASE); a combination is chosen only when it backtests better.

    Returns the choice and every combination tried (for the leaderboard).
    """
    ok = sorted((r for r in results if r.ok), key=lambda r: r.scores["mase"])
    if not ok:
        raise ValueError("No candidate completed its backtest.")
    windows = origins(len(y), horizon, folds)
    tried = [Combination((ok[0].name,), "single", ok[0].scores)]

    def scored(combo: Combination, members: Sequence[Backtest]) -> Combination:
        per_window = []
        for i, origin in enumerate(windows):
            forecast = combo.apply([r.forecasts[i] for r in members])
            per_window.append(metrics(y[origin : origin + horizon], forecast, y[:origin], m))
        scores = {key: float(np.mean([w[key] for w in per_window])) for key in per_window[0]}
        return Combination(combo.members, combo.how, scores, combo.weights)

    for k, how in ((2, "mean"), (3, "mean"), (3, "median")):
        if len(ok) < k or k > top:
            continue
        tried.append(scored(Combination(tuple(r.name for r in ok[:k]), how, {}), ok[:k]))
    if caruana and len(ok) >= 2:
        tried.append(_caruana(ok, y, windows, horizon, scored))
    best = min(tried, key=lambda c: c.scores["mase"])
    return best, tried


def _caruana(
    ok: Sequence[Backtest],
    y: np.ndarray,
    windows: list[int],
    horizon: int,
    scored: Callable[[Combination, Sequence[Backtest]], Combination],
) -> Combination:
    """Caruana's ensemble selection over the backtest forecasts (by MAE over all windows)."""
    from fas_ray.ml import TaskInfo, caruana_ensemble

    actual = np.concatenate([y[o : o + horizon] for o in windows])
    preds = [np.concatenate(r.forecasts) for r in ok]
    task = TaskInfo("regression", "regression", "y")
    chosen = caruana_ensemble(preds, actual, task, metric="mae", rounds=20)
    members = [ok[i] for i in chosen.weights]
    combo = Combination(
        tuple(r.name for r in members),
        "weighted" if len(members) > 1 else "single",
        {},
        tuple(chosen.weights[i] for i in chosen.weights) if len(members) > 1 else (),
    )
    return scored(combo, members)


def conformal_widths(errors: np.ndarray, level: float) -> np.ndarray:
    """Half-widths per step ahead for a ``level`` (e.g. 0.8) interval from backtest errors
    ``(windows, horizon)``.

    Each step's scale is its mean absolute error, made non-decreasing with the step; the
    errors divided by their step's scale are pooled over windows and steps, and their
    conformal quantile (rank ``ceil((n + 1) * level)``) times each step's scale is the width.
    Pooling gives the quantile ``windows * horizon`` scores instead of ``windows``.
    """
    errors = np.abs(np.asarray(errors, dtype=np.float64))
    scale = np.maximum.accumulate(np.mean(errors, axis=0))
    scale = np.where(scale > 0, scale, 1e-12)
    scores = np.sort((errors / scale).ravel())
    rank = min(len(scores), math.ceil((len(scores) + 1) * level))
    return np.asarray(scores[rank - 1] * scale)


def interval_coverage(errors: np.ndarray, level: float) -> float | None:
    """How often each window's actuals fall inside widths computed from the other windows
    (leave one window out): the interval's coverage as the backtest sees it."""
    errors = np.abs(np.asarray(errors, dtype=np.float64))
    if errors.shape[0] < 2:
        return None
    inside = []
    for i in range(errors.shape[0]):
        widths = conformal_widths(np.delete(errors, i, axis=0), level)
        inside.append(errors[i] <= widths)
    return float(np.mean(inside))
