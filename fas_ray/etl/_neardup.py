"""Near-duplicate planning over a table in DuckDB (Parquet in place or an in-memory frame).

The fingerprints were computed block by block (in parallel on Ray) into helper columns; here
only the row hashes and fingerprints are read, in row-hash order, so memory holds 16 bytes per
row and text column. Both ETL paths call this one function and drop the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import polars as pl

from fas_ray.etl._clean import FINGERPRINT_PREFIX, HASH_COLUMN
from fas_ray.etl._simhash import NearDuplicateReport, near_duplicate_groups, simhash64

__all__ = ["add_fingerprints", "fingerprint_column", "plan_near_duplicates"]


def fingerprint_column(column: str) -> str:
    """The helper column holding the SimHash fingerprints of a text column."""
    return FINGERPRINT_PREFIX + column


def add_fingerprints(df: pl.DataFrame, columns: Sequence[str], shingle: int = 3) -> pl.DataFrame:
    """Add a 64-bit SimHash fingerprint column for each text column (one block)."""
    if not columns:
        return df
    return df.with_columns(
        simhash64(df[c].cast(pl.String), shingle).alias(fingerprint_column(c)) for c in columns
    )


_CHUNK_ROWS = 250_000
_EXAMPLE_GROUPS = 3
_EXAMPLE_ROWS = 3


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def plan_near_duplicates(
    con: duckdb.DuckDBPyConnection,
    src: str,
    text_columns: Sequence[str],
    max_distance: int,
) -> tuple[np.ndarray, list[NearDuplicateReport]]:
    """Near-duplicate groups of each text column of ``src`` (which has the row-hash and the
    fingerprint columns, see :func:`add_fingerprints`).

    In each group the row with the smallest row hash is kept; a row is removable when it is not
    the kept row of its group in some text column.

    Returns:
        The row hashes removal would drop (sorted) and one report per text column.
    """
    if not text_columns:
        return np.empty(0, dtype=np.uint64), []
    cols = ", ".join(_ident(fingerprint_column(c)) for c in text_columns)
    reader = con.sql(
        f"SELECT {_ident(HASH_COLUMN)}, {cols} FROM {src} ORDER BY {_ident(HASH_COLUMN)}"
    ).to_arrow_reader(_CHUNK_ROWS)
    assert reader is not None
    hashes: list[np.ndarray] = []
    prints: dict[str, list[np.ndarray]] = {c: [] for c in text_columns}
    for batch in reader:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        hashes.append(frame[HASH_COLUMN].to_numpy())
        for column in text_columns:
            prints[column].append(frame[fingerprint_column(column)].to_numpy())
    row_hash = np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)
    drop = np.zeros(len(row_hash), dtype=bool)
    reports = []
    for column in text_columns:
        fingerprints = np.concatenate(prints[column]) if prints[column] else row_hash[:0]
        groups = near_duplicate_groups(fingerprints, max_distance)
        drop |= groups != np.arange(len(groups))
        sizes = np.bincount(groups, minlength=len(groups))
        grouped = np.flatnonzero(sizes >= 2)
        reports.append(
            NearDuplicateReport(
                column=column,
                groups=int(grouped.size),
                rows_in_groups=int(sizes[grouped].sum()),
                removable=int(sizes[grouped].sum() - grouped.size),
                max_distance=max_distance,
                examples=_examples(con, src, column, row_hash, groups, grouped),
            )
        )
    return np.sort(row_hash[drop]), reports


def _examples(
    con: duckdb.DuckDBPyConnection,
    src: str,
    column: str,
    row_hash: np.ndarray,
    groups: np.ndarray,
    grouped: np.ndarray,
) -> list[list[str]]:
    wanted = [np.flatnonzero(groups == g)[:_EXAMPLE_ROWS] for g in grouped[:_EXAMPLE_GROUPS]]
    if not wanted:
        return []
    flat = [int(h) for rows in wanted for h in row_hash[rows]]
    found = dict(
        con.execute(
            f"SELECT {_ident(HASH_COLUMN)}, {_ident(column)} FROM {src} "
            f"WHERE {_ident(HASH_COLUMN)} IN ({', '.join(str(h) for h in flat)})"
        ).fetchall()
    )
    return [[_shorten(str(found[int(h)])) for h in row_hash[rows]] for rows in wanted]


def _shorten(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."
