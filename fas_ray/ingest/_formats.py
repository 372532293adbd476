"""One reader per format, chosen by extension once the file's first bytes agree with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fas_ray.exceptions import InputError
from fas_ray.ingest._csv import CsvSource
from fas_ray.ingest._excel import excel_source
from fas_ray.ingest._json import json_layout, json_source
from fas_ray.ingest._sniff import (
    decode_sample,
    detect_encoding,
    signature_problem,
    sniff_dialect,
    text_problem,
)
from fas_ray.ingest._stream import Details, Source, Stream

__all__ = ["DATA_EXTENSIONS", "ParquetSource", "open_source"]

DATA_EXTENSIONS = (
    ".csv",
    ".tsv",
    ".txt",
    ".parquet",
    ".xlsx",
    ".xls",
    ".json",
    ".jsonl",
    ".ndjson",
)
_EXCEL = (".xlsx", ".xls")
_JSON = (".json", ".jsonl", ".ndjson")
_SAMPLE_BYTES = 64 << 10
_BATCH_ROWS = 65_536


class ParquetSource:
    """A Parquet file, copied batch by batch."""

    def __init__(self, path: Path, name: str) -> None:
        self._path = path
        self._name = name

    def details(self) -> Details:
        return Details(format="parquet")

    def open(self) -> Stream:
        try:
            pf = pq.ParquetFile(self._path)
        except (pa.ArrowInvalid, OSError) as exc:
            msg = str(exc).splitlines()[0]
            raise InputError(
                f"Cannot read '{self._name}' as Parquet: {msg.rstrip('.')}; "
                "check that the file is complete."
            ) from None
        return Stream(pf.schema_arrow, self._batches(pf))

    def _batches(self, pf: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
        rows = 0
        try:
            for batch in pf.iter_batches(batch_size=_BATCH_ROWS):
                rows += batch.num_rows
                yield batch
        except (pa.ArrowException, OSError) as exc:
            msg = str(exc).splitlines()[0]
            raise InputError(
                f"'{self._name}' is a damaged Parquet file (after row {rows}): {msg}"
            ) from None
        finally:
            pf.close()


def _refuse(name: str, label: str, problem: str) -> InputError:
    return InputError(
        f"Cannot read '{name}' as {label}: {problem}; check the file, or give it the extension "
        "of its real format."
    )


def _check_signature(path: Path, kind: str, name: str, label: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(16)
    problem = signature_problem(head, kind)
    if problem:
        raise _refuse(name, label, problem)


def _text_sample(path: Path, name: str, label: str, needs: str) -> tuple[str, str, bool]:
    """The encoding, the decoded start of a text file, and whether that start is all of it."""
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
        complete = not fh.read(1)
    encoding = detect_encoding(head)
    text = decode_sample(head, encoding)
    problem = signature_problem(head, "text") or text_problem(text)
    if problem:
        raise _refuse(name, label, problem)
    if not text.strip():
        raise InputError(f"'{name}' has no columns: it holds only blank space; it needs {needs}.")
    return encoding, text, complete


def open_source(path: Path, ext: str, name: str, sheet: str | None = None) -> Source:
    """The reader for ``path``, a file of type ``ext`` (one of :data:`DATA_EXTENSIONS`).

    Args:
        path: the (uncompressed) file.
        ext: its lower-case extension; ``.txt`` is read as delimited text.
        name: how to name the file in messages.
        sheet: for Excel: a sheet name, ``"all"``, or ``None`` for the first sheet.

    Raises:
        InputError: the content does not match ``ext``, or ``sheet`` is given for a non-Excel file.
    """
    if sheet is not None and ext not in _EXCEL:
        raise InputError(
            f"A sheet ('{sheet}') can be chosen only in an Excel workbook; '{name}' is not one, "
            "so leave the sheet out."
        )
    if ext == ".parquet":
        _check_signature(path, "parquet", name, "Parquet")
        return ParquetSource(path, name)
    if ext in _EXCEL:
        _check_signature(path, ext[1:], name, f"an Excel workbook ({ext})")
        return excel_source(path, name, ext, sheet)
    if ext in _JSON:
        encoding, text, _ = _text_sample(path, name, "JSON text", "at least one record")
        layout = json_layout(text) if ext == ".json" else "lines"
        if layout is None:
            raise InputError(
                f"'{name}' does not hold JSON records (it starts with {text.lstrip()[:10]!r}); "
                "give an array of objects, one object holding such an array, or one object "
                "per line."
            )
        return json_source(path, name, encoding, layout)
    encoding, text, complete = _text_sample(path, name, "CSV text", "a header and rows")
    return CsvSource(path, name, encoding, sniff_dialect(text, complete, prefer_tab=ext == ".tsv"))
