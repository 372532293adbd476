"""The ETL stage on Ray Data: the pure functions of ``fas_ray.etl`` applied block by block.

Passes over the data, each streaming:
1. read bronze, rename columns, add a row hash; hash-shuffle so equal rows share a block; drop
   duplicates per block; write an intermediate Parquet folder;
2. DuckDB computes global fill values over that folder (no load into Python);
3. fill missing values block by block and write the silver folder.
The silver folder appears only when complete (temporary folder, then rename).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import ray

from fas_ray.distributed.runtime import cluster_cpus
from fas_ray.etl import (
    HASH_COLUMN,
    EtlSummary,
    add_row_hash,
    dedup_rows,
    duckdb_fill_values,
    fill_missing,
    normalize_column_names,
)
from fas_ray.storage import atomic_dir

__all__ = ["run_etl"]


def _rename_and_hash(batch: pa.Table, mapping: dict[str, str]) -> pa.Table:
    df = pl.from_arrow(batch)
    assert isinstance(df, pl.DataFrame)
    return add_row_hash(df.rename(mapping)).to_arrow()


def _dedup_block(batch: pa.Table) -> pa.Table:
    df = pl.from_arrow(batch)
    assert isinstance(df, pl.DataFrame)
    return dedup_rows(df).drop(HASH_COLUMN).to_arrow()


def _fill_block(batch: pa.Table, fill_values: dict[str, Any]) -> pa.Table:
    df = pl.from_arrow(batch)
    assert isinstance(df, pl.DataFrame)
    return fill_missing(df, fill_values).to_arrow()


def run_etl(
    bronze_path: Path, silver_dir: Path, exclude: list[str], num_blocks: int | None = None
) -> EtlSummary:
    """Clean ``bronze_path`` into the Parquet folder ``silver_dir`` on Ray Data.

    Args:
        bronze_path: bronze Parquet file (or folder).
        silver_dir: output folder; replaced only when the new one is complete.
        exclude: normalised names of columns not to fill (the target).
        num_blocks: blocks of the hash shuffle (default: twice the cluster's CPUs).
    """
    ds = ray.data.read_parquet(str(bronze_path))
    names = list(ds.schema().names)
    new_names = normalize_column_names(names)
    mapping = {a: b for a, b in zip(names, new_names, strict=True) if a != b}
    summary = EtlSummary(rows_in=ds.count(), renamed=mapping)

    blocks = num_blocks or 2 * cluster_cpus()
    deduped = (
        ds.map_batches(
            _rename_and_hash,  # type: ignore[arg-type]
            fn_kwargs={"mapping": mapping},
            batch_format="pyarrow",
        )
        .repartition(blocks, keys=[HASH_COLUMN])
        .map_batches(_dedup_block, batch_format="pyarrow", batch_size=None)
    )
    with atomic_dir(silver_dir) as tmp:
        stage = tmp.parent / f"{tmp.name}.dedup"
        try:
            deduped.write_parquet(str(stage))
            summary.fill_values, missing = duckdb_fill_values(stage, exclude=exclude)
            fills = {k: v for k, v in summary.fill_values.items() if v is not None}
            summary.filled = {k: missing[k] for k in fills}
            filled = ray.data.read_parquet(str(stage))
            summary.rows_out = filled.count()
            if fills:
                filled = filled.map_batches(
                    _fill_block,  # type: ignore[arg-type]
                    fn_kwargs={"fill_values": fills},
                    batch_format="pyarrow",
                )
            filled.write_parquet(str(tmp))
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    summary.duplicates_removed = summary.rows_in - summary.rows_out
    return summary
