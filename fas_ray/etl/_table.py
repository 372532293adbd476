"""The whole cleaning of one in-memory table, and the per-block step both ETL paths share.

Order: rename columns → strip text → infer and apply types → drop exact duplicates → plan the
missing values (DuckDB) → drop / fill → canonical row order. ``fas_ray.distributed.etl`` runs
the same steps over Ray Data blocks and gives the same table.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from fas_ray.config import EtlOptions
from fas_ray.etl._clean import (
    EtlSummary,
    canonical_order,
    dedup_rows,
    drop_missing_rows,
    fill_missing,
    normalize_column_names,
)
from fas_ray.etl._duck import plan_fills
from fas_ray.etl._types import ColumnType, apply_types, infer_schema, standardise_text

__all__ = ["clean_table", "infer_types", "prepare_block"]


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
    renamed = standardise_text(df.rename(mapping), lowercase=options.lowercase_text)
    schema = infer_types(renamed.head(options.type_sample_rows), options, keep_as_is=exclude)
    summary.schema = {k: v.to_json() for k, v in schema.items()}
    typed = prepare_block(df, mapping, schema, options)

    deduped = dedup_rows(typed)
    summary.duplicates_removed = typed.height - deduped.height
    plan = plan_fills(deduped, options.strategy_for, exclude)
    summary.strategies = plan.strategies
    summary.fill_values = plan.values
    summary.filled = {k: plan.missing[k] for k in plan.fills}
    summary.missing_rows_dropped = plan.rows_dropped
    out = fill_missing(drop_missing_rows(deduped, plan.drop_columns), plan.fills)
    out = canonical_order(out)
    summary.rows_out = out.height
    return out, summary
