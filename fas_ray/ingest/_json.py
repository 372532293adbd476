"""JSON records: an array of objects, one object holding such an array, or one object per line.

Nested objects become dotted columns (``{"a": {"b": 1}}`` gives ``a.b``); lists are kept as
compact JSON text. Arrays and lines are read a chunk at a time; the one-object layout is read
whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from fas_ray.exceptions import InputError
from fas_ray.ingest._rows import Row, RowSource, json_text
from fas_ray.ingest._sniff import python_codec
from fas_ray.ingest._stream import Details

__all__ = ["flatten", "json_layout", "json_source"]

_CHUNK_CHARS = 1 << 20
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_HINT = "give an array of objects, one object holding such an array, or one object per line"


def json_layout(text: str) -> str | None:
    """``array``, ``object`` or ``lines`` (NDJSON), from the start of a ``.json`` file."""
    text = text.lstrip()
    if text.startswith("["):
        return "array"
    if not text.startswith("{"):
        return None
    try:
        _, end = _DECODER.raw_decode(text)
    except (json.JSONDecodeError, RecursionError):
        return "object"  # larger than the sample, invalid or too deep: reading it will tell
    return "lines" if text[end:].lstrip().startswith("{") else "object"


def flatten(record: dict[str, object], prefix: str = "") -> Row:
    """One row from a JSON object: nested objects as ``a.b`` columns, lists as JSON text."""
    out: Row = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, dict):
            out[name] = None
        elif isinstance(value, list):
            out[name] = json_text(value)
        else:
            out[name] = value
    return out


def _kind(item: object) -> str:
    if isinstance(item, list):
        return "an array"
    if isinstance(item, bool):
        return "true or false"
    if isinstance(item, int | float):
        return "a number"
    return "a string" if isinstance(item, str) else "null"


def _row(item: object, name: str, where: str) -> Row:
    if not isinstance(item, dict):
        raise InputError(f"{where} of '{name}' is {_kind(item)}, not an object; {_HINT}.")
    return flatten(item)


class _Cursor:
    """Reads JSON values one at a time from a text stream, a chunk at a time."""

    def __init__(self, fh: TextIO) -> None:
        self._fh = fh
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _more(self) -> None:
        chunk = self._fh.read(_CHUNK_CHARS)
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        self.eof = not chunk

    def peek(self) -> str | None:
        """The next character that is not white space, or ``None`` at the end."""
        while True:
            match = _SPACE.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return None
            self._more()

    def value(self) -> object:
        self.peek()
        while True:
            try:
                item, end = _DECODER.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:  # a number may go on in the next chunk
                    self.pos = end
                    return item
            except json.JSONDecodeError:
                if self.eof:
                    raise
            self._more()


def _array_rows(fh: TextIO, name: str) -> Iterator[Row]:
    cursor = _Cursor(fh)
    cursor.peek()
    cursor.pos += 1  # the "[" json_layout saw
    if cursor.peek() == "]":
        return
    n = 0
    while True:
        n += 1
        try:
            item = cursor.value()
        except json.JSONDecodeError as exc:
            raise InputError(
                f"Item {n} of the array in '{name}' is not valid JSON ({exc.msg}); "
                "fix it, or check that the file is complete."
            ) from None
        yield _row(item, name, f"Item {n} of the array")
        following = cursor.peek()
        if following == "]":
            return
        if following != ",":
            raise InputError(
                f"'{name}' is not valid JSON: item {n} of the array is followed by "
                f"{following!r} instead of ',' or ']'; check that the file is complete."
            )
        cursor.pos += 1


def _object_rows(fh: TextIO, name: str) -> Iterator[Row]:
    try:
        document = json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"'{name}' is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "fix it, or check that the file is complete."
        ) from None
    arrays = [
        key
        for key, value in document.items()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ]
    if len(arrays) > 1:
        raise InputError(
            f"'{name}' holds several arrays of records ({', '.join(arrays)}); keep one of them, "
            "or give an array of objects at the top."
        )
    records = document[arrays[0]] if arrays else [document]
    for record in records:
        yield flatten(record)


def _line_rows(fh: TextIO, name: str) -> Iterator[Row]:
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"Line {number} of '{name}' is not valid JSON ({exc.msg}); each line must hold "
                "one JSON object."
            ) from None
        yield _row(item, name, f"Line {number}")


_READERS = {"array": _array_rows, "object": _object_rows, "lines": _line_rows}


def json_source(path: Path, name: str, encoding: str, layout: str) -> RowSource:
    """A source over the JSON records of ``path`` laid out as ``layout`` (see json_layout)."""
    read_rows = _READERS[layout]

    def rows() -> Iterator[Row]:
        with open(path, encoding=python_codec(encoding)) as fh:
            try:
                yield from read_rows(fh, name)
            except UnicodeDecodeError:
                raise InputError(
                    f"'{name}' is not valid {encoding} text past its beginning; save it as UTF-8."
                ) from None
            except RecursionError:
                raise InputError(
                    f"'{name}' nests arrays or objects too deeply to read (Python's JSON reader "
                    "follows about 1,000 levels); flatten the records first."
                ) from None

    kind = "ndjson" if layout == "lines" else "json"
    return RowSource(rows, Details(format=kind, encoding=encoding))
