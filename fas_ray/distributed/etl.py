"""The ETL stage on Ray Data: the pure functions of ``fas_ray.etl`` applied block by block.

Passes over the data, each streaming:
1. types are inferred on a sample read by the driver (``EtlOptions.type_sample_rows`` rows);
2. every block is renamed, stripped and converted and gets its text fingerprints (SimHash) and
   a row hash, in parallel; the blocks go to an intermediate Parquet folder;
3. DuckDB reads that folder in place: the row hashes seen more than once (exact duplicates,
   found by a GROUP BY over one 8-byte column: no shuffle of the rows), the near-duplicate
   groups (fingerprints only) and the global fill statistics, all over the rows counted once;
4. every block drops its duplicated, near-duplicate and (if asked) incomplete rows, fills its
   missing values and is written to the silver folder; one copy of each duplicated row is
   streamed from DuckDB through the same block function into one more file.
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
from fas_ray.etl import (
    ColumnType,
    EtlSummary,
    FillPlan,
    StagedRows,
    distinct_duplicates,
    duplicate_hashes,
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
        num_blocks: read parallelism override (default: Ray Data's choice).
    """
    options = options or EtlOptions()
    ds = ray.data.read_parquet(str(bronze_path), override_num_blocks=num_blocks)
    names = list(ds.schema().names)
    mapping = {a: b for a, b in zip(names, normalize_column_names(names), strict=True) if a != b}
    sample = read_sample(Path(bronze_path), options.type_sample_rows)
    sample = standardise_text(sample.rename(mapping), lowercase=options.lowercase_text)
    schema = infer_types(sample, options, keep_as_is=exclude)
    summary = EtlSummary(
        rows_in=ds.count(), renamed=mapping, schema={k: v.to_json() for k, v in schema.items()}
    )

    prepared = ds.map_batches(
        _prepare_and_hash,  # type: ignore[arg-type]
        fn_kwargs={
            "mapping": mapping,
            "schema": schema,
            "options": options,
            "texts": text_columns(schema, exclude),
        },
        batch_format="pyarrow",
    )
    with atomic_dir(silver_dir) as tmp:
        stage = tmp.parent / f"{tmp.name}.stage"
        try:
            prepared.write_parquet(str(stage))
            duplicates, _ = duplicate_hashes(stage)
            staged = StagedRows(stage, duplicates)
            without, plan = plan_removals_and_fills(staged, schema, exclude, options, summary)
            summary.duplicates_removed = summary.rows_in - plan.rows - len(without)
            summary.rows_out = plan.rows - plan.rows_dropped
            # rows seen once: filtered and filled block by block on Ray
            ray.data.read_parquet(str(stage)).map_batches(
                _finish,  # type: ignore[arg-type]
                fn_kwargs={
                    "without": ray.put(np.union1d(duplicates, without)),
                    "drop": plan.drop_columns,
                    "fills": plan.fills,
                },
                batch_format="pyarrow",
            ).write_parquet(str(tmp))
            # one copy of each duplicated row, streamed from DuckDB
            _write_duplicates(staged, tmp / "duplicates-0.parquet", without, plan)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return summary


def _write_duplicates(staged: StagedRows, path: Path, without: np.ndarray, plan: FillPlan) -> None:
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in distinct_duplicates(staged):
            table = finish_block(chunk, without, plan.drop_columns, plan.fills).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
