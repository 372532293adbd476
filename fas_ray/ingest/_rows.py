"""Rows of Python values (Excel cells, JSON records) as Arrow record batches of steady types.

Each column's type is the narrowest that holds every value seen: ``null`` < ``bool``,
``int`` < ``float``, and any other mix is ``string``. The first chunk of rows fixes the schema;
when a later chunk holds a new column or a wider value, the rest of the file is scanned for
everything else new and the reader asks for a second pass (:class:`Restart`), which then
cannot fail the same way. Memory stays one chunk of rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time

import pyarrow as pa

from fas_ray.ingest._stream import Details, Restart, Stream

__all__ = ["Row", "RowSource", "json_text", "value_type"]

Row = dict[str, object]

_ARROW = {
    "null": pa.null(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "time": pa.time64("us"),
    "string": pa.string(),
}
_CHUNK_CELLS = 1 << 16
_INT64 = 1 << 63


def value_type(value: object) -> str:
    """The Arrow type (a key of the table above) that holds ``value`` without loss."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -_INT64 <= value < _INT64 else "string"
    if isinstance(value, float):
        return "float"
    if isinstance(value, datetime):
        return "timestamp" if value.tzinfo is None else "string"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time" if value.tzinfo is None else "string"
    return "string"


def _widen(old: str, new: str) -> str:
    if old == new or new == "null":
        return old
    if old == "null":
        return new
    if {old, new} == {"int", "float"}:
        return "float"
    return "string"


def json_text(value: object) -> str:
    """Compact JSON for a value kept whole (a list in a JSON record)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _array(values: list[object], kind: str) -> pa.Array:
    if kind == "string":
        values = [None if v is None else _text(v) for v in values]
    elif kind == "float":
        values = [None if v is None else float(v) for v in values]  # type: ignore[arg-type]
    return pa.array(values, type=_ARROW[kind])


def _chunks(rows: Iterator[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    cells = 0
    for row in rows:
        chunk.append(row)
        cells += len(row) + 1
        if cells >= _CHUNK_CELLS:
            yield chunk
            chunk, cells = [], 0
    if chunk:
        yield chunk


class RowSource:
    """A :class:`~fas_ray.ingest._stream.Source` over rows that ``read`` yields afresh each call.

    Args:
        read: returns an iterator over the file's rows, as dicts from column name to value.
        details: what to report about the file.
    """

    def __init__(self, read: Callable[[], Iterator[Row]], details: Details) -> None:
        self._read = read
        self._details = details
        self._types: dict[str, str] = {}

    def details(self) -> Details:
        return self._details

    def _learn(self, chunk: list[Row]) -> bool:
        """Widen the known types to hold ``chunk``; return whether anything changed."""
        types, changed = self._types, False
        for row in chunk:
            for name, value in row.items():
                old = types.get(name)
                new = value_type(value) if old is None else _widen(old, value_type(value))
                if new != old:
                    types[name] = new
                    changed = True
        return changed

    def open(self) -> Stream:
        chunks = _chunks(self._read())
        first = next(chunks, [])
        self._learn(first)
        schema = pa.schema([(name, _ARROW[kind]) for name, kind in self._types.items()])
        return Stream(schema, self._batches(schema, first, chunks))

    def _batches(
        self, schema: pa.Schema, first: list[Row], chunks: Iterator[list[Row]]
    ) -> Iterator[pa.RecordBatch]:
        kinds = dict(self._types)
        chunk = first
        while chunk:
            if self._learn(chunk):
                for rest in chunks:
                    self._learn(rest)
                raise Restart
            columns = [_array([row.get(name) for row in chunk], kinds[name]) for name in kinds]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)
            chunk = next(chunks, [])
