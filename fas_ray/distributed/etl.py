"""The ETL stage on Ray Data: the pure functions of ``fas_ray.etl`` applied block by block.

Passes over the data, each streaming:
1. types are inferred on a sample read by the driver (``EtlOptions.type_sample_rows`` rows);
2. every block is renamed, stripped and converted, and gets a row hash; a hash shuffle brings
   equal rows into one block, where duplicates are dropped; the result goes to an intermediate
   Parquet folder;
3. DuckDB plans the missing values over that folder (global statistics, no load into Python);
4. every block drops / fills its missing values and is written to the silver folder.
The silver folder appears only when complete (temporary folder, then rename). The result is the
table :func:`fas_ray.etl.clean_table` gives in one process (tested).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import ray

from fas_ray.config import EtlOptions
from fas_ray.distributed.runtime import cluster_cpus
from fas_ray.etl import (
    HASH_COLUMN,
    ColumnType,
    EtlSummary,
    dedup_rows,
    finish_block,
    infer_types,
    normalize_column_names,
    plan_removals_and_fills,
    prepare_and_hash,
    standardise_text,
    text_columns,
)
from fas_ray.storage import atomic_dir

__all__ = ["read_sample", "run_etl"]


def _frame(batch: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(batch)
    assert isinstance(df, pl.DataFrame)
    return df


def _prepare_and_hash(
    batch: pa.Table,
    mapping: dict[str, str],
    schema: dict[str, ColumnType],
    options: EtlOptions,
    texts: list[str],
) -> pa.Table:
    return prepare_and_hash(_frame(batch), mapping, schema, options, texts).to_arrow()


def _dedup_block(batch: pa.Table) -> pa.Table:
    return dedup_rows(_frame(batch)).to_arrow()


def _finish(
    batch: pa.Table, without: ray.ObjectRef, drop: list[str], fills: dict[str, Any]
) -> pa.Table:
    rows: np.ndarray = ray.get(without)
    return finish_block(_frame(batch), rows, drop, fills).to_arrow()


def read_sample(path: Path, rows: int) -> pl.DataFrame:
    """The first ``rows`` rows of a Parquet file (or folder), read without loading the rest."""
    path = Path(path)
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    parts: list[pa.Table] = []
    left = rows
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=min(left, 65_536)):
            parts.append(pa.Table.from_batches([batch]))
            left -= batch.num_rows
            if left <= 0:
                break
        if left <= 0:
            break
    if not parts:
        return _frame(pq.read_schema(files[0]).empty_table())
    return _frame(pa.concat_tables(parts))


def run_etl(
    bronze_path: Path,
    silver_dir: Path,
    exclude: list[str],
    options: EtlOptions | None = None,
    num_blocks: int | None = None,
) -> EtlSummary:
    """Clean ``bronze_path`` into the Parquet folder ``silver_dir`` on Ray Data.

    Args:
        bronze_path: bronze Parquet file (or folder).
        silver_dir: output folder; replaced only when the new one is complete.
        exclude: normalised names of columns never filled or converted (the target).
        options: ETL options (default: ``EtlOptions()``).
        num_blocks: blocks of the hash shuffle (default: twice the cluster's CPUs).
    """
    options = options or EtlOptions()
    ds = ray.data.read_parquet(str(bronze_path))
    names = list(ds.schema().names)
    mapping = {a: b for a, b in zip(names, normalize_column_names(names), strict=True) if a != b}
    sample = read_sample(Path(bronze_path), options.type_sample_rows)
    sample = standardise_text(sample.rename(mapping), lowercase=options.lowercase_text)
    schema = infer_types(sample, options, keep_as_is=exclude)
    summary = EtlSummary(
        rows_in=ds.count(), renamed=mapping, schema={k: v.to_json() for k, v in schema.items()}
    )

    blocks = num_blocks or 2 * cluster_cpus()
    deduped = (
        ds.map_batches(
            _prepare_and_hash,  # type: ignore[arg-type]
            fn_kwargs={
                "mapping": mapping,
                "schema": schema,
                "options": options,
                "texts": text_columns(schema, exclude),
            },
            batch_format="pyarrow",
        )
        .repartition(blocks, keys=[HASH_COLUMN])
        .map_batches(_dedup_block, batch_format="pyarrow", batch_size=None)
    )
    with atomic_dir(silver_dir) as tmp:
        stage = tmp.parent / f"{tmp.name}.dedup"
        try:
            deduped.write_parquet(str(stage))
            without, plan = plan_removals_and_fills(stage, schema, exclude, options, summary)
            summary.duplicates_removed = summary.rows_in - plan.rows - len(without)
            summary.rows_out = plan.rows - plan.rows_dropped
            ray.data.read_parquet(str(stage)).map_batches(
                _finish,  # type: ignore[arg-type]
                fn_kwargs={
                    "without": ray.put(without),
                    "drop": plan.drop_columns,
                    "fills": plan.fills,
                },
                batch_format="pyarrow",
            ).write_parquet(str(tmp))
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return summary
