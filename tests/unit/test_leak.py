"""Target leaks: a feature that gives the target exactly stops the fit with a clear error."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fas_ray import AutoML
from fas_ray.exceptions import InputError
from fas_ray.ml._leak import MIN_LEAK_ROWS, target_copies


def _frame(n: int = 60, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return pl.DataFrame({"x": rng.normal(size=n), "noise": rng.integers(0, 3, n), "y": y})


def test_a_relabelled_class_column_is_a_copy() -> None:
    df = _frame().with_columns(
        name=pl.col("y").replace_strict({0: "low", 1: "mid", 2: "high"}, return_dtype=pl.String),
        same=pl.col("y"),
    )
    found = target_copies(df, df.columns, "y", classification=True)
    assert found == ["name", "same"]


def test_a_linear_function_of_a_numeric_target_is_a_copy() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=50)
    df = pl.DataFrame({"y": y, "eur": 0.9 * y + 3.0, "noisy": y + rng.normal(0, 1e-3, 50)})
    assert target_copies(df, df.columns, "y", classification=False) == ["eur"]


def test_near_copies_gaps_and_tiny_tables_are_not_flagged() -> None:
    df = _frame()
    almost = df["y"].to_numpy().copy()
    almost[0] = (almost[0] + 1) % 3  # one row differs
    gappy = df["y"].to_list()
    gappy[5] = None  # a feature missing where the target has a value
    df = df.with_columns(almost=pl.Series(almost), gappy=pl.Series(gappy))
    assert target_copies(df, df.columns, "y", classification=True) == []
    small = _frame(MIN_LEAK_ROWS - 1).with_columns(same=pl.col("y"))
    assert target_copies(small, small.columns, "y", classification=True) == []


def test_fit_stops_in_one_line_naming_the_column() -> None:
    df = _frame(80).with_columns(copy=pl.col("y") * 10)
    with pytest.raises(InputError) as info:
        AutoML(target="y", max_trials=1, time_budget=None, use_ray=False).fit(df)
    message = str(info.value)
    assert "'copy' give the target 'y' exactly" in message and "drop" in message
    assert "\n" not in message
