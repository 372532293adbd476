"""A table becomes regular series: the time column parsed and sorted, the frequency and season
inferred, duplicate timestamps aggregated and short gaps filled, each step said in a note.

Frequencies are calendar-aware: hourly data steps by an hour, monthly data by a calendar month
(month-end dates stay month ends), so future timestamps continue the history's own grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from fas_ray.exceptions import InputError

__all__ = [
    "Frequency",
    "Series",
    "infer_frequency",
    "prepare_series",
    "season_lengths",
    "default_horizon",
    "future_times",
]

# unit -> (polars duration of one step, nominal seconds of one step)
_UNITS: dict[str, tuple[str, float]] = {
    "second": ("1s", 1.0),
    "minute": ("1m", 60.0),
    "hour": ("1h", 3600.0),
    "day": ("1d", 86400.0),
    "week": ("1w", 7 * 86400.0),
    "month": ("1mo", 30.44 * 86400.0),
    "quarter": ("1q", 91.31 * 86400.0),
    "year": ("1y", 365.25 * 86400.0),
}
# seasonal cycles per unit, shortest first (daily data: a week, then a year)
_SEASONS: dict[str, tuple[int, ...]] = {
    "second": (60,),
    "minute": (60, 1440, 10080),
    "hour": (24, 168),
    "day": (7, 365),
    "week": (52,),
    "month": (12,),
    "quarter": (4,),
    "year": (),
}
_HORIZONS = {  # in units; sub-hourly data: a day's steps, at most 48
    "second": 60,
    "minute": 1440,
    "hour": 24,
    "day": 14,
    "week": 13,
    "month": 12,
    "quarter": 8,
    "year": 4,
}
_ADJECTIVES = {
    "second": "per-second",
    "minute": "per-minute",
    "hour": "hourly",
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}
# gaps are filled by linear interpolation when at most this share of the grid is missing
MAX_GAP_SHARE = 0.1


@dataclass(frozen=True)
class Frequency:
    """A regular step: ``n`` units (``hour``, ``month``, ...); ``month_end`` for monthly or
    coarser data dated at the end of each period."""

    unit: str
    n: int = 1
    month_end: bool = False

    @property
    def every(self) -> str:
        """The polars duration string of one step (``"1mo"``, ``"15m"``)."""
        base = _UNITS[self.unit][0]
        return f"{self.n}{base[1:]}"

    @property
    def seconds(self) -> float:
        return self.n * _UNITS[self.unit][1]

    def describe(self) -> str:
        """``daily``, ``monthly``, ``15-minute``."""
        return _ADJECTIVES[self.unit] if self.n == 1 else f"{self.n}-{self.unit}"


@dataclass
class Series:
    """One regular series: times on the frequency's grid and their values.

    Args:
        key: the id column's value (``None`` for a single series).
        times: the timestamps, ascending, one per step.
        values: the target at each time (float64, no missing value).
        notes: what was done to make it regular (duplicates aggregated, gaps filled).
        exog: the covariates at each time, ``(len(values), k)`` float64 with no missing
            value, in ``prepare_series``'s ``covariates`` order (None: none asked for).
    """

    key: object
    times: pl.Series
    values: np.ndarray
    notes: list[str] = field(default_factory=list)
    exog: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


def infer_frequency(times: pl.Series) -> Frequency:
    """The step of sorted, distinct ``times`` (their most common gap), calendar-aware.

    Raises:
        InputError: fewer than two distinct timestamps.

    Example:
        >>> import datetime as dt
        >>> days = pl.Series([dt.date(2024, 1, d) for d in (1, 2, 3, 5)])
        >>> infer_frequency(days)
        Frequency(unit='day', n=1, month_end=False)
    """
    ts = times.cast(pl.Datetime("us")).unique().sort()
    if len(ts) < 2:
        raise InputError(
            f"A series needs at least two distinct timestamps to infer its frequency; got "
            f"{len(ts)}. Give more history."
        )
    gaps = ts.diff().drop_nulls().dt.total_seconds().to_numpy().astype(np.float64)
    values, counts = np.unique(gaps, return_counts=True)
    step = float(values[int(np.argmax(counts))])
    days = step / 86400.0
    month_end = bool(ts.dt.month_end().eq(ts.dt.truncate("1d")).all())
    for unit, low, high in (("year", 365, 366), ("quarter", 89, 92), ("month", 28, 31)):
        if low <= days <= high:
            return Frequency(unit, 1, month_end)
    for unit in ("week", "day", "hour", "minute", "second"):
        seconds = _UNITS[unit][1]
        if step >= seconds and step % seconds == 0:
            return Frequency(unit, int(step // seconds))
    raise InputError(
        f"The timestamps step by {step:g} s, not a whole number of seconds; give times on a "
        "regular grid."
    )


def season_lengths(freq: Frequency, n_points: int) -> list[int]:
    """The seasonal cycles (in steps) that the history covers at least twice; ``[1]`` when
    none does (no seasonality).

    Example:
        >>> season_lengths(Frequency("hour"), 24 * 30)
        [24, 168]
    """
    steps = [s // freq.n for s in _SEASONS[freq.unit] if s % freq.n == 0]
    cycles = [s for s in steps if s >= 4]  # a cycle of 2 or 3 steps is noise, not a season
    fitting = [s for s in cycles if 2 * s <= n_points]
    return fitting or [1]


def default_horizon(freq: Frequency, n_points: int, folds: int = 3) -> int:
    """A horizon for the frequency (a day of hours, two weeks of days, a year of months, ...),
    shortened so that ``folds`` backtest windows leave half the history to train on."""
    wanted = max(1, _HORIZONS[freq.unit] // freq.n)
    if freq.unit == "minute":
        wanted = min(wanted, 48)
    return max(1, min(wanted, n_points // (2 * folds)))


def future_times(last: pl.Series, freq: Frequency, horizon: int) -> pl.Series:
    """The ``horizon`` timestamps after ``last`` (a one-element series) on the grid.

    Example:
        >>> import datetime as dt
        >>> ends = pl.Series("t", [dt.date(2024, 1, 31)])
        >>> future_times(ends, Frequency("month", month_end=True), 2).to_list()
        [datetime.date(2024, 2, 29), datetime.date(2024, 3, 31)]
    """
    suffix = _UNITS[freq.unit][0][1:]
    offsets = [f"{(i + 1) * freq.n}{suffix}" for i in range(horizon)]
    start = last.cast(pl.Datetime("us"))[0]
    frame = pl.DataFrame({"t": [start] * horizon, "by": offsets})
    out = frame.select(pl.col("t").dt.offset_by(pl.col("by")))["t"]
    if freq.month_end:
        out = out.dt.month_end()
    return _like(out, last.dtype).alias(last.name)


def prepare_series(
    df: pl.DataFrame,
    time: str,
    target: str,
    key: str | None = None,
    covariates: Sequence[str] = (),
) -> tuple[list[Series], Frequency]:
    """Regular series from ``df``: one per ``key`` value (or one), on a common frequency.

    Rows without a time are dropped (noted), times are parsed when they are text, duplicate
    timestamps of a series are averaged, missing steps are filled by linear interpolation when
    at most 10 % of a series' grid is missing, and refused above that. ``covariates``
    (numeric or boolean columns) are averaged and filled the same way (a covariate with no
    value in a series is 0 there, noted) into each series' ``exog``.

    Raises:
        InputError: a column is missing, the target or a covariate is not numeric, the
            times cannot be parsed, a series has a single point, or too many steps are
            missing.
    """
    for column in (time, target, *([key] if key else []), *covariates):
        if column not in df.columns:
            raise InputError(
                f"The column '{column}' is not in the data. Columns: {', '.join(df.columns)}."
            )
    if not df[target].dtype.is_numeric():
        raise InputError(
            f"The target '{target}' is {df[target].dtype}, not numeric; a forecast needs numbers."
        )
    for column in covariates:
        if not (df[column].dtype.is_numeric() or df[column].dtype == pl.Boolean):
            raise InputError(
                f"The covariate '{column}' is {df[column].dtype}, not numeric or boolean; "
                "leave it out of the covariates."
            )
    times = _parse_times(df[time], time)
    frame = pl.DataFrame(
        {
            "_t": times,
            "_y": df[target].cast(pl.Float64),
            "_k": df[key] if key else pl.Series([None] * df.height, dtype=pl.String),
            **{f"_x{i}": df[c].cast(pl.Float64) for i, c in enumerate(covariates)},
        }
    )
    frame = frame.filter(pl.col("_t").is_not_null())
    dropped = df.height - frame.height
    freq = infer_frequency(frame["_t"])
    out: list[Series] = []
    for (name,), part in frame.group_by(["_k"], maintain_order=True):
        series = _regular(part, freq, name, target, list(covariates))
        if dropped:
            series.notes.insert(0, f"{dropped} rows without a time dropped")
        out.append(series)
    return out, freq


def _parse_times(column: pl.Series, name: str) -> pl.Series:
    if column.dtype == pl.Date or isinstance(column.dtype, pl.Datetime):
        return column
    if column.dtype == pl.String:
        parsed = column.str.to_datetime(strict=False)
        unparsed = int((parsed.is_null() & column.is_not_null()).sum())
        if unparsed:
            example = column.filter(parsed.is_null() & column.is_not_null())[0]
            raise InputError(
                f"{unparsed} value(s) of the time column '{name}' cannot be read as dates or "
                f"times (e.g. '{example}'); give ISO dates such as 2024-01-31."
            )
        return parsed
    if column.dtype.is_integer():  # years
        values = column.drop_nulls()
        if len(values) and values.min() >= 1000 and values.max() <= 9999:  # type: ignore[operator]
            years = [None if v is None else f"{v}-01-01" for v in column]
            return pl.Series(name, years).str.to_date()
    raise InputError(
        f"The time column '{name}' is {column.dtype}; give dates, datetimes or ISO date text."
    )


def _regular(
    part: pl.DataFrame, freq: Frequency, key: object, target: str, covariates: list[str]
) -> Series:
    notes: list[str] = []
    missing_target = int(part["_y"].fill_nan(None).null_count())
    xs = [f"_x{i}" for i in range(len(covariates))]
    agg = (
        part.group_by("_t")
        .agg(
            pl.col("_y").fill_nan(None).mean(),
            *[pl.col(x).fill_nan(None).mean() for x in xs],
            pl.len().alias("_n"),
        )
        .sort("_t")
    )
    duplicates = int((agg["_n"] - 1).sum())
    if duplicates:
        notes.append(f"{duplicates} duplicate timestamps averaged")
    if agg.height < 2:
        label = "" if key is None else f" '{key}'"
        raise InputError(
            f"The series{label} has {agg.height} point(s); a forecast needs at least two "
            "(more than 3 horizons' worth to backtest)."
        )
    start, end = agg["_t"][0], agg["_t"][-1]
    grid = _grid(start, end, freq, agg["_t"].dtype)
    full = pl.DataFrame({"_t": grid}).join(agg.select("_t", "_y", *xs), on="_t", how="left")
    off_grid = agg.height - full["_y"].is_not_null().sum() - int(agg["_y"].is_null().sum())
    if off_grid > 0:
        raise InputError(
            f"{off_grid} timestamps fall between the {freq.describe()} steps the data mostly "
            "uses; give times on one regular grid."
        )
    gaps = int(full["_y"].is_null().sum())
    if gaps:
        share = gaps / full.height
        if share > MAX_GAP_SHARE:
            raise InputError(
                f"{gaps} of {full.height} {freq.describe()} steps have no value in '{target}' "
                f"({share:.0%}); at most {MAX_GAP_SHARE:.0%} can be filled: give a complete "
                "series or resample it."
            )
        full = full.with_columns(pl.col("_y").interpolate().forward_fill().backward_fill())
        notes.append(
            f"{gaps} missing steps filled by linear interpolation"
            + (f" ({missing_target} of them empty target values)" if missing_target else "")
        )
    exog = None
    if xs:
        empty = [c for c, x in zip(covariates, xs, strict=True) if full[x].is_null().all()]
        if empty:
            notes.append(f"covariates without a value here, taken as 0: {', '.join(empty)}")
        full = full.with_columns(
            pl.col(x).interpolate().forward_fill().backward_fill().fill_null(0.0) for x in xs
        )
        exog = full.select(xs).to_numpy().astype(np.float64)
    return Series(key, full["_t"], full["_y"].to_numpy().astype(np.float64), notes, exog)


def _grid(start: object, end: object, freq: Frequency, dtype: pl.DataType) -> pl.Series:
    """Every step from ``start`` to ``end`` (calendar steps for months and longer)."""
    first = pl.Series([start]).cast(pl.Datetime("us"))
    last = pl.Series([end]).cast(pl.Datetime("us"))
    if freq.unit in ("month", "quarter", "year"):
        grid = pl.datetime_range(
            first.dt.truncate(freq.every)[0],
            last.dt.truncate(freq.every)[0],
            interval=freq.every,
            eager=True,
        )
        if freq.month_end:
            grid = grid.dt.month_end()
        else:  # the day in the period the data uses (the first of the month, mostly)
            into = (first - first.dt.truncate(freq.every)).dt.total_seconds()[0]
            grid = grid.dt.offset_by(f"{int(into)}s")
    else:
        grid = pl.datetime_range(first[0], last[0], interval=freq.every, eager=True)
    return _like(grid, dtype)


def _like(values: pl.Series, dtype: pl.DataType) -> pl.Series:
    return values.cast(pl.Date) if dtype == pl.Date else values.cast(dtype)
