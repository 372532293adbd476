"""Delimited text (CSV, TSV) streamed through pyarrow's block reader.

pyarrow infers the column types from the first block and holds later blocks to them. When a
later block does not fit (``1.5`` in a column of integers, text in an empty-so-far column, bytes
that are not UTF-8), the reader widens that column (to float64, else string) or switches to
Latin-1 and asks for another pass; after a few such passes every column is read as text. A
row longer than a block (one very long field) makes the blocks larger, up to ``MAX_BLOCK_BYTES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from fas_ray.exceptions import InputError
from fas_ray.ingest._sniff import Dialect, arrow_codec, value_kind
from fas_ray.ingest._stream import Details, Restart, Stream

__all__ = ["BLOCK_BYTES", "MAX_BLOCK_BYTES", "CsvSource"]

BLOCK_BYTES = 512 << 10
MAX_BLOCK_BYTES = 256 << 20  # one row (a very long field) may be this long
_MAX_WIDENINGS = 3
_CONVERSION = re.compile(r"In CSV column #(\d+): .*?CSV conversion error to (.+?): invalid value")
_VALUE = re.compile(r"invalid value '(.*)'$")


class CsvSource:
    """A delimited text file in a known encoding and :class:`~fas_ray.ingest._sniff.Dialect`."""

    def __init__(self, path: Path, name: str, encoding: str, dialect: Dialect) -> None:
        self._path = path
        self._name = name
        self._encoding = encoding
        self._dialect = dialect
        self._types: dict[str, pa.DataType] = {}
        self._names: list[str] = []
        self._widenings = 0
        self._all_text = False
        self._block = BLOCK_BYTES

    def details(self) -> Details:
        delimiter = self._dialect.delimiter
        kind = "tsv" if delimiter == "\t" else "csv"
        return Details(format=kind, encoding=self._encoding, delimiter=delimiter)

    def _reader(self) -> pacsv.CSVStreamingReader:
        dialect = self._dialect
        names = None if dialect.header else [f"column_{i}" for i in range(1, dialect.columns + 1)]
        types = dict.fromkeys(self._names, pa.string()) if self._all_text else self._types
        return pacsv.open_csv(
            self._path,
            read_options=pacsv.ReadOptions(
                block_size=self._block, encoding=arrow_codec(self._encoding), column_names=names
            ),
            parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=types),
        )

    def open(self) -> Stream:
        while True:  # the first block may already ask for wider settings (each bounded)
            try:
                reader = self._reader()
                break
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                failure = self._failure(exc, rows=0)
                if not isinstance(failure, Restart):
                    raise failure from None
        self._names = reader.schema.names
        return Stream(reader.schema, self._batches(reader))

    def _batches(self, reader: pacsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
        rows = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                raise self._failure(exc, rows) from None
            rows += batch.num_rows
            yield batch

    def _failure(self, exc: Exception, rows: int) -> Exception:
        """A :class:`Restart` with wider settings when they could help, else an InputError."""
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if ("invalid UTF8" in message or isinstance(exc, UnicodeDecodeError)) and (
            self._encoding.startswith("utf-8")
        ):
            self._encoding = "latin-1"
            return Restart()
        if "straddles two block boundaries" in message:  # a row longer than a block
            if self._block < MAX_BLOCK_BYTES:
                self._block = min(MAX_BLOCK_BYTES, self._block * 8)
                return Restart()
            return InputError(
                f"Cannot parse '{self._name}' as CSV: one row is longer than "
                f"{MAX_BLOCK_BYTES >> 20} MB (an unclosed quote, or a huge field); close the "
                "quote or split the field."
            )
        conversion = _CONVERSION.search(message)
        if conversion and self._names and not self._all_text:
            if self._widenings < _MAX_WIDENINGS:
                self._widenings += 1
                value = _VALUE.search(message)
                kind = value_kind(value.group(1)) if value else "text"
                name = self._names[int(conversion.group(1))]
                wide = conversion.group(2) in ("null", "int64") and kind in ("int", "float")
                self._types[name] = pa.float64() if wide else pa.string()
            else:
                self._all_text = True
            return Restart()
        where = f" past row {rows}" if rows else ""
        return InputError(
            f"Cannot parse '{self._name}' as CSV{where}: {message}. "
            "Check that every row has the same columns and types."
        )
