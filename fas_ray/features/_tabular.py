"""Tabular features: the same transform at training and at prediction time.

``FeatureBuilder.fit`` looks at training rows only and records, per input column, its kind, its
fill value and (for categoricals) its categories; ``transform`` turns any frame with those columns
into a float matrix. Column names are normalised first, so prediction input may use either the
original or the normalised spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

from fas_ray.etl import (
    ColumnType,
    apply_types,
    compute_fill_values,
    normalize_column_names,
    standardise_text,
)
from fas_ray.exceptions import InputError

__all__ = ["ColumnSpec", "FeatureBuilder", "to_polars"]

ColumnKind = Literal["numeric", "boolean", "categorical", "datetime"]
_MAX_CATEGORIES = 1000
_DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour")


def to_polars(data: Any) -> pl.DataFrame:
    """Accept a polars / pandas frame, an Arrow table, a dict of columns or a list of records."""
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pa.Table):
        return pl.from_arrow(data)  # type: ignore[return-value]
    if isinstance(data, list):
        if not data:
            raise InputError("No rows given; send at least one record.")
        if not all(isinstance(r, dict) for r in data):
            raise InputError("Rows must be objects mapping column names to values.")
        return pl.from_dicts(data, infer_schema_length=None)
    if isinstance(data, dict):
        return pl.DataFrame(data)
    if type(data).__module__.startswith("pandas"):
        return pl.from_pandas(data)
    raise InputError(
        f"Unsupported input type {type(data).__name__}; pass a polars or pandas DataFrame, an "
        "Arrow table, a dict of columns or a list of records."
    )


@dataclass
class ColumnSpec:
    """How one input column becomes features."""

    name: str
    kind: ColumnKind
    dtype: str
    fill: Any = None
    categories: list[Any] = field(default_factory=list)

    def feature_names(self) -> list[str]:
        if self.kind == "datetime":
            return [f"{self.name}__{part}" for part in _DATETIME_PARTS]
        return [self.name]


def _kind(series: pl.Series) -> ColumnKind | None:
    dtype = series.dtype
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "categorical"
    return None


@dataclass
class FeatureBuilder:
    """Turns a frame into a float feature matrix; fitted on training rows only.

    Args:
        target: normalised name of the target column (never a feature).
        types: the ETL's inferred column types; prediction input is converted the same way
            (numeric, boolean and date text), and identifier, constant, empty and free-text
            columns are not features.
    """

    target: str
    types: dict[str, ColumnType] = field(default_factory=dict)
    columns: list[ColumnSpec] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return [name for spec in self.columns for name in spec.feature_names()]

    @property
    def input_columns(self) -> list[str]:
        return [spec.name for spec in self.columns]

    def fit(self, df: pl.DataFrame) -> FeatureBuilder:
        """Learn column kinds, fill values and categories from ``df`` (training rows)."""
        df = self._prepare(df)
        self.columns, self.dropped = [], {}
        fills = compute_fill_values(df, exclude=[self.target], all_columns=True)
        for name in df.columns:
            if name == self.target:
                continue
            semantic = self.types[name].semantic if name in self.types else None
            if semantic in ("identifier", "constant", "empty"):
                self.dropped[name] = semantic
                continue
            if semantic == "text":
                self.dropped[name] = "free text (text features are not built yet)"
                continue
            series = df[name]
            kind = _kind(series)
            if kind is None:
                self.dropped[name] = f"unsupported type {series.dtype}"
                continue
            n_unique = series.drop_nulls().n_unique()
            if n_unique <= 1:
                self.dropped[name] = "constant"
                continue
            if kind == "categorical" and n_unique == df.height and df.height > 20:
                self.dropped[name] = "identifier (unique per row)"
                continue
            spec = ColumnSpec(name=name, kind=kind, dtype=str(series.dtype), fill=fills.get(name))
            if kind == "categorical":
                counts = series.drop_nulls().cast(pl.String).value_counts(name="_n")
                top = counts.sort(["_n", name], descending=[True, False]).head(_MAX_CATEGORIES)
                spec.categories = sorted(top[name].to_list())
                if spec.fill is not None:
                    spec.fill = str(spec.fill)
            self.columns.append(spec)
        if not self.columns:
            raise InputError(
                "No usable feature columns remain after dropping the target, constant and "
                f"identifier columns ({', '.join(self.dropped) or 'none'})."
            )
        return self

    def transform(self, data: Any) -> np.ndarray:
        """The float feature matrix of ``data``; unknown categories become -1, missing values
        the training fill values.

        Raises:
            InputError: a required column is missing or cannot be read as its training type.
        """
        df = self._prepare(to_polars(data))
        missing = [spec.name for spec in self.columns if spec.name not in df.columns]
        if missing:
            raise InputError(
                f"The input lacks the column(s) {', '.join(missing)} the model was trained on."
            )
        blocks: list[np.ndarray] = []
        for spec in self.columns:
            blocks.append(_encode(df[spec.name], spec))
        return np.column_stack(blocks) if blocks else np.empty((df.height, 0))

    def _prepare(self, df: pl.DataFrame) -> pl.DataFrame:
        """Normalised names; with ETL types, stripped text converted like the ETL did."""
        df = _normalised(df)
        if not self.types:
            return df
        known = {k: v for k, v in self.types.items() if k in df.columns and k != self.target}
        return apply_types(standardise_text(df), known)


def _normalised(df: pl.DataFrame) -> pl.DataFrame:
    new = normalize_column_names(df.columns)
    return df.rename(dict(zip(df.columns, new, strict=True))) if new != df.columns else df


def _encode(series: pl.Series, spec: ColumnSpec) -> np.ndarray:
    try:
        if spec.kind in ("numeric", "boolean"):
            col = series.cast(pl.Float64, strict=True)
            col = col.fill_nan(None)
            if spec.fill is not None:
                col = col.fill_null(float(spec.fill))
            return col.to_numpy().astype(np.float64).reshape(-1, 1)
        if spec.kind == "categorical":
            col = series.cast(pl.String, strict=True)
            if spec.fill is not None:
                col = col.fill_null(spec.fill)
            mapping = pl.DataFrame(
                {"_v": spec.categories, "_i": np.arange(len(spec.categories), dtype=np.float64)},
                schema={"_v": pl.String, "_i": pl.Float64},
            )
            joined = pl.DataFrame({"_v": col}).join(
                mapping, on="_v", how="left", maintain_order="left"
            )
            return joined["_i"].fill_null(-1.0).to_numpy().reshape(-1, 1)
        col = series
        if col.dtype == pl.Date:
            col = col.cast(pl.Datetime)
        elif not isinstance(col.dtype, pl.Datetime):
            col = col.cast(pl.String).str.to_datetime(strict=False)
        dt = col.dt
        parts = [dt.year(), dt.month(), dt.day(), dt.weekday(), dt.hour()]
        return np.column_stack(
            [p.cast(pl.Float64).fill_null(np.nan).to_numpy() for p in parts]
        ).astype(np.float64)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        raise InputError(
            f"The column '{spec.name}' cannot be read as {spec.kind} ({spec.dtype}): "
            f"{str(exc).splitlines()[0]}"
        ) from None
