"""Files → bronze Parquet.

The bronze layer keeps the input as it came, converted to Parquet, under an id derived from the
file's SHA-256: ingesting the same bytes twice reuses the stored copy, and a stored copy is never
rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fas_ray.exceptions import InputError
from fas_ray.manifest import utc_now
from fas_ray.storage import DataRoot, atomic_dir, write_json

__all__ = ["SUPPORTED_EXTENSIONS", "BronzeDataset", "ingest_file", "read_table", "sha256_file"]

log = logging.getLogger("fas_ray.ingest")

SUPPORTED_EXTENSIONS = (".csv", ".parquet")
_CSV_BLOCK_BYTES = 8 << 20


@dataclass(frozen=True)
class BronzeDataset:
    """A stored bronze data set."""

    dataset_id: str
    path: Path
    source: str
    sha256: str
    size_bytes: int
    rows: int
    columns: list[str]
    ingested_at: str

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _check_file(path: Path) -> str:
    if not path.exists():
        raise InputError(f"The file '{path}' does not exist; check the path.")
    if not path.is_file():
        raise InputError(f"'{path}' is not a file; give the path of a CSV or Parquet file.")
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise InputError(
            f"The file extension '{ext or '(none)'}' of '{path.name}' is not supported; "
            f"use one of: {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    if path.stat().st_size == 0:
        raise InputError(
            f"The file '{path.name}' is empty; it needs a header and at least one row."
        )
    return ext


def _csv_batches(path: Path) -> pacsv.CSVStreamingReader:
    try:
        return pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK_BYTES))
    except pa.ArrowInvalid as exc:
        raise InputError(f"Cannot parse '{path.name}' as CSV: {exc}".splitlines()[0]) from None


def _write_csv_as_parquet(src: Path, dest: Path) -> tuple[int, list[str]]:
    """Stream a CSV into a Parquet file, block by block; return rows and column names."""
    reader = _csv_batches(src)
    schema = reader.schema
    rows = 0
    with pq.ParquetWriter(dest, schema, compression="snappy") as writer:
        try:
            for batch in reader:
                if batch.schema != schema:
                    batch = pa.Table.from_batches([batch]).cast(schema).to_batches()[0]
                writer.write_batch(batch)
                rows += batch.num_rows
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            msg = str(exc).splitlines()[0]
            raise InputError(
                f"Cannot parse '{src.name}' as CSV past row {rows}: {msg}. "
                "Check that every row has the same columns and types."
            ) from None
    return rows, schema.names


def _write_parquet_copy(src: Path, dest: Path) -> tuple[int, list[str]]:
    try:
        pf = pq.ParquetFile(src)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read '{src.name}' as Parquet: {exc}".splitlines()[0]) from None
    rows = 0
    with pq.ParquetWriter(dest, pf.schema_arrow, compression="snappy") as writer:
        try:
            for batch in pf.iter_batches(batch_size=65_536):
                writer.write_batch(batch)
                rows += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            msg = str(exc).splitlines()[0]
            raise InputError(
                f"'{src.name}' is a damaged Parquet file (after row {rows}): {msg}"
            ) from None
    return rows, pf.schema_arrow.names


def ingest_file(path: str | Path, root: DataRoot) -> BronzeDataset:
    """Validate ``path`` and store it as bronze Parquet; reuse the stored copy if already there.

    Raises:
        InputError: the file is missing, empty, of an unsupported type, unparseable, or has no rows.
    """
    src = Path(path).expanduser()
    ext = _check_file(src)
    sha = sha256_file(src)
    dataset_id = sha[:16]
    dest_dir = root.bronze(dataset_id)
    meta_path = dest_dir / "meta.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["path"] = Path(meta["path"])
        log.info("bronze %s already stored; reusing it", dataset_id)
        return BronzeDataset(**meta)

    with atomic_dir(dest_dir) as tmp:
        out = tmp / "data.parquet"
        if ext == ".csv":
            rows, columns = _write_csv_as_parquet(src, out)
        else:
            rows, columns = _write_parquet_copy(src, out)
        if not columns:
            raise InputError(f"'{src.name}' has no columns; it needs a header row.")
        if rows == 0:
            raise InputError(f"'{src.name}' has a header but no data rows; add at least one row.")
        dataset = BronzeDataset(
            dataset_id=dataset_id,
            path=dest_dir / "data.parquet",
            source=str(src.resolve()),
            sha256=sha,
            size_bytes=src.stat().st_size,
            rows=rows,
            columns=list(columns),
            ingested_at=utc_now(),
        )
        write_json(tmp / "meta.json", dataset.to_json())
    return dataset


def read_table(path: str | Path) -> pa.Table:
    """Read a CSV or Parquet file into an Arrow table (for prediction inputs, not for bronze)."""
    src = Path(path).expanduser()
    ext = _check_file(src)
    if ext == ".csv":
        try:
            return pacsv.read_csv(src)
        except pa.ArrowInvalid as exc:
            raise InputError(f"Cannot parse '{src.name}' as CSV: {exc}".splitlines()[0]) from None
    try:
        return pq.read_table(src)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read '{src.name}' as Parquet: {exc}".splitlines()[0]) from None
