"""ETL stage functions over Arrow/Polars tables: names, duplicates, missing values."""

from fas_ray.etl._clean import (
    HASH_COLUMN,
    EtlSummary,
    FillValue,
    add_row_hash,
    canonical_order,
    clean_table,
    compute_fill_values,
    dedup_rows,
    fill_missing,
    normalize_column_names,
    normalize_name,
    numeric_fill,
)
from fas_ray.etl._duck import duckdb_fill_values, parquet_source

__all__ = [
    "HASH_COLUMN",
    "EtlSummary",
    "FillValue",
    "add_row_hash",
    "canonical_order",
    "clean_table",
    "compute_fill_values",
    "dedup_rows",
    "duckdb_fill_values",
    "fill_missing",
    "normalize_column_names",
    "normalize_name",
    "numeric_fill",
    "parquet_source",
]
