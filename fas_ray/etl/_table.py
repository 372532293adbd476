"""The whole cleaning of one in-memory table, and the per-block step both ETL paths share.

Order: rename columns → strip text → infer and apply types → drop exact duplicates → find
near-duplicate texts (SimHash; removed only when asked) → plan the missing values (DuckDB) →
drop / fill → canonical row order. ``fas_ray.distributed.etl`` runs
the same steps over Ray Data blocks and gives the same table.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from fas_ray.config import EtlOptions
from fas_ray.etl._clean import (
    HASH_COLUMN,
    EtlSummary,
    add_row_hash,
    canonical_order,
    dedup_rows,
    drop_missing_rows,
    fill_missing,
    is_helper_column,
    normalize_column_names,
)
from fas_ray.etl._duck import FillPlan, Source, connect, plan_fills
from fas_ray.etl._neardup import add_fingerprints, plan_near_duplicates
from fas_ray.etl._types import ColumnType, apply_types, infer_schema, standardise_text
from fas_ray.storage import ParquetKey, atomic_dir, write_parquet_atomic
from fas_ray.storage._crypt import read_arrow, write_options

__all__ = [
    "clean_parquet",
    "clean_table",
    "finish_block",
    "infer_types",
    "near_duplicates",
    "plan_removals_and_fills",
    "prepare_and_hash",
    "prepare_block",
    "text_columns",
]


def infer_types(
    sample: pl.DataFrame, options: EtlOptions, keep_as_is: Iterable[str] = ()
) -> dict[str, ColumnType]:
    """Types of a (renamed, stripped) sample; ``keep_as_is`` columns (the target) are typed but
    never converted."""
    schema = infer_schema(sample)
    if not options.infer_types:
        return {}
    for name in keep_as_is:
        if name in schema:
            kept = schema[name]
            schema[name] = ColumnType(name, kept.semantic, kept.source, kept.source)
    return schema


def prepare_block(
    df: pl.DataFrame, mapping: dict[str, str], schema: dict[str, ColumnType], options: EtlOptions
) -> pl.DataFrame:
    """Rename, strip (and lower-case) text, convert to the inferred types: one block."""
    df = df.rename(mapping) if mapping else df
    df = standardise_text(df, lowercase=options.lowercase_text)
    return apply_types(df, schema) if schema else df


def prepare_and_hash(
    df: pl.DataFrame,
    mapping: dict[str, str],
    schema: dict[str, ColumnType],
    options: EtlOptions,
    texts: list[str],
) -> pl.DataFrame:
    """:func:`prepare_block`, then the fingerprints of the text columns and the row hash."""
    return add_row_hash(add_fingerprints(prepare_block(df, mapping, schema, options), texts))


def text_columns(schema: dict[str, ColumnType], exclude: Iterable[str]) -> list[str]:
    """Columns holding free text (near-duplicate candidates)."""
    skip = set(exclude)
    return [name for name, t in schema.items() if t.semantic == "text" and name not in skip]


def near_duplicates(
    source: Source, columns: list[str], options: EtlOptions
) -> tuple[np.ndarray, EtlSummary]:
    """Row hashes to drop as near-duplicates (empty unless ``options.near_duplicates``) and a
    summary holding the per-column reports."""
    summary = EtlSummary()
    if not columns:
        return np.empty(0, dtype=np.uint64), summary
    con, src = connect(source)
    try:
        drop, reports = plan_near_duplicates(con, src, columns, options.near_duplicate_distance)
    finally:
        con.close()
    summary.near_duplicates = [r.to_json() for r in reports]
    if not options.near_duplicates:
        drop = drop[:0]
    summary.near_duplicates_removed = int(len(drop))
    return drop, summary


def plan_removals_and_fills(
    source: Source,
    schema: dict[str, ColumnType],
    exclude: list[str],
    options: EtlOptions,
    summary: EtlSummary,
) -> tuple[np.ndarray, FillPlan]:
    """Near-duplicates, then missing values, of the deduplicated rows; recorded in ``summary``.

    Returns:
        The row hashes to remove as near-duplicates and the fill plan of the remaining rows.
    """
    without, near = near_duplicates(source, text_columns(schema, exclude), options)
    summary.near_duplicates = near.near_duplicates
    summary.near_duplicates_removed = near.near_duplicates_removed
    plan = plan_fills(source, options.strategy_for, exclude, without=without)
    summary.strategies = plan.strategies
    summary.fill_values = plan.values
    summary.filled = {k: plan.missing[k] for k in plan.fills}
    summary.missing_rows_dropped = plan.rows_dropped
    return without, plan


def finish_block(
    df: pl.DataFrame, without: np.ndarray, drop: list[str], fills: dict[str, object]
) -> pl.DataFrame:
    """Remove near-duplicate rows, drop / fill missing values, drop the helper columns."""
    if len(without):
        df = df.filter(~pl.col(HASH_COLUMN).is_in(pl.Series(without, dtype=pl.UInt64)))
    helpers = [c for c in df.columns if is_helper_column(c)]
    return fill_missing(drop_missing_rows(df, drop), fills).drop(helpers)


def clean_table(
    df: pl.DataFrame,
    exclude: Iterable[str] = (),
    options: EtlOptions | None = None,
) -> tuple[pl.DataFrame, EtlSummary]:
    """Clean a whole table in this process.

    Args:
        df: the raw table.
        exclude: normalised names of columns never filled or converted (the target).
        options: ETL options (default: ``EtlOptions()``).
    """
    options = options or EtlOptions()
    exclude = list(exclude)
    summary = EtlSummary(rows_in=df.height)
    new_names = normalize_column_names(df.columns)
    mapping = {a: b for a, b in zip(df.columns, new_names, strict=True) if a != b}
    summary.renamed = mapping
    sample = df.head(options.type_sample_rows).rename(mapping)
    sample = standardise_text(sample, lowercase=options.lowercase_text)
    schema = infer_types(sample, options, keep_as_is=exclude)
    summary.schema = {k: v.to_json() for k, v in schema.items()}
    typed = prepare_and_hash(df, mapping, schema, options, text_columns(schema, exclude))

    deduped = dedup_rows(typed)
    summary.duplicates_removed = typed.height - deduped.height
    without, plan = plan_removals_and_fills(deduped, schema, exclude, options, summary)
    out = canonical_order(finish_block(deduped, without, plan.drop_columns, plan.fills))
    summary.rows_out = out.height
    return out, summary


def clean_parquet(
    bronze_path: Path,
    silver_dir: Path,
    exclude: Iterable[str] = (),
    options: EtlOptions | None = None,
    key: ParquetKey | None = None,
) -> EtlSummary:
    """:func:`clean_table` over a Parquet file (or folder), written as the Parquet folder
    ``silver_dir`` (``part-0.parquet``); the folder is replaced only when complete.

    This is the ``local`` ETL engine: one table in memory, no Ray. The Ray Data engine
    (``fas_ray.distributed.run_etl``) gives the same rows. With ``key`` the bronze is read
    decrypted and the silver written encrypted (the only engine that can: an encrypted data
    root always uses it).
    """
    path = Path(bronze_path)
    if key is None:
        source = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        frame = pl.read_parquet(source)
    else:
        frame = pl.DataFrame(pl.from_arrow(read_arrow(path, key)))
    out, summary = clean_table(frame, exclude, options)
    with atomic_dir(Path(silver_dir)) as tmp:
        if key is None:
            out.write_parquet(tmp / "part-0.parquet", compression="snappy")
        else:
            write_parquet_atomic(out, tmp / "part-0.parquet", write_options(key))
    return summary
