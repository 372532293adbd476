"""Gradient boosting on lags (mlforecast's recipe): LightGBM learns the next *change* of the
series from its recent changes, rolling statistics and the position in the season, and
forecasts recursively, one step at a time, each step's forecast feeding the next one's lags.

Trees cannot extrapolate a level they never saw; on first differences a trend is just a
typical change, so the forecast keeps climbing where the history climbed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["LagFeatures", "lag_forecast"]

_DAILY_LAGS = (7, 14, 30)


@dataclass(frozen=True)
class LagFeatures:
    """Which lags and rolling windows (over the differenced series) make a row.

    Args:
        lags: steps back (1 = the previous change).
        windows: rolling mean and standard deviation over the last ``w`` changes.
        season: the season length; the position in it is a feature (1: none).
        exog_lags: steps back at which each covariate's value is a feature; at least the
            horizon, so a forecast never needs a covariate's future value.
    """

    lags: tuple[int, ...]
    windows: tuple[int, ...]
    season: int = 1
    exog_lags: tuple[int, ...] = ()

    @classmethod
    def for_season(cls, season: int, n_points: int, daily: bool = False) -> LagFeatures:
        """Lags 1-3, one and two seasons back (and a week, two and a month for daily data),
        windows of 3 and one season, all that the history can feed with at least 20 rows
        left to learn from."""
        lags = {1, 2, 3}
        windows = {3}
        if season > 1:
            lags |= {season, 2 * season}
            windows.add(season)
        if daily:
            lags |= set(_DAILY_LAGS)
            windows |= set(_DAILY_LAGS)
        room = max(3, n_points - 1 - 20)
        return cls(
            tuple(sorted(x for x in lags if x <= room)),
            tuple(sorted(w for w in windows if w <= room)),
            season,
        )

    def with_covariates(self, horizon: int) -> LagFeatures:
        """These features plus the covariates ``horizon`` and ``horizon + 1`` steps back."""
        return replace(self, exog_lags=(horizon, horizon + 1))

    @property
    def reach(self) -> int:
        """Changes needed before the first row."""
        return max([*self.lags, *self.windows, *(lag - 1 for lag in self.exog_lags)])

    def row(self, changes: np.ndarray, t: int, exog: np.ndarray | None = None) -> list[float]:
        """The features that predict ``changes[t]`` (``y[t + 1] - y[t]``) from
        ``changes[:t]`` and the covariates ``exog`` (rows aligned with ``y``)."""
        out = [float(changes[t - lag]) for lag in self.lags]
        for w in self.windows:
            recent = changes[t - w : t]
            out += [float(recent.mean()), float(recent.std())]
        if self.season > 1:
            out.append(float(t % self.season))
        if exog is not None:
            for lag in self.exog_lags:
                out += [float(v) for v in exog[t + 1 - lag]]
        return out


def _model(seed: int) -> Any:
    from lightgbm import LGBMRegressor

    return LGBMRegressor(
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=5,
        subsample=0.9,
        subsample_freq=1,
        colsample_bytree=0.9,
        n_jobs=1,
        random_state=seed,
        verbose=-1,
    )


def lag_forecast(
    y: np.ndarray,
    h: int,
    features: LagFeatures,
    seed: int = 0,
    model: Any = None,
    exog: np.ndarray | None = None,
) -> np.ndarray:
    """``h`` recursive forecasts after ``y`` by LightGBM on lagged first differences.

    ``model``: an unfitted scikit-learn regressor to use instead (fitted here, in place).
    ``exog``: covariates ``(len(y), k)``, used at ``features.exog_lags`` (none: ignored).

    Raises:
        ValueError: the history is too short for the features (fewer than 10 rows to learn
            from), or a covariate lag is shorter than ``h`` (it would need future values).
    """
    y = np.asarray(y, dtype=np.float64)
    if exog is not None and features.exog_lags:
        if min(features.exog_lags) < h:
            raise ValueError(
                f"Covariate lags {features.exog_lags} are shorter than the horizon {h}."
            )
        exog = np.asarray(exog, dtype=np.float64).reshape(len(y), -1)
    else:
        exog = None
    changes = np.diff(y)
    first = features.reach
    rows = range(first, len(changes))
    if len(rows) < 10:
        raise ValueError(
            f"Boosting on lags needs {first + 11} points for its features, got {len(y)}."
        )
    X = np.asarray([features.row(changes, t, exog) for t in rows], dtype=np.float64)
    model = (_model(seed) if model is None else model).fit(X, changes[first:])
    extended = list(changes)
    level = float(y[-1])
    out = np.empty(h)
    for step in range(h):
        t = len(extended)
        row = features.row(np.asarray(extended), t, exog)
        change = float(model.predict(np.asarray([row]))[0])
        extended.append(change)
        level += change
        out[step] = level
    return out
