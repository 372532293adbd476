"""Holdout split: stratified, random, or the latest rows for time series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fas_ray.etl import ColumnType
from fas_ray.exceptions import InputError
from fas_ray.ml import TaskInfo
from fas_ray.ml._split import holdout_split, time_order, time_order_column

N = 40
REGRESSION = TaskInfo("regression", "regression", "y")
TIME_SERIES = TaskInfo("regression", "regression", "y", family="time_series")


@pytest.fixture
def frame() -> pl.DataFrame:
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=int(i)) for i in range(N)]
    shuffled = np.random.default_rng(0).permutation(N)
    return pl.DataFrame(
        {
            "x": np.arange(N, dtype=np.float64),
            "day": [days[i] for i in shuffled],
            "y": np.arange(N, dtype=np.float64) % 7,
        }
    )


def test_time_series_holdout_is_the_latest_rows(frame: pl.DataFrame) -> None:
    train, holdout = holdout_split(frame, TIME_SERIES, 0.25, seed=0, order_column="day")
    assert (train.height, holdout.height) == (30, 10)
    assert train["day"].max() < holdout["day"].min()
    assert holdout["x"].to_list() == sorted(holdout["x"].to_list()), "original row order"


def test_holdout_keeps_a_row_on_each_side(frame: pl.DataFrame) -> None:
    train, holdout = holdout_split(frame.head(3), TIME_SERIES, 0.99, seed=0, order_column="day")
    assert (train.height, holdout.height) == (1, 2)


def test_order_column_changes_nothing_for_other_tasks(frame: pl.DataFrame) -> None:
    plain = holdout_split(frame, REGRESSION, 0.25, seed=3)
    ordered = holdout_split(frame, REGRESSION, 0.25, seed=3, order_column="day")
    assert plain[1].equals(ordered[1]) and plain[0].equals(ordered[0])
    no_column = holdout_split(frame, TIME_SERIES, 0.25, seed=3)
    assert no_column[1].equals(plain[1]), "time series without a time column: random"


def test_classification_holdout_is_stratified() -> None:
    task = TaskInfo("classification", "binary", "y", [0, 1])
    df = pl.DataFrame({"x": range(40), "y": [0] * 30 + [1] * 10})
    _, holdout = holdout_split(df, task, 0.2, seed=0)
    assert holdout["y"].to_list().count(1) == 2


def test_missing_order_column_is_named(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="'when' is not in the data. Columns: x, day, y"):
        holdout_split(frame, TIME_SERIES, 0.25, seed=0, order_column="when")


def test_time_order_puts_nulls_first_and_keeps_ties_in_row_order() -> None:
    df = pl.DataFrame({"t": [3, None, 1, 3, 2]})
    assert time_order(df, "t").tolist() == [3, 0, 1, 4, 2]


def test_time_order_column_picks_the_first_datetime_feature() -> None:
    df = pl.DataFrame(
        {
            "n": [1, 2],
            "target_day": [dt.date(2024, 1, 1), dt.date(2024, 1, 2)],
            "constant_day": [dt.date(2024, 1, 1)] * 2,
            "seen": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)],
        }
    )
    assert time_order_column(df, None, "target_day") == "constant_day"
    types = {"constant_day": ColumnType("constant_day", "constant", "Date", "Date")}
    assert time_order_column(df, types, "target_day") == "seen"
    assert time_order_column(df.select("n", "target_day"), None, "target_day") is None


def test_a_table_too_small_to_cross_validate_and_test_is_refused() -> None:
    from fas_ray.exceptions import InputError
    from fas_ray.ml._split import check_enough_rows

    check_enough_rows(13, "target", 0.2)  # 10 to cross-validate, 3 to test
    with pytest.raises(InputError, match=r"^Only 12 row\(s\) have a value in the target 'target'"):
        check_enough_rows(12, "target", 0.2)
    with pytest.raises(InputError, match="at least 20"):
        check_enough_rows(19, "target", 0.5)
