"""ETL stage functions over Arrow/Polars tables: names, types, duplicates, missing values."""

from fas_ray.etl._clean import (
    HASH_COLUMN,
    EtlSummary,
    FillValue,
    add_row_hash,
    canonical_order,
    compute_fill_values,
    dedup_rows,
    drop_missing_rows,
    fill_missing,
    median_of,
    normalize_column_names,
    normalize_name,
    numeric_fill,
)
from fas_ray.etl._duck import FillPlan, duckdb_fill_values, parquet_source, plan_fills
from fas_ray.etl._table import clean_table, infer_types, prepare_block
from fas_ray.etl._types import (
    ColumnType,
    SemanticType,
    apply_types,
    infer_column,
    infer_schema,
    parse_numeric_text,
    standardise_text,
)

__all__ = [
    "HASH_COLUMN",
    "ColumnType",
    "EtlSummary",
    "FillPlan",
    "FillValue",
    "SemanticType",
    "add_row_hash",
    "apply_types",
    "canonical_order",
    "clean_table",
    "compute_fill_values",
    "dedup_rows",
    "drop_missing_rows",
    "duckdb_fill_values",
    "fill_missing",
    "infer_column",
    "infer_schema",
    "infer_types",
    "median_of",
    "normalize_column_names",
    "normalize_name",
    "numeric_fill",
    "parquet_source",
    "parse_numeric_text",
    "plan_fills",
    "prepare_block",
    "standardise_text",
]
