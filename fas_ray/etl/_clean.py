"""Cleaning: normalised column names, exact-duplicate removal and missing-value filling.

Each function takes and returns a Polars frame and works on one block; ``clean_table`` composes
them for data that fits one process. ``fas_ray.distributed.etl`` runs the same functions over
Ray Data blocks, with the duplicate and fill steps made global.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from anyascii import anyascii

__all__ = [
    "FINGERPRINT_PREFIX",
    "HASH_COLUMN",
    "EtlSummary",
    "FillValue",
    "add_row_hash",
    "canonical_order",
    "drop_missing_rows",
    "compute_fill_values",
    "dedup_rows",
    "fill_missing",
    "is_helper_column",
    "median_of",
    "normalize_column_names",
    "normalize_name",
    "numeric_fill",
]

HASH_COLUMN = "__fas_row_hash"
FINGERPRINT_PREFIX = "__fas_simhash__"


def is_helper_column(name: str) -> bool:
    """Columns ETL adds while it works (row hash, text fingerprints); never in its output."""
    return name == HASH_COLUMN or name.startswith(FINGERPRINT_PREFIX)


_HASH_SEED = 42

FillValue = Any


@dataclass
class EtlSummary:
    """What cleaning did, for the report."""

    rows_in: int = 0
    rows_out: int = 0
    duplicates_removed: int = 0
    missing_rows_dropped: int = 0
    near_duplicates_removed: int = 0
    renamed: dict[str, str] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)
    fill_values: dict[str, FillValue] = field(default_factory=dict)
    strategies: dict[str, str] = field(default_factory=dict)
    schema: dict[str, dict[str, Any]] = field(default_factory=dict)
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "duplicates_removed": self.duplicates_removed,
            "missing_rows_dropped": self.missing_rows_dropped,
            "near_duplicates_removed": self.near_duplicates_removed,
            "renamed": self.renamed,
            "filled": self.filled,
            "fill_values": {k: _jsonable(v) for k, v in self.fill_values.items()},
            "strategies": self.strategies,
            "schema": self.schema,
            "near_duplicates": self.near_duplicates,
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def normalize_name(name: str) -> str:
    """One column name as snake_case ASCII: ``"Mean Radius (mm)"`` → ``"mean_radius_mm"``;
    other scripts are transliterated (``"数量"`` → ``"shu_liang"``, ``"Größe"`` → ``"grosse"``)."""
    text = anyascii(unicodedata.normalize("NFKC", str(name)))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    if not text:
        text = "column"
    if text[0].isdigit():
        text = f"c_{text}"
    return text


def normalize_column_names(names: Sequence[str]) -> list[str]:
    """Unique snake_case ASCII names, in order; already-normalised unique names stay as they are."""
    bases = [normalize_name(n) for n in names]
    used: set[str] = set()
    out: list[str] = []
    for base in bases:
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        out.append(candidate)
    return out


def add_row_hash(df: pl.DataFrame) -> pl.DataFrame:
    """Add a 64-bit hash of each row's values (same row → same hash, in any process)."""
    return df.with_columns(df.hash_rows(seed=_HASH_SEED).alias(HASH_COLUMN))


def dedup_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Drop exact duplicate rows, keeping the first of each."""
    return df.unique(maintain_order=True, keep="first")


def canonical_order(df: pl.DataFrame) -> pl.DataFrame:
    """Sort rows by content hash: an order that does not depend on how blocks were split."""
    if df.width == 0:
        return df
    helper = [c for c in df.columns if c != HASH_COLUMN]
    keyed = df.select(helper).with_columns(df.select(helper).hash_rows(seed=_HASH_SEED).alias("_k"))
    return keyed.sort("_k", maintain_order=True).drop("_k")


def median_of(col: pl.Series) -> float | None:
    """The median as ``(lo + hi) / 2`` of the two middle values in float64 (DuckDB's formula, so
    both engines give bit-identical fill values)."""
    values = col.cast(pl.Float64)
    values = values.fill_nan(None).drop_nulls().sort()
    n = values.len()
    if n == 0:
        return None
    lo, hi = values[(n - 1) // 2], values[n // 2]
    return float((lo + hi) / 2)


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() and dtype != pl.Boolean


def numeric_fill(median: float | None, *, is_integer: bool) -> FillValue:
    """The fill value for a numeric column from its median (rounded for integer columns)."""
    if median is None or (isinstance(median, float) and math.isnan(median)):
        return None
    if is_integer:
        return int(round(median))
    return float(median)


def compute_fill_values(
    df: pl.DataFrame, exclude: Iterable[str] = (), *, all_columns: bool = False
) -> dict[str, FillValue]:
    """Fill value per column with nulls (every column if ``all_columns``): the median of numeric
    columns, else the mode.

    The mode's ties go to the smallest value, so every engine picks the same one.
    """
    skip = set(exclude) | {HASH_COLUMN}
    values: dict[str, FillValue] = {}
    for name, dtype in df.schema.items():
        if name in skip:
            continue
        col = df[name].fill_nan(None) if dtype.is_float() else df[name]
        if col.null_count() == 0 and not all_columns:
            continue
        col = col.drop_nulls()
        if col.len() == 0:
            values[name] = None
        elif _is_numeric(dtype):
            values[name] = numeric_fill(median_of(col), is_integer=dtype.is_integer())
        else:
            counts = col.value_counts(name="_n").sort(["_n", name], descending=[True, False])
            values[name] = counts[name][0]
    return values


def _missing_count(col: pl.Series) -> int:
    return (col.fill_nan(None) if col.dtype.is_float() else col).null_count()


def drop_missing_rows(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Drop rows with a null (or NaN) in any of ``columns``."""
    conds = []
    for name in columns:
        col = pl.col(name)
        missing = col.is_null() | col.is_nan() if df.schema[name].is_float() else col.is_null()
        conds.append(missing)
    return df.filter(~pl.any_horizontal(conds)) if conds else df


def fill_missing(df: pl.DataFrame, fill_values: dict[str, FillValue]) -> pl.DataFrame:
    """Fill nulls (and NaN in float columns) with the given values; other columns are untouched."""
    exprs = []
    for name, value in fill_values.items():
        if value is None or name not in df.columns:
            continue
        col = pl.col(name)
        if df.schema[name].is_float():
            col = col.fill_nan(None)
        exprs.append(col.fill_null(pl.lit(value, dtype=df.schema[name])).alias(name))
    return df.with_columns(exprs) if exprs else df
