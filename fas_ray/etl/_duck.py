"""Statistics over Parquet files with DuckDB (SQL over files: no full load into Python)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from fas_ray.etl._clean import HASH_COLUMN, FillValue, numeric_fill

__all__ = ["duckdb_fill_values", "parquet_source"]

_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
)


def parquet_source(path: Path) -> str:
    """A DuckDB ``read_parquet`` expression for a file or a folder of Parquet files."""
    path = Path(path)
    pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    return "read_parquet(" + _literal(pattern) + ")"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_fill_values(
    path: Path, exclude: Iterable[str] = ()
) -> tuple[dict[str, FillValue], dict[str, int]]:
    """The same fill values as :func:`fas_ray.etl.compute_fill_values`, computed by DuckDB.

    Numeric columns get their median (NaN counts as missing), others their mode with ties going
    to the smallest value.

    Returns:
        The fill value per column with missing values, and the number of missing cells in each.
    """
    skip = set(exclude) | {HASH_COLUMN}
    src = parquet_source(path)
    con = duckdb.connect()
    try:
        schema = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
        values: dict[str, FillValue] = {}
        missing_counts: dict[str, int] = {}
        for name, dtype, *_ in schema:
            if name in skip:
                continue
            col = _ident(name)
            is_float = dtype in ("FLOAT", "DOUBLE", "REAL")
            clean = f"CASE WHEN isnan({col}) THEN NULL ELSE {col} END" if is_float else col
            (missing,) = con.execute(  # type: ignore[misc]
                f"SELECT count(*) - count({clean}) FROM {src}"
            ).fetchone()
            if missing == 0:
                continue
            missing_counts[name] = int(missing)
            if dtype in _NUMERIC or dtype.startswith("DECIMAL"):
                (median,) = con.execute(  # type: ignore[misc]
                    f"SELECT median(({clean})::DOUBLE) FROM {src}"
                ).fetchone()
                values[name] = numeric_fill(
                    median, is_integer=not is_float and "DECIMAL" not in dtype
                )
            else:
                row = con.execute(
                    f"SELECT {col} AS v, count(*) AS n FROM {src} WHERE {col} IS NOT NULL "
                    f"GROUP BY v ORDER BY n DESC, v ASC LIMIT 1"
                ).fetchone()
                values[name] = None if row is None else row[0]
        return values, missing_counts
    finally:
        con.close()
