"""Fill statistics computed by DuckDB: over Parquet files in place, or over an in-memory frame.

Both ETL paths (single process and Ray Data) use this one implementation, so they fill with
bit-identical values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from fas_ray.etl._clean import HASH_COLUMN, FillValue, is_helper_column, numeric_fill
from fas_ray.exceptions import ConfigError

__all__ = [
    "FillPlan",
    "Source",
    "StagedRows",
    "connect",
    "distinct_duplicates",
    "duplicate_hashes",
    "duckdb_fill_values",
    "parquet_source",
    "plan_fills",
    "without_rows",
]

_INTEGER = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)
_FLOAT = ("FLOAT", "DOUBLE", "REAL")

StrategyFor = Callable[[str], str]


@dataclass
class FillPlan:
    """What the fill step does: values per column and the rows the ``drop`` strategy removes."""

    values: dict[str, FillValue] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    strategies: dict[str, str] = field(default_factory=dict)
    drop_columns: list[str] = field(default_factory=list)
    rows: int = 0
    rows_dropped: int = 0

    @property
    def fills(self) -> dict[str, FillValue]:
        """Columns that get filled, with their values."""
        return {k: v for k, v in self.values.items() if v is not None}


def parquet_source(path: Path) -> str:
    """A DuckDB ``read_parquet`` expression for a file or a folder of Parquet files."""
    path = Path(path)
    pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    return "read_parquet(" + _literal(pattern) + ")"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_numeric(dtype: str) -> bool:
    return dtype in _INTEGER or dtype in _FLOAT or dtype.startswith("DECIMAL")


def _clean(name: str, dtype: str) -> str:
    col = _ident(name)
    return f"CASE WHEN isnan({col}) THEN NULL ELSE {col} END" if dtype in _FLOAT else col


def _auto(_: str) -> str:
    return "auto"


def _plan(
    con: duckdb.DuckDBPyConnection, src: str, strategy_for: StrategyFor, exclude: Iterable[str]
) -> FillPlan:
    skip = set(exclude) | {HASH_COLUMN}
    schema = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    columns = [(n, t) for n, t in schema if n not in skip and not is_helper_column(n)]
    plan = FillPlan()
    if not schema:
        return plan
    counts = con.execute(
        "SELECT count(*)"
        + "".join(f", count(*) - count({_clean(n, t)})" for n, t in columns)
        + f" FROM {src}"
    ).fetchone()
    assert counts is not None
    plan.rows = int(counts[0])
    missing = {n: int(c) for (n, _), c in zip(columns, counts[1:], strict=True) if c}
    plan.missing = missing
    for name, dtype in columns:
        strategy = strategy_for(name)
        if strategy in ("fill_mean", "fill_median") and not _is_numeric(dtype):
            raise ConfigError(
                f"The missing-value strategy '{strategy}' needs a numeric column, but '{name}' "
                f"is {dtype}; use fill_mode, drop or keep for it."
            )
        plan.strategies[name] = strategy
    plan.drop_columns = [n for n, _ in columns if n in missing and plan.strategies[n] == "drop"]
    where = ""
    if plan.drop_columns:
        kinds = dict(columns)
        cond = " OR ".join(f"({_clean(n, kinds[n])}) IS NULL" for n in plan.drop_columns)
        row = con.execute(f"SELECT count(*) FROM {src} WHERE {cond}").fetchone()
        plan.rows_dropped = int(row[0]) if row else 0
        where = f"WHERE NOT ({cond})"
    numeric: list[tuple[str, str, str]] = []  # all numeric statistics go into one scan
    for name, dtype in columns:
        strategy = plan.strategies[name]
        if name not in missing or strategy in ("drop", "keep"):
            continue
        if strategy == "auto":
            strategy = "fill_median" if _is_numeric(dtype) else "fill_mode"
        if strategy == "fill_mode":
            plan.values[name] = _mode(con, src, where, name, dtype)
        else:
            numeric.append((name, dtype, strategy))
    if numeric:
        row = con.execute(
            "SELECT "
            + ", ".join(_numeric_agg(n, t, s) for n, t, s in numeric)
            + f" FROM {src} {where}"
        ).fetchone()
        for (name, dtype, _), value in zip(numeric, row or [None] * len(numeric), strict=True):
            plan.values[name] = numeric_fill(value, is_integer=dtype in _INTEGER)
    return plan


def _numeric_agg(name: str, dtype: str, strategy: str) -> str:
    value = f"({_clean(name, dtype)})::DOUBLE"
    # the mean sums in sorted order, so it does not depend on how rows are laid out
    return f"avg({value} ORDER BY {value})" if strategy == "fill_mean" else f"median({value})"


def _mode(con: duckdb.DuckDBPyConnection, src: str, where: str, name: str, dtype: str) -> FillValue:
    clean = _clean(name, dtype)
    cond = f"{where} AND" if where else "WHERE"
    row = con.execute(
        f"SELECT {clean} AS v, count(*) AS n FROM {src} {cond} ({clean}) IS NOT NULL "
        f"GROUP BY v ORDER BY n DESC, v ASC LIMIT 1"
    ).fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True)
class StagedRows:
    """Parquet files of prepared rows (with the row hash) in which some rows occur more than
    once: ``duplicate_hashes`` lists the row hashes seen more than once. Read as a relation, it
    holds every row once."""

    path: Path
    duplicate_hashes: np.ndarray


Source = Path | pl.DataFrame | StagedRows


def _hash_table(hashes: np.ndarray) -> pa.Table:
    return pa.table({"h": pa.array(hashes, type=pa.uint64())})


def connect(source: Source) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A DuckDB connection and the SQL relation of ``source`` (Parquet in place, a frame, or
    staged rows read without their duplicates)."""
    con = duckdb.connect()
    # DuckDB 2.0 trusts Parquet column statistics that leave NaN out (as polars and pyarrow
    # write them) and folds isnan(x) to false; without this, NaN would count as a value.
    con.execute("SET disabled_optimizers = 'statistics_propagation'")
    if isinstance(source, pl.DataFrame):
        con.register("frame", source.to_arrow())
        return con, "frame"
    if isinstance(source, StagedRows):
        src = parquet_source(source.path)
        if len(source.duplicate_hashes) == 0:
            return con, src
        con.register("duplicate_rows", _hash_table(source.duplicate_hashes))
        h = _ident(HASH_COLUMN)
        return con, (
            f"(SELECT s.* FROM {src} s ANTI JOIN duplicate_rows d ON s.{h} = d.h "
            f"UNION ALL SELECT DISTINCT s.* FROM {src} s SEMI JOIN duplicate_rows d "
            f"ON s.{h} = d.h)"
        )
    return con, parquet_source(source)


def duplicate_hashes(path: Path) -> tuple[np.ndarray, int]:
    """Row hashes that occur more than once in the Parquet files at ``path``, and the row count."""
    con, src = connect(path)
    try:
        h = _ident(HASH_COLUMN)
        # one scan: the per-hash counts give both the repeated hashes and the row count
        table = con.sql(
            f"WITH g AS MATERIALIZED (SELECT {h} AS h, count(*) AS n FROM {src} GROUP BY {h}) "
            "SELECT h, n FROM g WHERE n > 1 UNION ALL SELECT NULL, sum(n) FROM g"
        ).to_arrow_table()
    finally:
        con.close()
    h_col, n_col = table.column("h").to_pylist(), table.column("n").to_pylist()
    total = next((int(n or 0) for hv, n in zip(h_col, n_col, strict=True) if hv is None), 0)
    hashes = np.sort(np.array([hv for hv in h_col if hv is not None], dtype=np.uint64))
    return hashes, total


def distinct_duplicates(source: StagedRows, chunk_rows: int = 250_000) -> Iterator[pl.DataFrame]:
    """One copy of each duplicated row of ``source``, in chunks."""
    if len(source.duplicate_hashes) == 0:
        return
    con, _ = connect(source.path)
    try:
        con.register("duplicate_rows", _hash_table(source.duplicate_hashes))
        h = _ident(HASH_COLUMN)
        reader = con.sql(
            f"SELECT DISTINCT s.* FROM {parquet_source(source.path)} s "
            f"SEMI JOIN duplicate_rows d ON s.{h} = d.h"
        ).to_arrow_reader(chunk_rows)
        for batch in reader:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            yield frame
    finally:
        con.close()


def without_rows(con: duckdb.DuckDBPyConnection, src: str, row_hashes: np.ndarray) -> str:
    """``src`` less the rows whose row hash is in ``row_hashes``."""
    if len(row_hashes) == 0:
        return src
    con.register("dropped_rows", pa.table({"h": pa.array(row_hashes, type=pa.uint64())}))
    h = _ident(HASH_COLUMN)
    return f"(SELECT s.* FROM {src} s ANTI JOIN dropped_rows d ON s.{h} = d.h)"


def plan_fills(
    source: Source,
    strategy_for: StrategyFor | None = None,
    exclude: Iterable[str] = (),
    without: np.ndarray | None = None,
) -> FillPlan:
    """Fill values for every column with missing values, by each column's strategy.

    ``auto`` fills numbers with the median and other types with the mode (ties go to the
    smallest value); ``fill_mean`` / ``fill_median`` need numeric columns (NaN counts as
    missing; integer columns get the rounded value); ``drop`` removes the rows (statistics are
    computed over the rows that remain); ``keep`` leaves the nulls.

    Args:
        source: a Parquet file or folder (read in place) or a polars frame.
        strategy_for: the strategy of a column (default: ``auto`` everywhere).
        exclude: columns never filled (the target).
        without: row hashes of rows to leave out (rows removed as near-duplicates).

    Raises:
        ConfigError: a mean or median strategy on a non-numeric column.
    """
    con, src = connect(source)
    try:
        if without is not None:
            src = without_rows(con, src, without)
        return _plan(con, src, strategy_for or _auto, exclude)
    finally:
        con.close()


def duckdb_fill_values(
    path: Path, exclude: Iterable[str] = ()
) -> tuple[dict[str, FillValue], dict[str, int]]:
    """``auto`` fill values over Parquet files and the missing cells per column."""
    plan = plan_fills(Path(path), None, exclude)
    return plan.values, plan.missing
