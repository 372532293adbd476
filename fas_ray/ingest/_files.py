"""Files → bronze Parquet.

The bronze layer keeps the input as it came, converted to Parquet (snappy), under an id derived
from the file's SHA-256 (and from the options, when they are not the defaults): ingesting the
same bytes twice reuses the stored copy, and a stored copy is never rewritten; its files are
made read-only.

Accepted: delimited text (``.csv``, ``.tsv``, ``.txt``; delimiter, header and encoding sniffed),
Excel (``.xlsx``, ``.xls``), Parquet, JSON (``.json``: an array of objects, one object holding
such an array, or one object per line; ``.jsonl``, ``.ndjson``), each also as ``<name>.gz``, or
inside a ``.zip``. Every format is streamed, so memory does not grow with the file, except
``.xls`` and the one-object JSON layout, which are read whole.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from fas_ray.exceptions import InputError
from fas_ray.ingest._archive import COMPRESSIONS, human_size, split_extension, unpacked
from fas_ray.ingest._formats import DATA_EXTENSIONS, open_source
from fas_ray.ingest._stream import Restart, Source, unique_names
from fas_ray.manifest import utc_now
from fas_ray.storage import DataRoot, atomic_dir, write_json

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_EXTENSIONS",
    "BronzeDataset",
    "ingest_file",
    "read_table",
    "sha256_file",
]

log = logging.getLogger("fas_ray.ingest")

SUPPORTED_EXTENSIONS = DATA_EXTENSIONS + tuple(COMPRESSIONS)
DEFAULT_MAX_BYTES = 20 << 30
# the widest table taken: profiling, cleaning and the feature builder work column by column, and
# past this a 60 s run spends its budget there (a 4,000-column table profiles in ~35 s here)
MAX_COLUMNS = 5_000
_MAX_PASSES = 6
_GROUP_ROWS = 128 * 1024
_GROUP_BYTES = 8 << 20

Put = Callable[[pa.RecordBatch], None]
Sink = Callable[[pa.Schema], contextlib.AbstractContextManager[Put]]


@dataclass(frozen=True)
class BronzeDataset:
    """A stored bronze data set.

    ``sha256`` and ``size_bytes`` are those of the file as given (compressed, if it was).
    ``format`` is ``csv``, ``tsv``, ``excel``, ``parquet``, ``json`` or ``ndjson``; ``encoding``
    is set for text, ``delimiter`` for delimited text, ``sheet`` for Excel (the sheet read, or
    ``all``), ``compression`` (``gz`` or ``zip``) and ``member`` (the file read in a zip) for
    compressed input. Scraped data has ``format`` ``web``, the start ``urls`` and the crawl's
    ``fetch`` statistics. Records stored before these were kept have ``format`` ``unknown``.
    """

    dataset_id: str
    path: Path
    source: str
    sha256: str
    size_bytes: int
    rows: int
    columns: list[str]
    ingested_at: str
    format: str = "unknown"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    compression: str | None = None
    member: str | None = None
    urls: list[str] | None = None
    fetch: dict[str, Any] | None = None

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BronzeDataset:
        """The record :meth:`to_json` wrote; keys it does not know are ignored."""
        known = {field.name for field in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["path"] = Path(values["path"])
        return cls(**values)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _check_file(path: Path, max_bytes: int) -> str | None:
    """Check the path, name and size of an input file; return its compression."""
    if not path.exists():
        raise InputError(f"The file '{path}' does not exist; check the path.")
    if not path.is_file():
        raise InputError(f"'{path}' is not a file; give the path of a data file.")
    ext, compression = split_extension(path.name)
    if compression is None and ext not in DATA_EXTENSIONS:
        raise InputError(
            f"The file extension '{ext or '(none)'}' of '{path.name}' is not supported; "
            f"use one of: {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    if compression == "gz" and ext not in DATA_EXTENSIONS:
        raise InputError(
            f"'{path.name}' is gzip-compressed but its name does not say what it holds; "
            f"name it like data.csv.gz, with one of: {', '.join(DATA_EXTENSIONS)}."
        )
    size = path.stat().st_size
    if size == 0:
        raise InputError(
            f"The file '{path.name}' is empty; it needs a header and at least one row."
        )
    if size > max_bytes:
        raise InputError(
            f"'{path.name}' is {human_size(size)}, over the size limit of "
            f"{human_size(max_bytes)}; raise the limit (max_bytes) or split the data."
        )
    return compression


def _dataset_id(sha: str, sheet: str | None) -> str:
    if sheet is None:
        return sha[:16]
    return hashlib.sha256(f"{sha}\0sheet={sheet}".encode()).hexdigest()[:16]


def _drain(source: Source, name: str, sink: Sink) -> tuple[pa.Schema, int]:
    """Stream ``source`` into ``sink``, from the start again when the source asks to."""
    for _ in range(_MAX_PASSES):
        stream = source.open()
        names = unique_names(stream.schema.names)
        if not names:
            raise InputError(
                f"'{name}' has no columns; it needs a header row (or keys in its records)."
            )
        if len(names) > MAX_COLUMNS:
            raise InputError(
                f"'{name}' has {len(names):,} columns; fas-ray takes at most {MAX_COLUMNS:,}: "
                "keep the columns that matter (or reduce them, e.g. with PCA) first."
            )
        schema = pa.schema(
            [f.with_name(n) for f, n in zip(stream.schema, names, strict=True)],
            metadata=stream.schema.metadata,
        )
        renamed = names != stream.schema.names
        rows = 0
        try:
            with sink(schema) as put:
                for batch in stream.batches:
                    put(batch.rename_columns(names) if renamed else batch)
                    rows += batch.num_rows
        except Restart:
            log.info("reading %s again, with wider column types", name)
            continue
        if rows == 0:
            raise InputError(f"'{name}' has a header but no data rows; add at least one row.")
        return schema, rows
    raise InputError(
        f"The column types of '{name}' kept changing while reading it; save it with one type "
        "per column."
    )


@contextlib.contextmanager
def _parquet_sink(dest: Path, options: dict[str, Any], schema: pa.Schema) -> Iterator[Put]:
    """Write batches to ``dest``, gathered into row groups of about ``_GROUP_ROWS`` rows."""
    pending: list[pa.RecordBatch] = []

    def flush() -> None:
        if pending:
            table = pa.Table.from_batches(pending, schema=schema)
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
            pending.clear()

    def put(batch: pa.RecordBatch) -> None:
        pending.append(batch)
        if sum(b.num_rows for b in pending) >= _GROUP_ROWS or (
            sum(b.nbytes for b in pending) >= _GROUP_BYTES
        ):
            flush()

    with pq.ParquetWriter(dest, schema, compression="snappy", **options) as writer:
        yield put
        flush()


def ingest_file(
    path: str | Path,
    root: DataRoot,
    *,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> BronzeDataset:
    """Validate ``path`` and store it as bronze Parquet; reuse the stored copy if already there.

    Args:
        path: a data file of one of :data:`SUPPORTED_EXTENSIONS`.
        root: the data root whose bronze layer receives it.
        sheet: for Excel: the sheet to read (default: the first), or ``"all"`` to stack every
            sheet with its name in a ``__sheet`` column.
        max_bytes: the largest file accepted, compressed or unpacked.

    Raises:
        InputError: the file is missing, empty, too large, of an unsupported type, not what its
            extension says, unparseable, or has no columns or no rows. Nothing is stored then.
    """
    src = Path(path).expanduser()
    compression = _check_file(src, max_bytes)
    sha = sha256_file(src)
    dataset_id = _dataset_id(sha, sheet)
    if root.key is not None:  # the same file stored under another key is another copy
        dataset_id += f"-k{root.key.fingerprint[:8]}"
    dest_dir = root.bronze(dataset_id)
    meta_path = dest_dir / "meta.json"
    if meta_path.is_file():
        log.info("bronze %s already stored; reusing it", dataset_id)
        return BronzeDataset.from_json(json.loads(meta_path.read_text(encoding="utf-8")))

    with atomic_dir(dest_dir) as tmp:
        out = tmp / "data.parquet"
        with unpacked(src, src.name, compression, tmp, max_bytes) as (data, ext, member):
            source = open_source(data, ext, src.name, sheet)
            schema, rows = _drain(
                source, src.name, functools.partial(_parquet_sink, out, root.parquet_options)
            )
        details = source.details()
        dataset = BronzeDataset(
            dataset_id=dataset_id,
            path=dest_dir / "data.parquet",
            source=str(src.resolve()),
            sha256=sha,
            size_bytes=src.stat().st_size,
            rows=rows,
            columns=schema.names,
            ingested_at=utc_now(),
            format=details.format,
            encoding=details.encoding,
            delimiter=details.delimiter,
            sheet=details.sheet,
            compression=compression,
            member=member,
        )
        write_json(tmp / "meta.json", dataset.to_json())
        for stored in (out, tmp / "meta.json"):
            stored.chmod(0o444)
    return dataset


def read_table(
    path: str | Path, *, sheet: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> pa.Table:
    """Read any supported file into an Arrow table (for prediction inputs, not for bronze).

    Takes the same options and raises the same errors as :func:`ingest_file`.
    """
    src = Path(path).expanduser()
    compression = _check_file(src, max_bytes)
    batches: list[pa.RecordBatch] = []

    @contextlib.contextmanager
    def collect(schema: pa.Schema) -> Iterator[Put]:
        batches.clear()
        yield batches.append

    with (
        tempfile.TemporaryDirectory(prefix="fas-ray-read-") as workdir,
        unpacked(src, src.name, compression, Path(workdir), max_bytes) as (data, ext, _),
    ):
        schema, _ = _drain(open_source(data, ext, src.name, sheet), src.name, collect)
    return pa.Table.from_batches(batches, schema=schema)
