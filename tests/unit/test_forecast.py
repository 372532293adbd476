"""Forecasting: series shaping, candidates with known answers, rolling-origin backtests that
never see the future, conformal intervals, and the Forecaster's bad-input errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fas_ray.exceptions import ConfigError, InputError
from fas_ray.forecast import (
    Candidate,
    Forecaster,
    Frequency,
    backtest,
    candidates,
    conformal_widths,
    default_horizon,
    drift,
    future_times,
    infer_frequency,
    interval_coverage,
    mase,
    origins,
    prepare_series,
    season_lengths,
    seasonal_naive,
)
from fas_ray.forecast._lags import LagFeatures
from fas_ray.forecast._tuned import tune_lags

START = dt.date(2020, 1, 6)  # a Monday


def _daily(values: np.ndarray, start: dt.date = START) -> pl.DataFrame:
    days = [start + dt.timedelta(days=i) for i in range(len(values))]
    return pl.DataFrame({"day": days, "value": values.astype(np.float64)})


# ------------------------------------------------------------------ shape
@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([dt.datetime(2024, 1, 1, h) for h in range(5)], Frequency("hour")),
        ([dt.datetime(2024, 1, 1, 0, 15 * i) for i in range(4)], Frequency("minute", 15)),
        ([dt.date(2024, 1, 1) + dt.timedelta(days=7 * i) for i in range(5)], Frequency("week")),
        ([dt.date(2024, m, 1) for m in range(1, 8)], Frequency("month")),
        (
            [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)],
            Frequency("month", month_end=True),
        ),
        ([dt.date(2024, m, 1) for m in (1, 4, 7, 10)], Frequency("quarter")),
        ([dt.date(y, 1, 1) for y in range(2000, 2006)], Frequency("year")),
    ],
)
def test_frequency_is_inferred_calendar_aware(times: list, expected: Frequency) -> None:
    assert infer_frequency(pl.Series(times)) == expected


def test_future_times_continue_the_grid() -> None:
    ends = pl.Series("t", [dt.date(2023, 11, 30)])
    assert future_times(ends, Frequency("month", month_end=True), 3).to_list() == [
        dt.date(2023, 12, 31),
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
    ]
    hours = pl.Series("t", [dt.datetime(2024, 1, 1, 23)])
    assert future_times(hours, Frequency("hour"), 2).to_list() == [
        dt.datetime(2024, 1, 2, 0),
        dt.datetime(2024, 1, 2, 1),
    ]


def test_seasons_need_two_cycles_and_horizons_fit_the_backtest() -> None:
    assert season_lengths(Frequency("day"), 30) == [7]
    assert season_lengths(Frequency("day"), 800) == [7, 365]
    assert season_lengths(Frequency("month"), 20) == [1]
    assert season_lengths(Frequency("year"), 50) == [1]
    assert default_horizon(Frequency("month"), 200) == 12
    assert default_horizon(Frequency("month"), 30) == 5  # 3 windows leave half to train


def test_rows_are_sorted_duplicates_averaged_and_gaps_filled() -> None:
    df = pl.DataFrame(
        {
            "day": ["2024-01-03", "2024-01-01", "2024-01-02", "2024-01-02", "2024-01-05"] * 1,
            "value": [3.0, 1.0, 2.0, 4.0, 5.0],
        }
    )
    # 2024-01-04 is missing: 1 of 5 steps (20 %) is too many
    with pytest.raises(InputError, match="1 of 5 daily steps have no value") as info:
        prepare_series(df, "day", "value")
    assert "\n" not in str(info.value)
    longer = pl.concat(
        [
            df,
            pl.DataFrame(
                {
                    "day": [f"2024-01-{d:02d}" for d in range(6, 16)],
                    "value": [float(d) for d in range(6, 16)],
                }
            ),
        ]
    )
    (series,), freq = prepare_series(longer, "day", "value")
    assert freq == Frequency("day") and len(series) == 15
    assert series.values[:5].tolist() == [1.0, 3.0, 3.0, 4.0, 5.0]  # (2+4)/2, then 3, 4 filled
    assert series.notes == [
        "1 duplicate timestamps averaged",
        "1 missing steps filled by linear interpolation",
    ]


@pytest.mark.parametrize(
    ("frame", "needle"),
    [
        (pl.DataFrame({"day": ["2024-01-01", "soon"], "value": [1.0, 2.0]}), "cannot be read"),
        (pl.DataFrame({"day": ["2024-01-01", "2024-01-02"], "value": ["a", "b"]}), "not numeric"),
        (pl.DataFrame({"day": [1.5, 2.5], "value": [1.0, 2.0]}), "time column 'day' is Float64"),
        (pl.DataFrame({"when": ["2024-01-01"], "value": [1.0]}), "'day' is not in the data"),
    ],
)
def test_bad_series_input_gets_one_line_errors(frame: pl.DataFrame, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as info:
        prepare_series(frame, "day", "value")
    assert "\n" not in str(info.value)


def test_a_panel_id_with_a_single_point_is_refused() -> None:
    df = pl.DataFrame(
        {
            "day": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01"],
            "store": ["a", "a", "a", "b"],
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    with pytest.raises(InputError, match="The series 'b' has 1 point"):
        prepare_series(df, "day", "value", key="store")


def test_years_as_integers_are_a_yearly_series() -> None:
    df = pl.DataFrame({"year": list(range(1990, 2000)), "value": [float(i) for i in range(10)]})
    (series,), freq = prepare_series(df, "year", "value")
    assert freq == Frequency("year") and series.times[0] == dt.date(1990, 1, 1)


# ------------------------------------------------------------------ candidates, metrics
def test_known_answers_of_the_baselines() -> None:
    trend = 3.0 + 2.0 * np.arange(20)
    np.testing.assert_allclose(drift(trend, 4), 3.0 + 2.0 * np.arange(20, 24))
    season = np.tile([1.0, 5.0, 2.0, 8.0], 5)
    np.testing.assert_array_equal(seasonal_naive(season, 6, 4), [1.0, 5.0, 2.0, 8.0, 1.0, 5.0])
    assert mase(np.array([2.0, 4.0]), np.array([3.0, 3.0]), np.array([0.0, 1.0, 3.0]), 1) == 2 / 3


def test_candidates_follow_the_history_length() -> None:
    names = [c.name for c in candidates([7, 365], 700)]
    assert names == [
        "naive",
        "seasonal_naive",
        "drift",
        "lightgbm_lags",
        "auto_ets",
        "auto_theta",
        "auto_arima",
    ]
    assert "mstl" in [c.name for c in candidates([7, 365], 1000)]
    assert [c.season for c in candidates([24, 168], 1600) if c.name == "auto_arima"] == [1]
    assert [c.season for c in candidates([24], 500) if c.name == "auto_arima"] == [24]
    assert [c.name for c in candidates([12], 10)] == ["naive", "seasonal_naive", "drift"]


def test_boosting_on_lagged_changes_follows_a_trend() -> None:
    """Trees on levels would stay flat at the highest level seen; on changes they climb."""
    rng = np.random.default_rng(0)
    t = np.arange(80, dtype=np.float64)
    y = 5.0 + 3.0 * t + rng.normal(scale=0.5, size=80)
    (boost,) = [c for c in candidates([1], 80) if c.name == "lightgbm_lags"]
    forecast = boost.forecast(y, 10)
    expected = 5.0 + 3.0 * np.arange(80, 90)
    assert np.max(np.abs(forecast - expected)) < 6.0
    assert forecast[-1] > y.max() + 20  # beyond every level in the history
    with pytest.raises(ValueError, match="needs"):
        boost.forecast(y[:12], 3)


def test_boosting_on_lags_is_tuned_by_the_search_and_competes() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(150, dtype=np.float64)
    y = 50.0 + 0.4 * t + 6.0 * np.sin(2 * np.pi * t / 7) + rng.normal(scale=1.0, size=150)
    features = LagFeatures.for_season(7, 150 - 3 * 14, daily=True)
    found = tune_lags(y, 14, 3, 7, features, deadline=None, max_trials=6)
    assert found is not None
    config, result = found
    assert dict(config)["learner"] in ("lightgbm", "xgboost")
    assert result.ok and len(result.forecasts) == 3 and result.name.endswith("_lags_tuned")
    again = tune_lags(y, 14, 3, 7, features, deadline=None, max_trials=6)  # seeded
    assert again is not None and again[0] == config and again[1].scores == result.scores
    fc = Forecaster("day", "value", horizon=14, time_budget=None, tune=True, tune_trials=4)
    fc.fit(_daily(y))
    board = fc.leaderboard()
    tuned = board.filter(pl.col("model").str.ends_with("_lags_tuned"))
    assert tuned.height == 1 and tuned["mase"][0] is not None
    assert fc.predict()["forecast"].is_finite().all()
    plain = Forecaster("day", "value", horizon=14, time_budget=None).fit(_daily(y))
    assert not plain.leaderboard()["model"].str.ends_with("_lags_tuned").any()


def test_a_leading_covariate_is_read_by_boosting_on_lags() -> None:
    """The series' daily change is the covariate's value 7 days before: only boosting on lags
    reads it, at the horizon's lag, and it never needs the covariate's future."""
    rng = np.random.default_rng(5)
    n, h = 200, 7
    x = rng.normal(size=n)
    changes = np.zeros(n)
    changes[h:] = 3.0 * x[: n - h]
    y = 100.0 + np.cumsum(changes) + rng.normal(scale=0.05, size=n)
    frame = _daily(y).with_columns(pl.Series("lead", x), pl.lit("x").alias("shop"))
    with_x = Forecaster("day", "value", horizon=h, time_budget=None, tune=False).fit(frame)
    without = Forecaster(
        "day", "value", horizon=h, time_budget=None, tune=False, covariates=()
    ).fit(frame)

    def boost(fc: Forecaster) -> float:
        board = fc.leaderboard()
        return float(board.filter(pl.col("model") == "lightgbm_lags")["mase"][0])

    assert boost(with_x) < 0.5 * boost(without)
    report = with_x.report()
    assert report["covariates"] == ["lead"] and "steps back" in report["covariates_use"]
    assert report["ignored_columns"] == ["shop"] and without.report()["covariates"] == []
    assert with_x.predict()["forecast"].is_finite().all()
    again = with_x.predict(history=frame.head(150))
    assert again.height == h
    with pytest.raises(InputError, match="lacks the covariate"):
        with_x.predict(history=frame.head(150).drop("lead"))
    with pytest.raises(InputError, match="not numeric"):
        Forecaster("day", "value", horizon=h, covariates=["shop"]).fit(frame)
    with pytest.raises(ConfigError, match="covariates"):
        Forecaster("day", "value", covariates="lead")  # type: ignore[arg-type]


def test_backtest_windows_pass_only_the_past_covariates() -> None:
    y = np.arange(30, dtype=np.float64)
    spy = Spy("spy", "learned")
    result = backtest(spy, y, 5, 3, 1, exog=y.reshape(-1, 1).copy())
    assert result.ok and len(result.forecasts) == 3


@dataclass(frozen=True)
class Spy(Candidate):
    """Forecasts the next values by position, and fails when its history holds the future."""

    def forecast(self, y: np.ndarray, h: int, exog: np.ndarray | None = None) -> np.ndarray:
        origin = len(y)
        assert y[-1] == origin - 1, "the history is y[:origin], in order"
        assert exog is None or (len(exog) == origin and exog[-1, 0] == origin - 1)
        return np.arange(origin, origin + h, dtype=np.float64)


def test_backtest_windows_never_see_their_future() -> None:
    y = np.arange(30, dtype=np.float64)  # each value is its position
    result = backtest(Spy("spy", "baseline"), y, 4, 3, 1)
    assert result.ok and origins(30, 4, 3) == [18, 22, 26]
    assert [f.tolist() for f in result.forecasts] == [
        [18.0, 19.0, 20.0, 21.0],
        [22.0, 23.0, 24.0, 25.0],
        [26.0, 27.0, 28.0, 29.0],
    ]
    assert result.scores["mase"] == 0.0


def test_a_candidate_that_fails_is_recorded_not_raised() -> None:
    broken = Candidate("auto_arima", "statistical", "NoSuchModel")
    result = backtest(broken, np.arange(30, dtype=np.float64), 4, 3, 1)
    assert not result.ok and "NoSuchModel" in result.error


# ------------------------------------------------------------------ intervals
def test_conformal_widths_cover_their_level_on_generated_noise() -> None:
    rng = np.random.default_rng(0)
    scale = np.linspace(1.0, 3.0, 12)  # errors grow with the step
    hits = {0.8: [], 0.95: []}
    for _ in range(300):
        past = rng.normal(size=(3, 12)) * scale
        new = rng.normal(size=12) * scale
        for level in hits:
            hits[level].append(np.mean(np.abs(new) <= conformal_widths(past, level)))
    assert abs(np.mean(hits[0.8]) - 0.8) < 0.04
    assert abs(np.mean(hits[0.95]) - 0.95) < 0.03
    widths = conformal_widths(rng.normal(size=(3, 12)) * scale, 0.8)
    assert np.all(np.diff(widths) >= 0), "widths never shrink with the step"
    assert interval_coverage(rng.normal(size=(5, 12)), 0.8) is not None


# ------------------------------------------------------------------ Forecaster
def test_a_pure_trend_is_forecast_by_drift_exactly() -> None:
    y = 10.0 + 0.5 * np.arange(60)
    frame = _daily(y).with_columns(pl.lit(1.0).alias("price"), pl.lit("a").alias("note"))
    fc = Forecaster("day", "value", horizon=7, time_budget=None, tune_trials=2).fit(frame)
    assert fc.report()["covariates"] == ["price"] and fc.report()["ignored_columns"] == ["note"]
    board = fc.leaderboard()
    assert board.filter(pl.col("model") == "drift")["mase"][0] < 1e-9
    assert fc.report()["series"][0]["backtest"]["mase"] < 1e-6
    future = fc.predict()
    np.testing.assert_allclose(future["forecast"].to_numpy(), 10.0 + 0.5 * np.arange(60, 67))
    assert future["day"][0] == START + dt.timedelta(days=60)


def test_a_pure_season_is_forecast_by_seasonal_naive_exactly() -> None:
    y = np.tile([5.0, 9.0, 4.0, 7.0, 8.0, 2.0, 1.0], 10)
    fc = Forecaster("day", "value", horizon=7, time_budget=None).fit(_daily(y))
    assert fc.leaderboard().filter(pl.col("model") == "seasonal_naive")["mase"][0] == 0.0
    np.testing.assert_allclose(fc.predict()["forecast"].to_numpy(), y[:7], atol=1e-6)


def test_forecast_intervals_and_panel_keys() -> None:
    rng = np.random.default_rng(3)
    frames = []
    for store, level in (("north", 100.0), ("south", 50.0)):
        y = level + rng.normal(scale=2.0, size=70)
        frames.append(_daily(y).with_columns(pl.lit(store).alias("store")))
    fc = Forecaster("day", "value", key="store", horizon=5, time_budget=30).fit(pl.concat(frames))
    future = fc.predict()
    assert future.columns == ["store", "day", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert future["store"].to_list() == ["north"] * 5 + ["south"] * 5
    assert (future["lo_95"] <= future["lo_80"]).all() and (future["hi_80"] <= future["hi_95"]).all()
    north = future.filter(pl.col("store") == "north")["forecast"].to_numpy()
    assert np.all(np.abs(north - 100.0) < 6.0)
    longer = fc.predict(horizon=8)  # beyond the fitted horizon: forecast again, wider
    assert longer.height == 16
    report = fc.report()
    assert report["frequency"] == "daily" and report["horizon"] == 5
    assert report["ignored_columns"] == []
    assert {s["key"] for s in report["series"]} == {"north", "south"}


def test_a_series_too_short_for_the_horizon_is_refused_or_naive_when_allowed() -> None:
    y = np.arange(16, dtype=np.float64)
    with pytest.raises(InputError, match="has 16 points; a horizon of 5 with 3 backtest") as info:
        Forecaster("day", "value", horizon=5).fit(_daily(y))
    assert "needs at least 19" in str(info.value) and "\n" not in str(info.value)
    fc = Forecaster("day", "value", horizon=5, allow_naive=True).fit(_daily(y))
    assert fc.predict()["forecast"].to_list() == [9.0, 10.0, 11.0, 12.0, 13.0]  # last week again
    assert "untested" in fc.report()["series"][0]["notes"][-1]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"horizon": 0}, "horizon"),
        ({"folds": 2}, "folds"),
        ({"levels": (80, 120)}, "levels"),
        ({"time_budget": 0}, "time_budget"),
    ],
)
def test_bad_forecaster_options(kwargs: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Forecaster("day", "value", **kwargs)


def test_new_history_is_forecast_with_the_chosen_models() -> None:
    y = 10.0 + 0.5 * np.arange(80)
    fc = Forecaster("day", "value", horizon=5, time_budget=None).fit(_daily(y[:60]))
    newer = fc.predict(horizon=3, history=_daily(y))  # 20 days later
    assert newer["day"][0] == START + dt.timedelta(days=80)
    np.testing.assert_allclose(newer["forecast"].to_numpy(), 10.0 + 0.5 * np.arange(80, 83))
    weekly = pl.DataFrame(
        {"day": [START + dt.timedelta(weeks=i) for i in range(30)], "value": y[:30]}
    )
    with pytest.raises(InputError, match="steps weekly; the model was fitted on daily"):
        fc.predict(history=weekly)


def test_new_history_of_an_unknown_series_is_refused() -> None:
    frame = _daily(np.arange(40, dtype=np.float64)).with_columns(pl.lit("a").alias("store"))
    fc = Forecaster("day", "value", key="store", horizon=3, time_budget=None).fit(frame)
    other = frame.with_columns(pl.lit("b").alias("store"))
    with pytest.raises(InputError, match="The series 'b' was not in the training data; known: a"):
        fc.predict(history=other)


def test_automl_forecasts_through_the_same_api(tmp_path: Path) -> None:
    from fas_ray import AutoML, load

    y = np.tile([5.0, 9.0, 4.0, 7.0, 8.0, 2.0, 1.0], 10) + 0.1 * np.arange(70)
    automl = AutoML(target="value", horizon=7, time_budget=30).fit(_daily(y))
    assert automl.task == "forecast"
    future = automl.predict()
    assert future.columns[:2] == ["day", "forecast"] and future.height == 7
    assert automl.predict(horizon=3).height == 3
    assert "mase" in automl.leaderboard().columns
    again = load(automl.save(tmp_path / "f.fasray"))
    np.testing.assert_allclose(again.predict()["forecast"], future["forecast"])
    with pytest.raises(ConfigError, match="forecasts: predict"):
        _ = automl.classes_
    with pytest.raises(ConfigError, match="for forecasts"):
        AutoML(target="value", task="regression", horizon=3)
    with pytest.raises(InputError, match="No date or time column"):
        AutoML(target="value", horizon=3).fit(pl.DataFrame({"value": y}))


def test_caruana_weights_two_candidates_that_err_in_opposite_directions() -> None:
    from fas_ray.forecast import Backtest, combine

    y = np.arange(30, dtype=np.float64)
    windows = origins(30, 4, 3)
    high = Backtest("high", [y[o : o + 4] + 2.0 for o in windows], {"mase": 2.0})
    low = Backtest("low", [y[o : o + 4] - 2.0 for o in windows], {"mase": 2.0})
    best, tried = combine([high, low], y, 4, 3, 1, caruana=True)
    weighted = [c for c in tried if c.how == "weighted"]
    assert weighted and weighted[0].weights == (0.5, 0.5)
    assert best.scores["mase"] == 0.0 and best.name in ("mean(high, low)", weighted[0].name)
