"""Holdout split: stratified (classification), random (regression) or time-ordered (time series)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split

from fas_ray.exceptions import InputError
from fas_ray.ml._task import TaskInfo

if TYPE_CHECKING:
    from fas_ray.etl import ColumnType

__all__ = [
    "MIN_CV_ROWS",
    "check_enough_rows",
    "holdout_split",
    "time_order",
    "time_order_column",
]

# the fewest rows with a target that default cross-validation takes (two per fold, five folds)
MIN_CV_ROWS = 10


def check_enough_rows(rows: int, target: str, test_size: float) -> None:
    """Refuse a table too small to cross-validate and test (``MIN_CV_ROWS`` training rows and
    one holdout row at least).

    Raises:
        InputError: naming the rows there are and the rows needed.
    """
    needed = max(MIN_CV_ROWS + 1, math.ceil(MIN_CV_ROWS / (1.0 - test_size)))
    if rows < needed:
        raise InputError(
            f"Only {rows} row(s) have a value in the target '{target}'; a run needs at least "
            f"{needed} ({MIN_CV_ROWS} to cross-validate, the rest to test); add rows."
        )


def time_order_column(
    df: pl.DataFrame, types: Mapping[str, ColumnType] | None, target: str
) -> str | None:
    """The first ``Date`` / ``Datetime`` column other than ``target``, or ``None``.

    With ETL ``types``, a column they type as anything but ``datetime`` (e.g. ``constant``) is
    skipped.
    """
    for name, dtype in df.schema.items():
        if name == target:
            continue
        if types and name in types and types[name].semantic != "datetime":
            continue
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            return name
    return None


def time_order(df: pl.DataFrame, column: str) -> np.ndarray:
    """Each row's position in time order by ``column``: rows without a time come first, ties
    keep their row order. Pass it as ``make_folds(..., order=...)``.

    Raises:
        InputError: ``column`` is not in ``df``.
    """
    if column not in df.columns:
        raise InputError(
            f"The time column '{column}' is not in the data. Columns: {', '.join(df.columns)}."
        )
    by_time = df.select(pl.arg_sort_by(column, nulls_last=False, maintain_order=True))
    ranks = np.empty(df.height, dtype=np.int64)
    ranks[by_time.to_series().to_numpy()] = np.arange(df.height, dtype=np.int64)
    return ranks


def holdout_split(
    df: pl.DataFrame,
    task: TaskInfo,
    test_size: float,
    seed: int,
    order_column: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Train and holdout frames, each in the rows' original order.

    Time series with an ``order_column`` (see :func:`time_order_column`): the holdout is the
    latest ``test_size`` share of the rows (at least one row, and at least one left to train).
    Otherwise stratified for classification when every class has two rows, else random.
    """
    if task.family == "time_series" and order_column is not None:
        n_test = min(max(1, math.ceil(test_size * df.height)), df.height - 1)
        is_test = time_order(df, order_column) >= df.height - n_test
        return df.filter(pl.Series(~is_test)), df.filter(pl.Series(is_test))
    stratify = None
    if task.is_classification:
        counts = df[task.target].value_counts()["count"].to_numpy()
        if int(counts.min()) >= 2:
            stratify = df[task.target].to_numpy()
    train_idx, test_idx = train_test_split(
        np.arange(df.height), test_size=test_size, random_state=seed, stratify=stratify
    )
    return df[np.sort(train_idx)], df[np.sort(test_idx)]
