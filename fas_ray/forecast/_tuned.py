"""Boosting on lags, tuned by the tabular search's coordinator.

The fixed ``lightgbm_lags`` candidate is one configuration. Here the same
:class:`~fas_ray.search.SearchCoordinator` that searches tabular learners (one Optuna TPE
study, the portfolio's first configurations, successive-halving pruning) hands out LightGBM
and XGBoost configurations; each is scored by the rolling-origin backtest of the recursive
lag model (the mean MASE over the windows, running means reported after each window so a poor
configuration stops early). The best configuration joins the leaderboard as one more
candidate (``lightgbm_lags_tuned`` / ``xgboost_lags_tuned``), with its backtest forecasts,
and competes and combines like every other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from fas_ray.forecast._backtest import Backtest, metrics, origins
from fas_ray.forecast._lags import LagFeatures, lag_forecast
from fas_ray.ml import TaskInfo, default_config
from fas_ray.ml._space import split_config

__all__ = ["TUNED_LEARNERS", "lag_estimator", "tune_lags"]

TUNED_LEARNERS = ("lightgbm", "xgboost")
_REGRESSION = TaskInfo("regression", "regression", "y")


def lag_estimator(config: Sequence[tuple[str, Any]], seed: int = 0) -> Any:
    """The unfitted regressor of a flat search configuration (``learner``, ``<learner>.<p>``),
    one thread."""
    from fas_ray.ml import get_learner

    name, params = split_config(dict(config))
    return get_learner(name).make_estimator(params, _REGRESSION, seed, n_jobs=1)


def tune_lags(
    y: np.ndarray,
    horizon: int,
    folds: int,
    m: int,
    features: LagFeatures,
    *,
    deadline: float | None,
    max_trials: int = 24,
    seed: int = 0,
    learners: Sequence[str] = TUNED_LEARNERS,
    exog: np.ndarray | None = None,
) -> tuple[tuple[tuple[str, Any], ...], Backtest] | None:
    """Search boosting configurations for the lag model on ``y``'s backtest windows
    (``exog``: covariates aligned with ``y``, read at ``features.exog_lags``).

    Returns the best configuration (as sorted ``(key, value)`` pairs) and its backtest, or
    None when no configuration finished every window before ``deadline`` (``time.time()``)
    or ``max_trials`` ran out.
    """
    from fas_ray.search import SearchCoordinator, Ticket

    windows = origins(len(y), horizon, folds)
    first = [default_config(name) for name in learners]
    coordinator = SearchCoordinator(
        list(learners),
        seed,
        max_trials=None,
        deadline=deadline,
        n_folds=len(windows),
        first_configs=first,
        task=_REGRESSION,
        min_rung_size=4,
        keep_oof=0,
    )
    best: tuple[float, tuple[tuple[str, Any], ...], Backtest] | None = None
    for _ in range(max_trials):
        ticket = coordinator.ask()
        if not isinstance(ticket, Ticket):
            break
        config = tuple(sorted(ticket.config.items()))
        result = _evaluate(
            coordinator, ticket, config, y, horizon, m, features, windows, seed, exog
        )
        if result.ok and (best is None or result.scores["mase"] < best[0]):
            best = (result.scores["mase"], config, result)
    return None if best is None else (best[1], best[2])


def _evaluate(
    coordinator: Any,
    ticket: Any,
    config: tuple[tuple[str, Any], ...],
    y: np.ndarray,
    horizon: int,
    m: int,
    features: LagFeatures,
    windows: list[int],
    seed: int,
    exog: np.ndarray | None,
) -> Backtest:
    """One configuration's backtest, told to the coordinator (pruned when a running mean
    falls behind)."""
    from fas_ray.search import ConfigResult

    name, params = split_config(dict(config))
    start = time.perf_counter()
    result = Backtest(f"{name}_lags_tuned")
    per_window: list[dict[str, float]] = []
    state = "complete"
    for i, origin in enumerate(windows):
        history, actual = y[:origin], y[origin : origin + horizon]
        try:
            forecast = lag_forecast(history, horizon, features, model=lag_estimator(config, seed))
        except Exception as exc:  # a configuration that cannot fit: failed, not fatal
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            state = "failed"
            break
        result.forecasts.append(forecast)
        per_window.append(metrics(actual, forecast, history, m))
        running = -float(np.mean([w["mase"] for w in per_window]))
        if not math.isfinite(running):
            result.error, state = "no finite forecast", "failed"
            break
        if i + 1 < len(windows) and coordinator.report(ticket.number, i + 1, running):
            result.error, state = "pruned", "pruned"
            break
    if state == "complete":
        result.scores = {k: float(np.mean([w[k] for w in per_window])) for k in per_window[0]}
    result.seconds = time.perf_counter() - start
    fold_scores = [-w["mase"] for w in per_window]
    coordinator.tell(
        ConfigResult(
            ticket.number,
            name,
            params,
            state,  # type: ignore[arg-type]
            score=-result.scores["mase"] if state == "complete" else math.nan,
            fold_scores=fold_scores,
            seconds=result.seconds,
            error=result.error if state == "failed" else "",
        )
    )
    return result
