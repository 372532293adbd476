"""A panel's series (or one series' candidates) fitted as Ray tasks give the same forecasts as
fitted one by one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fas_ray.distributed import ray_map
from fas_ray.forecast import Forecaster

pytestmark = pytest.mark.integration


def test_panel_series_fitted_on_ray_match_the_in_process_fit(ray_local: None) -> None:
    rng = np.random.default_rng(5)
    frames = []
    for i, store in enumerate(("a", "b", "c", "d")):
        t = np.arange(60)
        y = 10 * (i + 1) + 0.2 * t + 3 * np.sin(2 * np.pi * t / 7) + rng.normal(size=60)
        days = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in t]
        frames.append(pl.DataFrame({"day": days, "store": store, "value": y}))
    panel = pl.concat(frames)

    def fitted() -> Forecaster:
        return Forecaster("day", "value", key="store", horizon=7, time_budget=None, tune_trials=3)

    local = fitted().fit(panel).predict()
    on_ray = fitted().fit(panel, map_fn=ray_map).predict()
    assert on_ray["store"].to_list() == local["store"].to_list()
    np.testing.assert_allclose(on_ray["forecast"], local["forecast"], rtol=1e-9)
    np.testing.assert_allclose(on_ray["hi_95"], local["hi_95"], rtol=1e-9)
    assert ray_map(len, [[1, 2], [3]]) == [2, 1]


def test_one_series_candidates_backtested_on_ray_match_the_in_process_fit(
    ray_local: None,
) -> None:
    rng = np.random.default_rng(6)
    t = np.arange(120)
    y = 50 + 0.3 * t + 4 * np.sin(2 * np.pi * t / 7) + rng.normal(size=120)
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in t]
    frame = pl.DataFrame({"day": days, "value": y})

    def fitted() -> Forecaster:
        return Forecaster("day", "value", horizon=7, time_budget=None, tune_trials=3)

    local = fitted().fit(frame)
    on_ray = fitted().fit(frame, map_fn=ray_map)
    assert on_ray.leaderboard()["model"].to_list() == local.leaderboard()["model"].to_list()
    np.testing.assert_allclose(on_ray.predict()["forecast"], local.predict()["forecast"])
