"""Data profile of Parquet files: every statistic is DuckDB SQL over the files, nothing is loaded
into Python.

Definitions used throughout:

* **Null** means SQL NULL, and NaN in float columns. An empty string is a value, not a null: it
  counts in ``unique`` and can be a top value.
* **Numeric** columns are DuckDB integer, float and decimal types (not BOOLEAN). Their ``std`` is
  the sample standard deviation (ddof=1); ``median``, ``q1`` and ``q3`` are ``quantile_cont``,
  the linear interpolation that Polars' ``quantile(q, interpolation="linear")`` also uses.
* **Categorical** columns are VARCHAR, BOOLEAN and ENUM; their top values are sorted by count
  (descending), ties by value (ascending).
* **Temporal** columns (dates, times, timestamps) get their minimum and maximum as ISO strings.
  Other types (lists, structs, blobs, ...) get only null and distinct counts.
* ``memory_bytes`` estimates the table's size as one contiguous Arrow table: fixed-width values at
  their Arrow width (decimals 16 bytes), booleans one bit, strings and blobs their bytes plus a
  4-byte offset per row (Arrow ``string``), and a validity bitmap for each column with nulls.
  Nested and other types count at their Parquet uncompressed size.
* ``quality = completeness * 0.4 + (1 - null_cells / total_cells) * 0.6`` with
  ``completeness = rows_after / rows_before`` (see :func:`quality_score`).

Warnings: ``high_nulls`` (null share above ``null_warn``), ``constant`` (at most one distinct
value), ``high_cardinality`` (text with ``unique / non-null > cardinality_warn`` and more than 50
values), ``class_imbalance`` (rarest class share of a categorical-like target below
``imbalance_warn``) and ``target_leakage``. A target is categorical-like as in
:func:`fas_ray.ml.detect_task`: not numeric, or integer-valued with at most 20 distinct values.
For such a target, a feature's leakage score is the leave-one-out accuracy of predicting the
target by majority vote among the rows that share the feature's value (null is a value too;
numeric features with more than 50 values are cut into 50 equal-width bins between their 1st and
99th percentiles, plus one bin per tail). It warns when the score reaches ``leakage_warn``, the
majority class alone scores below that, and the feature removes at least half of the majority
guess's errors. Features distinct on at least 90% of rows are skipped, except floats: identifiers
would "predict" anything. For a numeric target it warns when a numeric feature's ``|corr|``
reaches ``leakage_warn``; text features are not checked against a numeric target.

Example::

    profile = profile_parquet(Path("data/silver"), target="churn")
    print("\\n".join(profile.summary_lines()))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb

from fas_ray.etl._duck import _ident, _literal, parquet_source
from fas_ray.exceptions import ConfigError, InputError
from fas_ray.storage import ParquetKey
from fas_ray.storage._crypt import read_arrow

__all__ = [
    "CategoricalStats",
    "ColumnProfile",
    "NumericStats",
    "Profile",
    "ProfileWarning",
    "TemporalStats",
    "WarningKind",
    "profile_parquet",
    "quality_score",
]

WarningKind = Literal[
    "high_nulls", "constant", "high_cardinality", "class_imbalance", "target_leakage"
]
Kind = Literal["integer", "float", "decimal", "categorical", "temporal", "other"]

# Arrow width in bytes of each fixed-width DuckDB type
_WIDTH = {
    **dict.fromkeys(("TINYINT", "UTINYINT"), 1),
    **dict.fromkeys(("SMALLINT", "USMALLINT"), 2),
    **dict.fromkeys(("INTEGER", "UINTEGER", "FLOAT", "REAL", "DATE"), 4),
    **dict.fromkeys(("BIGINT", "UBIGINT", "DOUBLE", "TIME", "TIME WITH TIME ZONE"), 8),
    **dict.fromkeys(("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"), 8),
    **dict.fromkeys(("TIMESTAMP WITH TIME ZONE",), 8),
    **dict.fromkeys(("HUGEINT", "UHUGEINT", "INTERVAL", "UUID"), 16),
}
_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
_INTEGER |= {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_FLOAT = {"FLOAT", "DOUBLE", "REAL"}
_TEMPORAL = {"DATE", "TIME", "TIME WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"}
_TEMPORAL |= {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}
_QUARTILES = (0.25, 0.5, 0.75)
_BINS = 50  # equal-width bins for numeric features in the leakage check, ...
_CLIP = 0.01  # ... between these quantiles
_MAX_CLASSES = 20  # as fas_ray.ml.MAX_CLASSES_FOR_INTEGER_TARGET
_ID_SHARE = 0.9  # a feature distinct on this share of rows is an identifier to the leakage check
_MIN_CARDINALITY = 50


class _Json:
    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: no NaN or infinity (``None`` instead), tuples as lists, dates and
        times as ISO strings."""
        return _jsonable(self)


@dataclass(frozen=True)
class NumericStats(_Json):
    """Statistics of a numeric column's non-null values (``None`` when there are none)."""

    mean: float | None
    std: float | None
    min: float | int | None
    max: float | int | None
    median: float | None
    q1: float | None
    q3: float | None


@dataclass(frozen=True)
class CategoricalStats(_Json):
    """Distinct count and the most frequent values with their counts."""

    unique: int
    top: list[tuple[Any, int]]


@dataclass(frozen=True)
class TemporalStats(_Json):
    """Earliest and latest value of a date, time or timestamp column, as ISO strings."""

    min: str | None
    max: str | None


@dataclass(frozen=True)
class ColumnProfile(_Json):
    """One column: DuckDB type, nulls (``null_pct`` in percent, 0–100) and its statistics."""

    name: str
    dtype: str
    nulls: int
    null_pct: float
    unique: int
    numeric: NumericStats | None = None
    categorical: CategoricalStats | None = None
    temporal: TemporalStats | None = None


@dataclass(frozen=True)
class ProfileWarning(_Json):
    """A data problem worth a look; ``value`` is the share, ratio or score that tripped it."""

    kind: WarningKind
    column: str
    message: str
    value: float


@dataclass(frozen=True)
class Profile(_Json):
    """The profile of a table (see the module docstring for each definition)."""

    rows: int
    columns: int
    memory_bytes: int
    file_bytes: int
    null_cells: int
    total_cells: int
    completeness: float
    quality: float
    column_profiles: list[ColumnProfile] = field(default_factory=list)
    warnings: list[ProfileWarning] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """A short text summary: totals, one line per column, then the warnings."""
        null_share = self.null_cells / self.total_cells if self.total_cells else 0.0
        lines = [
            f"{self.rows:,} rows x {self.columns} columns; quality {self.quality:.3f} "
            f"(completeness {self.completeness:.1%}, {null_share:.1%} of cells null)",
            f"size: {_size(self.memory_bytes)} in memory (Arrow estimate), "
            f"{_size(self.file_bytes)} on disk",
        ]
        width = max((len(c.name) for c in self.column_profiles), default=0)
        for c in self.column_profiles:
            lines.append(f"  {c.name:<{width}}  {c.dtype}  {_column_detail(c)}")
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s):")
            lines.extend(f"  [{w.kind}] {w.message}" for w in self.warnings)
        else:
            lines.append("no warnings")
        return lines


def quality_score(rows_before: int, rows_after: int, null_cells: int, total_cells: int) -> float:
    """``completeness * 0.4 + (1 - null_cells / total_cells) * 0.6``, with ``completeness =
    rows_after / rows_before``; each part is 1.0 when its denominator is zero.

    >>> quality_score(100, 90, 30, 900)
    0.94

    Raises:
        InputError: a count is negative, or there are more rows after than before, or more null
            cells than cells.
    """
    if min(rows_before, rows_after, null_cells, total_cells) < 0:
        raise InputError("Row and cell counts must not be negative.")
    if rows_after > rows_before:
        raise InputError(
            f"rows_after ({rows_after}) exceeds rows_before ({rows_before}); "
            "give the row count before cleaning as rows_before."
        )
    if null_cells > total_cells:
        raise InputError(f"null_cells ({null_cells}) exceeds total_cells ({total_cells}).")
    completeness = rows_after / rows_before if rows_before else 1.0
    filled = 1.0 - null_cells / total_cells if total_cells else 1.0
    return completeness * 0.4 + filled * 0.6


def profile_parquet(
    path: Path,
    *,
    rows_before: int | None = None,
    target: str | None = None,
    null_warn: float = 0.5,
    cardinality_warn: float = 0.9,
    imbalance_warn: float = 0.1,
    leakage_warn: float = 0.98,
    top_k: int = 10,
    key: ParquetKey | None = None,
) -> Profile:
    """Profile a Parquet file, or a folder of Parquet files, with DuckDB (encrypted ones, with
    their ``key``, decrypted into memory first: DuckDB cannot read them).

    Args:
        path: a ``.parquet`` file or a folder holding them (searched recursively).
        rows_before: rows before cleaning, for the completeness; defaults to the rows found.
        target: the target column; enables the class-imbalance and leakage warnings.
        null_warn: warn about columns whose null share is above this.
        cardinality_warn: warn about text columns whose distinct share is above this.
        imbalance_warn: warn when the target's rarest class holds less than this share.
        leakage_warn: warn about features whose leakage score reaches this.
        top_k: how many top values to keep per categorical column.

    Raises:
        InputError: the path does not exist or is not readable Parquet, or the target is not a
            column.
        ConfigError: a threshold is outside [0, 1] or ``top_k`` is negative.
    """
    for name, value in [
        ("null_warn", null_warn),
        ("cardinality_warn", cardinality_warn),
        ("imbalance_warn", imbalance_warn),
        ("leakage_warn", leakage_warn),
    ]:
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name} must be between 0 and 1; got {value}.")
    if top_k < 0:
        raise ConfigError(f"top_k must be 0 or more; got {top_k}.")
    path = Path(path)
    if not path.exists():
        raise InputError(f"The path '{path}' does not exist; give a Parquet file or folder.")
    con = duckdb.connect()
    # DuckDB folds isnan() to false when Parquet min/max statistics (which leave NaN out) say a
    # column is finite, and then misses every NaN; without statistics propagation it looks.
    con.execute("SET disabled_optimizers = 'statistics_propagation'")
    try:
        run = _Run(con, path, top_k, null_warn, cardinality_warn, imbalance_warn, leakage_warn)
        if key is not None:
            con.register("_decrypted", read_arrow(path, key))
            run.src = "_decrypted"
        return run.profile(rows_before, target)
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        raise InputError(f"Cannot profile '{path}' as Parquet: {exc}".splitlines()[0]) from None
    finally:
        con.close()


@dataclass(frozen=True)
class _Col:
    index: int
    name: str
    dtype: str
    kind: Kind

    @property
    def value(self) -> str:
        """The column's values in SQL, NaN as NULL."""
        col = _ident(self.name)
        return f"CASE WHEN isnan({col}) THEN NULL ELSE {col} END" if self.kind == "float" else col

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "float", "decimal")


def _kind(dtype: str) -> Kind:
    if dtype in _INTEGER:
        return "integer"
    if dtype in _FLOAT:
        return "float"
    if dtype.startswith("DECIMAL"):
        return "decimal"
    if dtype in ("VARCHAR", "BOOLEAN") or dtype.startswith("ENUM"):
        return "categorical"
    if dtype in _TEMPORAL:
        return "temporal"
    return "other"


# tables with more columns than this, if their files are this small, are profiled from memory
_WIDE_COLUMNS = 200
_WIDE_IN_MEMORY_BYTES = 64 << 20


@dataclass
class _Run:
    """One profiling run: the connection, the options, and what the scans found so far."""

    con: duckdb.DuckDBPyConnection
    path: Path
    top_k: int
    null_warn: float
    cardinality_warn: float
    imbalance_warn: float
    leakage_warn: float
    src: str = ""
    rows: int = 0
    agg: dict[str, Any] = field(default_factory=dict)
    quantiles: list[float] = field(default_factory=list)

    def one(self, sql: str) -> tuple[Any, ...]:
        row = self.con.execute(sql).fetchone()
        assert row is not None  # every query here aggregates without GROUP BY at the top
        return row

    def profile(self, rows_before: int | None, target: str | None) -> Profile:
        self.src = self.src or parquet_source(self.path)
        schema = self.con.execute(f"DESCRIBE SELECT * FROM {self.src}").fetchall()
        cols = [_Col(i, name, dtype, _kind(dtype)) for i, (name, dtype, *_) in enumerate(schema)]
        by_name = {c.name: c for c in cols}
        if target is not None and target not in by_name:
            raise InputError(
                f"The 'target' column '{target}' is not in the data. Columns: {', '.join(by_name)}."
            )
        tcol = by_name[target] if target is not None else None
        if len(cols) > _WIDE_COLUMNS and self.file_bytes() <= _WIDE_IN_MEMORY_BYTES:
            # each query below reads the Parquet footer again, whose size grows with the
            # columns: a wide table costs columns x columns; held in memory once, it does not
            self.con.execute(f"CREATE TEMP TABLE _wide AS SELECT * FROM {self.src}")
            self.src = "_wide"
        self.aggregate(cols, tcol)
        clip = {_CLIP, 1 - _CLIP} if tcol is not None else set()
        self.quantiles = sorted(set(_QUARTILES) | clip)
        profiles = [self.column_profile(c) for c in cols]
        warnings = self.column_warnings(cols, profiles)
        if tcol is not None and self.rows:
            warnings += self.target_warnings(cols, tcol, profiles)
        null_cells, total_cells = sum(p.nulls for p in profiles), self.rows * len(cols)
        before = self.rows if rows_before is None else rows_before
        return Profile(
            rows=self.rows,
            columns=len(cols),
            memory_bytes=self.memory_bytes(cols),
            file_bytes=self.file_bytes(),
            null_cells=null_cells,
            total_cells=total_cells,
            completeness=self.rows / before if before else 1.0,
            quality=quality_score(before, self.rows, null_cells, total_cells),
            column_profiles=profiles,
            warnings=warnings,
        )

    def aggregate(self, cols: list[_Col], target: _Col | None) -> None:
        """One streaming scan for every constant-memory aggregate; keys are ``{stat}{index}``."""
        exprs, inner = {"rows": "count(*)"}, []
        for c in cols:
            i, v = c.index, f"v{c.index}"
            inner.append(f"{c.value} AS {v}")
            exprs[f"nn{i}"] = f"count({v})"
            if c.kind == "float":  # NaN is no Arrow null: the raw count is for the bitmap
                inner.append(f"{_ident(c.name)} AS r{i}")
                exprs[f"rn{i}"] = f"count(r{i})"
            if c.numeric:
                exprs[f"mean{i}"] = f"avg({v}::DOUBLE)" if c.kind == "float" else f"avg({v})"
                exprs[f"std{i}"] = f"stddev_samp({v}::DOUBLE)"
            if c.numeric or c.kind == "temporal":
                exprs[f"min{i}"], exprs[f"max{i}"] = f"min({v})", f"max({v})"
            if c.dtype == "VARCHAR":
                exprs[f"bytes{i}"] = f"sum(strlen({v}))"
            elif c.dtype == "BLOB":
                exprs[f"bytes{i}"] = f"sum(octet_length({v}))"
        if target is not None and target.kind in ("float", "decimal"):
            t = f"v{target.index}::DOUBLE"
            exprs["integral"] = f"bool_and(isfinite({t}) AND {t} = trunc({t}))"
        select = ", ".join(f"{e} AS {k}" for k, e in exprs.items())
        row = self.one(f"SELECT {select} FROM (SELECT {', '.join(inner) or 1} FROM {self.src})")
        self.agg = dict(zip(exprs, row, strict=True))
        self.rows = int(self.agg["rows"])

    def column_profile(self, c: _Col) -> ColumnProfile:
        """Null count, plus one query for the statistics that hold every distinct value.

        One such query per column keeps DuckDB's memory at one column's hash table.
        """
        i, agg, src = c.index, self.agg, self.src
        nulls = self.rows - int(agg[f"nn{i}"])
        numeric = categorical = temporal = None
        if c.kind == "categorical":
            rows = self.con.execute(
                f"SELECT v, n, count(*) OVER () FROM (SELECT v, count(*) AS n FROM "
                f"(SELECT {c.value} AS v FROM {src}) WHERE v IS NOT NULL GROUP BY v) "
                f"ORDER BY n DESC, v ASC LIMIT {max(self.top_k, 1)}"
            ).fetchall()
            unique = int(rows[0][2]) if rows else 0
            top = [(v, int(n)) for v, n, _ in rows[: self.top_k]]
            categorical = CategoricalStats(unique=unique, top=top)
        elif c.numeric:
            unique, qs = self.one(
                f"SELECT count(DISTINCT v), quantile_cont(v::DOUBLE, {self.quantiles}) "
                f"FROM (SELECT {c.value} AS v FROM {src})"
            )
            q = agg[f"q{i}"] = dict(
                zip(self.quantiles, qs or [None] * len(self.quantiles), strict=True)
            )
            numeric = NumericStats(
                mean=_float(agg[f"mean{i}"]),
                std=_float(agg[f"std{i}"]),
                min=_number(agg[f"min{i}"]),
                max=_number(agg[f"max{i}"]),
                median=_float(q[0.5]),
                q1=_float(q[0.25]),
                q3=_float(q[0.75]),
            )
        else:
            (unique,) = self.one(f"SELECT count(DISTINCT {c.value}) FROM {src}")
            if c.kind == "temporal":
                temporal = TemporalStats(min=_iso(agg[f"min{i}"]), max=_iso(agg[f"max{i}"]))
        return ColumnProfile(
            name=c.name,
            dtype=c.dtype,
            nulls=nulls,
            null_pct=100.0 * nulls / self.rows if self.rows else 0.0,
            unique=int(unique),
            numeric=numeric,
            categorical=categorical,
            temporal=temporal,
        )

    def column_warnings(
        self, cols: list[_Col], profiles: list[ColumnProfile]
    ) -> list[ProfileWarning]:
        out: list[ProfileWarning] = []
        for c, p in zip(cols, profiles, strict=True):
            if not self.rows:
                break
            share, name = p.nulls / self.rows, p.name
            if share > self.null_warn:
                msg = f"Column '{name}' is {share:.0%} null; consider dropping it or filling it."
                out.append(ProfileWarning("high_nulls", name, msg, share))
            if p.unique <= 1:
                what = "no values" if p.unique == 0 else "a single distinct value"
                msg = (
                    f"Column '{name}' has {what}; it carries no information, consider dropping it."
                )
                out.append(ProfileWarning("constant", name, msg, float(p.unique)))
            non_null = self.rows - p.nulls
            ratio = p.unique / non_null if non_null else 0.0
            if (
                c.dtype == "VARCHAR"
                and p.unique > _MIN_CARDINALITY
                and ratio > self.cardinality_warn
            ):
                msg = (
                    f"Column '{name}' has {p.unique:,} distinct values in {non_null:,} non-null "
                    f"rows ({ratio:.0%}); it looks like an identifier or free text, consider "
                    "dropping it."
                )
                out.append(ProfileWarning("high_cardinality", name, msg, ratio))
        return out

    def target_warnings(
        self, cols: list[_Col], tcol: _Col, profiles: list[ColumnProfile]
    ) -> list[ProfileWarning]:
        tp = profiles[tcol.index]
        if tcol.kind == "other" or tp.unique < 2:
            return []
        features = [
            c
            for c in cols
            if c is not tcol
            and c.kind != "other"
            and profiles[c.index].unique > 0
            and (c.kind == "float" or profiles[c.index].unique < _ID_SHARE * self.rows)
        ]
        integral = tcol.kind == "integer" or bool(self.agg.get("integral"))
        if tcol.numeric and not (integral and tp.unique <= _MAX_CLASSES):
            return self.correlation_warnings(tcol, [c for c in features if c.numeric])
        out: list[ProfileWarning] = []
        t = tcol.value
        smallest, largest, labelled = self.one(
            f"SELECT min(n), max(n), sum(n) FROM (SELECT count(*) AS n FROM {self.src} "
            f"WHERE {t} IS NOT NULL GROUP BY {t})"
        )
        minority, baseline = smallest / labelled, largest / labelled
        if minority < self.imbalance_warn:
            msg = (
                f"The target '{tcol.name}' is imbalanced: its rarest class holds {minority:.1%} "
                "of the labelled rows; consider stratified splits or class weights."
            )
            out.append(ProfileWarning("class_imbalance", tcol.name, msg, minority))
        if baseline >= self.leakage_warn:
            return out
        for c in features:
            acc = self.leave_one_out_correct(c, tcol, profiles[c.index].unique) / labelled
            # high, and at least half of the majority-class guess's errors gone
            if acc >= self.leakage_warn and acc - baseline >= (1 - baseline) / 2:
                msg = (
                    f"Column '{c.name}' predicts the target '{tcol.name}' with {acc:.1%} "
                    f"accuracy (majority class: {baseline:.1%}); check that it is not derived "
                    "from the target."
                )
                out.append(ProfileWarning("target_leakage", c.name, msg, acc))
        return out

    def correlation_warnings(self, tcol: _Col, features: list[_Col]) -> list[ProfileWarning]:
        if not features:
            return []
        t = f"({tcol.value})::DOUBLE"
        row = self.one(
            "SELECT " + ", ".join(f"corr(({c.value})::DOUBLE, {t})" for c in features)
            + f" FROM {self.src}"
        )  # fmt: skip
        out = []
        for c, r in zip(features, map(_float, row), strict=True):
            if r is not None and abs(r) >= self.leakage_warn:
                msg = (
                    f"Column '{c.name}' correlates with the target '{tcol.name}' at "
                    f"r = {r:.3f}; check that it is not derived from the target."
                )
                out.append(ProfileWarning("target_leakage", c.name, msg, abs(r)))
        return out

    def leave_one_out_correct(self, c: _Col, tcol: _Col, unique: int) -> float:
        """Rows the feature predicts right, leave-one-out, by majority vote within its values.

        In a group whose most frequent class has ``m1`` rows and the runner-up ``m2``, leaving
        out one of the ``m1`` rows still predicts it when ``m1 - m2 >= 2``, is a tie (half
        right) when ``m1 - m2 == 1``, and every other row is predicted wrong. One small GROUP BY
        per feature: DuckDB runs these much faster than one GROUPING SETS query over all.
        """
        key = c.value
        if c.numeric and unique > _BINS:
            q = self.agg[f"q{c.index}"]
            lo, hi = q[_CLIP], q[1 - _CLIP]
            x = f"({key})::DOUBLE - {_double(lo)}"
            if hi > lo:  # equal-width bins between the 1% and 99% quantiles, tails in two more
                key = f"least(greatest(floor(({x}) / {_double((hi - lo) / _BINS)}), -1), {_BINS})"
            else:
                key = f"sign({x})"
        t = tcol.value
        (correct,) = self.one(
            "SELECT sum(CASE WHEN m1 - m2 >= 2 THEN m1 WHEN m1 - m2 = 1 THEN m1 / 2 ELSE 0 END) "
            "FROM (SELECT max(n) AS m1, coalesce(list(n ORDER BY n DESC)[2], 0) AS m2 "
            f"FROM (SELECT {key} AS k, count(*) AS n FROM {self.src} WHERE {t} IS NOT NULL "
            f"GROUP BY k, {t}) GROUP BY k)"
        )
        return float(correct or 0)

    def file_bytes(self) -> int:
        """On-disk size of the files DuckDB reads."""
        files = self.con.execute(f"SELECT file FROM glob({_literal(_pattern(self.path))})")
        return sum(Path(f).stat().st_size for (f,) in files.fetchall())

    def memory_bytes(self, cols: list[_Col]) -> int:
        """Arrow-equivalent bytes of the whole table in one piece (see the module docstring)."""
        rows, agg = self.rows, self.agg
        total, nested = 0, []
        for c in cols:
            i = c.index
            raw_nulls = rows - int(agg[f"rn{i}"] if c.kind == "float" else agg[f"nn{i}"])
            total += (rows + 7) // 8 if raw_nulls else 0
            if c.dtype == "BOOLEAN":
                total += (rows + 7) // 8
            elif c.dtype in ("VARCHAR", "BLOB"):
                total += 4 * (rows + 1) + int(agg[f"bytes{i}"] or 0)
            elif c.kind == "decimal":
                total += 16 * rows
            elif c.dtype in _WIDTH:
                total += _WIDTH[c.dtype] * rows
            else:
                nested.append(_literal(c.name))
        if nested:
            (size,) = self.one(
                "SELECT coalesce(sum(total_uncompressed_size), 0) FROM parquet_metadata("
                f"{_literal(_pattern(self.path))}) "
                f"WHERE string_split(path_in_schema, ', ')[1] IN ({', '.join(nested)})"
            )
            total += int(size)
        return total


def _pattern(path: Path) -> str:
    """The glob ``parquet_source`` reads."""
    return str(path / "**" / "*.parquet") if path.is_dir() else str(path)


def _double(value: float) -> str:
    return f"'{value!r}'::DOUBLE"  # also for inf and nan


def _float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _number(value: Any) -> float | int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _float(value)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return _jsonable(float(value))
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _column_detail(c: ColumnProfile) -> str:
    text = f"{c.null_pct:.1f}% null, {c.unique:,} distinct"
    if c.numeric is not None and c.numeric.mean is not None:
        s = c.numeric
        text += (
            f"; mean {s.mean:.4g}, std {_g(s.std)}, min {_g(s.min)}, "
            f"median {_g(s.median)}, max {_g(s.max)}"
        )
    elif c.categorical is not None and c.categorical.top:
        top = ", ".join(f"{v!r} ({n:,})" for v, n in c.categorical.top[:3])
        text += f"; top {top}"
    elif c.temporal is not None and c.temporal.min is not None:
        text += f"; {c.temporal.min} .. {c.temporal.max}"
    return text


def _g(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.4g}"
