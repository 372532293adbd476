"""Writes that either complete or leave nothing behind: write to a temporary path, then rename."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_dir",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_safe_text",
    "write_json",
    "write_parquet_atomic",
]

# a spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV injection)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (a temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; rename it to ``path`` when the block succeeds.

    On an exception the temporary folder is removed and ``path`` is left as it was. An existing
    ``path`` is replaced only after the new folder is complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_parquet_atomic(table: Any, path: Path, options: dict[str, Any] | None = None) -> Path:
    """Write an Arrow table (or anything with ``to_arrow()``, like a polars frame) to ``path``;
    ``options`` go to pyarrow's writer (a data root's ``parquet_options``: its encryption)."""
    import pyarrow.parquet as pq

    if hasattr(table, "to_arrow"):
        table = table.to_arrow()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="snappy", **(options or {}))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def csv_safe_text(frame: Any) -> str:
    r"""``frame`` (a polars DataFrame) as CSV text in which no text cell can run as a
    spreadsheet formula: a text value starting with ``= + - @``, a tab or a carriage return
    gets a leading ``'`` (OWASP's advice); numbers are written as they are.

    Example:
        >>> import polars as pl
        >>> csv_safe_text(pl.DataFrame({"label": ["=1+1", "ok"], "x": [-1, 2]}))
        "label,x\n'=1+1,-1\nok,2\n"
    """
    import polars as pl

    text = [c for c, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical)]
    guarded = frame.with_columns(
        pl.when(_starts(c))
        .then(pl.lit("'") + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in text
    )
    return str(guarded.write_csv())


def _starts(column: str) -> Any:
    import polars as pl

    value = pl.col(column).cast(pl.String)
    test = value.str.starts_with(_FORMULA_STARTS[0])
    for start in _FORMULA_STARTS[1:]:
        test = test | value.str.starts_with(start)
    return test
