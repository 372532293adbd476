"""Atomic writes: a write either completes or leaves the target exactly as it was.

Every file writer is checked against the same targets (a new path, a new path in a folder that
does not exist yet, an existing file to replace), and ``atomic_dir`` against new and existing
folders; on failure neither a partial target nor a temporary file may remain.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from fas_ray.storage import (
    atomic_dir,
    atomic_write_bytes,
    atomic_write_text,
    write_json,
    write_parquet_atomic,
)

pytestmark = pytest.mark.filterwarnings("error")

OLD = b"previous content\n"


@dataclass(frozen=True)
class FileWriter:
    write: Callable[[Path], Any]  # writes a good payload
    read: Callable[[Path], Any]
    expected: Any
    write_bad: Callable[[Path], Any]  # fails part-way


def _circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


FRAME = pl.DataFrame({"a": [1, 2, None], "b": ["x", None, "z"]})

WRITERS: dict[str, FileWriter] = {
    "bytes": FileWriter(
        write=lambda p: atomic_write_bytes(p, b"\x00new\xff"),
        read=Path.read_bytes,
        expected=b"\x00new\xff",
        write_bad=lambda p: atomic_write_bytes(p, "text is not bytes"),  # type: ignore[arg-type]
    ),
    "text": FileWriter(
        write=lambda p: atomic_write_text(p, "ünïcode\n"),
        read=lambda p: p.read_text(encoding="utf-8"),
        expected="ünïcode\n",
        write_bad=lambda p: atomic_write_text(p, b"bytes"),  # type: ignore[arg-type]
    ),
    "json": FileWriter(
        write=lambda p: write_json(p, {"a": [1, 2], "path": Path("x")}),
        read=lambda p: json.loads(p.read_text(encoding="utf-8")),
        expected={"a": [1, 2], "path": "x"},
        write_bad=lambda p: write_json(p, _circular()),
    ),
    "parquet-polars": FileWriter(
        write=lambda p: write_parquet_atomic(FRAME, p),
        read=pl.read_parquet,
        expected=FRAME,
        write_bad=lambda p: write_parquet_atomic(object(), p),
    ),
    "parquet-arrow": FileWriter(
        write=lambda p: write_parquet_atomic(FRAME.to_arrow(), p),
        read=pl.read_parquet,
        expected=FRAME,
        write_bad=lambda p: write_parquet_atomic(pa.table({"a": [1]}).to_batches(), p),
    ),
}
TARGETS = ("new", "new-in-missing-folder", "existing")


def _target(tmp_path: Path, kind: str) -> Path:
    if kind == "new":
        return tmp_path / "out.bin"
    if kind == "new-in-missing-folder":
        return tmp_path / "a" / "b" / "out.bin"
    path = tmp_path / "out.bin"
    path.write_bytes(OLD)
    return path


def _same(actual: Any, expected: Any) -> bool:
    return actual.equals(expected) if isinstance(expected, pl.DataFrame) else actual == expected


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir()) if path.parent.exists() else []


@pytest.fixture(params=sorted(WRITERS))
def writer(request: pytest.FixtureRequest) -> FileWriter:
    return WRITERS[request.param]


@pytest.mark.parametrize("target", TARGETS)
def test_write_replaces_the_target_and_leaves_no_temp_file(
    writer: FileWriter, tmp_path: Path, target: str
) -> None:
    path = _target(tmp_path, target)
    assert writer.write(path) == path
    assert _same(writer.read(path), writer.expected)
    assert _siblings(path) == [path.name]


@pytest.mark.parametrize("target", TARGETS)
def test_failed_write_leaves_the_target_as_it_was(
    writer: FileWriter, tmp_path: Path, target: str
) -> None:
    path = _target(tmp_path, target)
    before = path.read_bytes() if path.exists() else None
    with pytest.raises((TypeError, ValueError, AttributeError)):
        writer.write_bad(path)
    if before is None:
        assert not path.exists()
        assert _siblings(path) == []
    else:
        assert path.read_bytes() == before
        assert _siblings(path) == [path.name]


@pytest.mark.parametrize("target", ("new", "existing"))
def test_atomic_dir_publishes_a_complete_folder(tmp_path: Path, target: str) -> None:
    path = tmp_path / "silver"
    if target == "existing":
        path.mkdir()
        (path / "stale.parquet").write_bytes(OLD)
    with atomic_dir(path) as tmp:
        assert tmp != path and tmp.parent == path.parent and tmp.is_dir()
        (tmp / "part-0.parquet").write_bytes(b"new")
        assert not (path / "part-0.parquet").exists(), "nothing visible before the block ends"
    assert sorted(p.name for p in path.iterdir()) == ["part-0.parquet"]
    assert _siblings(path) == ["silver"], "no temporary or '.old' folder left"


@pytest.mark.parametrize("target", ("new", "existing"))
@pytest.mark.parametrize("error", (RuntimeError, KeyboardInterrupt))
def test_atomic_dir_failure_keeps_the_previous_folder(
    tmp_path: Path, target: str, error: type[BaseException]
) -> None:
    path = tmp_path / "silver"
    if target == "existing":
        path.mkdir()
        (path / "good.parquet").write_bytes(OLD)
    with pytest.raises(error):
        with atomic_dir(path) as tmp:
            (tmp / "half.parquet").write_bytes(b"partial")
            raise error("stopped half-way")
    if target == "existing":
        assert sorted(p.name for p in path.iterdir()) == ["good.parquet"]
        assert (path / "good.parquet").read_bytes() == OLD
        assert _siblings(path) == ["silver"]
    else:
        assert not path.exists()
        assert _siblings(path) == []


def test_atomic_dir_clears_a_stale_old_folder(tmp_path: Path) -> None:
    path = tmp_path / "gold"
    path.mkdir()
    (tmp_path / ".gold.old").mkdir()  # left by a crash between the two renames
    (tmp_path / ".gold.old" / "junk").write_bytes(b"junk")
    with atomic_dir(path) as tmp:
        (tmp / "holdout.parquet").write_bytes(b"new")
    assert _siblings(path) == ["gold"]
    assert [p.name for p in path.iterdir()] == ["holdout.parquet"]
