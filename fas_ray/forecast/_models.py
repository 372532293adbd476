"""Forecasting candidates: the baselines (naive, seasonal naive, drift), LightGBM on lagged
changes (:mod:`fas_ray.forecast._lags`) and statsforecast's automatic statistical models
(AutoETS, AutoTheta, AutoARIMA, MSTL).

Every candidate is a :class:`Candidate`: a name and a function from a history (float64 array)
and a horizon to that many point forecasts. Fitting happens inside the call, so a backtest is
a loop over origins and a candidate pickles as its settings alone.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from fas_ray.exceptions import ConfigError
from fas_ray.forecast._lags import LagFeatures, lag_forecast

__all__ = ["Candidate", "candidates", "naive", "seasonal_naive", "drift"]

Forecast = Callable[[np.ndarray, int], np.ndarray]


def naive(y: np.ndarray, h: int) -> np.ndarray:
    """The last value, repeated."""
    return np.full(h, float(y[-1]))


def seasonal_naive(y: np.ndarray, h: int, m: int) -> np.ndarray:
    """The last full season, repeated (naive when the history is shorter than ``m``)."""
    if m <= 1 or len(y) < m:
        return naive(y, h)
    season = y[-m:]
    return np.asarray([season[i % m] for i in range(h)], dtype=np.float64)


def drift(y: np.ndarray, h: int) -> np.ndarray:
    """The line through the first and last values, continued."""
    if len(y) < 2:
        return naive(y, h)
    slope = (float(y[-1]) - float(y[0])) / (len(y) - 1)
    return float(y[-1]) + slope * np.arange(1, h + 1, dtype=np.float64)


@dataclass(frozen=True)
class Candidate:
    """One forecasting method with its settings.

    Args:
        name: the leaderboard's name (``seasonal_naive``, ``auto_ets``, ...).
        kind: ``baseline``, ``learned`` (boosting on lags) or ``statistical``.
        method: the statsforecast model's class name, for the statistical ones.
        season: the season length it uses (1: none); MSTL takes ``seasons``.
        seasons: every seasonal cycle (MSTL).
        min_points: the shortest history it forecasts from.
    """

    name: str
    kind: str
    method: str = ""
    season: int = 1
    seasons: tuple[int, ...] = ()
    min_points: int = 1
    daily: bool = False  # boosting on lags: add a week, two and a month of lags
    # boosting on lags, tuned: the search's flat configuration as sorted (key, value) pairs
    config: tuple[tuple[str, Any], ...] = ()

    def forecast(self, y: np.ndarray, h: int, exog: np.ndarray | None = None) -> np.ndarray:
        """``h`` point forecasts after history ``y``; boosting on lags also reads the
        covariates ``exog`` (rows aligned with ``y``) ``h`` and ``h + 1`` steps back."""
        y = np.asarray(y, dtype=np.float64)
        if len(y) < self.min_points:
            raise ValueError(f"{self.name} needs {self.min_points} points, got {len(y)}.")
        if self.name == "naive":
            return naive(y, h)
        if self.name == "seasonal_naive":
            return seasonal_naive(y, h, self.season)
        if self.name == "drift":
            return drift(y, h)
        if self.kind == "learned":
            features = LagFeatures.for_season(self.season, len(y), self.daily)
            if exog is not None and np.asarray(exog).size:
                features = features.with_covariates(h)
            else:
                exog = None
            model = None
            if self.config:
                from fas_ray.forecast._tuned import lag_estimator

                model = lag_estimator(self.config)
            return lag_forecast(y, h, features, model=model, exog=exog)
        model = _statsforecast(self)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = model.forecast(y=y, h=h)["mean"]
        out = np.asarray(out, dtype=np.float64)
        if out.shape != (h,) or not np.all(np.isfinite(out)):
            raise ValueError(f"{self.name} gave no finite forecast.")
        return out


def _statsforecast(c: Candidate) -> Any:
    try:
        from statsforecast import models
    except ImportError:  # pragma: no cover - a dependency of fas-ray
        raise ConfigError(
            "Forecasting needs statsforecast; install it with pip install statsforecast."
        ) from None
    if c.method == "AutoETS":
        return models.AutoETS(season_length=c.season)
    if c.method == "AutoTheta":
        return models.AutoTheta(season_length=c.season)
    if c.method == "AutoARIMA":
        return models.AutoARIMA(season_length=c.season)
    if c.method == "MSTL":
        seasons = list(c.seasons)
        return models.MSTL(
            season_length=seasons if len(seasons) > 1 else seasons[0],
            trend_forecaster=models.AutoETS(model="ZZN"),
        )
    raise ConfigError(f"Unknown forecasting method '{c.method}'.")


def candidates(seasons: list[int], n_points: int, daily: bool = False) -> list[Candidate]:
    """The candidates for a series of ``n_points`` with seasonal cycles ``seasons`` (``[1]``:
    none), cheapest first: the baselines, LightGBM on lags, then AutoETS, AutoTheta, MSTL
    (with two cycles or one longer than 24 steps) and AutoARIMA; each only where the history
    is long enough.

    Example:
        >>> [c.name for c in candidates([12], 100)]  # doctest: +NORMALIZE_WHITESPACE
        ['naive', 'seasonal_naive', 'drift', 'lightgbm_lags', 'auto_ets', 'auto_theta',
         'auto_arima']
    """
    m = seasons[0]
    out = [
        Candidate("naive", "baseline"),
        Candidate("seasonal_naive", "baseline", season=m),
        Candidate("drift", "baseline", min_points=2),
        Candidate(
            "lightgbm_lags",
            "learned",
            season=m,
            min_points=LagFeatures.for_season(m, n_points, daily).reach + 11,
            daily=daily,
        ),
    ]
    # ETS fits a season only up to 24 steps; a seasonal ARIMA search takes minutes with a long
    # season or history (one fit: 188 s on weekly data, m = 52; 35 s on 1,600 hourly points,
    # m = 24): ARIMA keeps its season only up to 12 steps, or 24 on at most 600 points.
    # MSTL (and Theta's decomposition) take the long seasons instead, before ARIMA (cheaper).
    short = m if m <= 24 else 1
    arima_m = m if m <= 12 or (m <= 24 and n_points <= 600) else 1
    out += [
        Candidate("auto_ets", "statistical", "AutoETS", season=short, min_points=max(4, 2 * short)),
        Candidate("auto_theta", "statistical", "AutoTheta", season=m, min_points=max(4, 2 * m)),
    ]
    if len(seasons) >= 2 or m > 24:
        out.append(
            Candidate(
                "mstl",
                "statistical",
                "MSTL",
                season=m,
                seasons=tuple(seasons),
                min_points=2 * max(seasons) + 1,
            )
        )
    out.append(
        Candidate(
            "auto_arima", "statistical", "AutoARIMA", season=arima_m, min_points=max(8, 2 * arima_m)
        )
    )
    return [c for c in out if c.min_points <= n_points]
