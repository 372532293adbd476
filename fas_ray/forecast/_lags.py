"""Gradient boosting on lags (mlforecast's recipe): LightGBM learns the next *change* of the
series from its recent changes, rolling statistics and the position in the season, and
forecasts recursively, one step at a time, each step's forecast feeding the next one's lags.

Trees cannot extrapolate a level they never saw; on first differences a trend is just a
typical change, so the forecast keeps climbing where the history climbed.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """

    lags: tuple[int, ...]
    windows: tuple[int, ...]
    season: int = 1

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

    @property
    def reach(self) -> int:
        """Changes needed before the first row."""
        return max([*self.lags, *self.windows])

    def row(self, changes: np.ndarray, t: int) -> list[float]:
        """The features that predict ``changes[t]`` from ``changes[:t]``."""
        out = [float(changes[t - lag]) for lag in self.lags]
        for w in self.windows:
            recent = changes[t - w : t]
            out += [float(recent.mean()), float(recent.std())]
        if self.season > 1:
            out.append(float(t % self.season))
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
    y: np.ndarray, h: int, features: LagFeatures, seed: int = 0, model: Any = None
) -> np.ndarray:
    """``h`` recursive forecasts after ``y`` by LightGBM on lagged first differences.

    ``model``: an unfitted scikit-learn regressor to use instead (fitted here, in place).

    Raises:
        ValueError: the history is too short for the features (fewer than 10 rows to learn
            from).
    """
    y = np.asarray(y, dtype=np.float64)
    changes = np.diff(y)
    first = features.reach
    rows = range(first, len(changes))
    if len(rows) < 10:
        raise ValueError(
            f"Boosting on lags needs {first + 11} points for its features, got {len(y)}."
        )
    X = np.asarray([features.row(changes, t) for t in rows], dtype=np.float64)
    model = (_model(seed) if model is None else model).fit(X, changes[first:])
    extended = list(changes)
    level = float(y[-1])
    out = np.empty(h)
    for step in range(h):
        t = len(extended)
        change = float(model.predict(np.asarray([features.row(np.asarray(extended), t)]))[0])
        extended.append(change)
        level += change
        out[step] = level
    return out
