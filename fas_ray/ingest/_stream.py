"""What every format reader hands over: a schema and a stream of record batches.

A reader may find, part-way through, that what it inferred from the start of the file does not
hold for the rest (a column of integers that later holds ``1.5``, a JSON key first seen on row
90,000). It then learns the wider types and raises :class:`Restart`; the consumer drops what it
has and calls :meth:`Source.open` again. Readers bound how often they do this.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

__all__ = ["Details", "Restart", "Source", "Stream", "unique_names"]


@dataclass(frozen=True)
class Details:
    """What was detected about a file: its format and, where they apply, how it was read."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class Stream:
    """One pass over a file: the schema every batch has, and the batches."""

    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]


class Restart(Exception):
    """Raised from a batch iterator: read the file again from the start with the learned types."""


class Source(Protocol):
    """A file that can be read as record batches, once or again after a :class:`Restart`."""

    def open(self) -> Stream: ...

    def details(self) -> Details: ...


def unique_names(names: list[str]) -> list[str]:
    """Column names with blanks named ``column_<i>`` and repeats suffixed ``_2``, ``_3``, ..."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        base = raw if raw.strip() else f"column_{i}"
        name, n = base, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        out.append(name)
    return out
