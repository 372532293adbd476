"""Forecasting: regular series from a table, candidates backtested on a rolling origin, the
best (or a combination) kept, future values with conformal intervals."""

from fas_ray.forecast._backtest import (
    Backtest,
    Combination,
    backtest,
    combine,
    conformal_widths,
    interval_coverage,
    mase,
    metrics,
    origins,
)
from fas_ray.forecast._forecaster import Forecaster, SeriesFit
from fas_ray.forecast._models import Candidate, candidates, drift, naive, seasonal_naive
from fas_ray.forecast._series import (
    Frequency,
    Series,
    default_horizon,
    future_times,
    infer_frequency,
    prepare_series,
    season_lengths,
)

__all__ = [
    "Backtest",
    "Candidate",
    "Combination",
    "Forecaster",
    "Frequency",
    "Series",
    "SeriesFit",
    "backtest",
    "candidates",
    "combine",
    "conformal_widths",
    "default_horizon",
    "drift",
    "future_times",
    "infer_frequency",
    "interval_coverage",
    "mase",
    "metrics",
    "naive",
    "origins",
    "prepare_series",
    "season_lengths",
    "seasonal_naive",
]
