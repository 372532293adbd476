"""Ingest: files become bronze Parquet keyed by their SHA-256, or fail leaving nothing behind."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from fas_ray.exceptions import InputError
from fas_ray.ingest import ingest_file, read_table, sha256_file
from fas_ray.storage import DataRoot

pytestmark = pytest.mark.filterwarnings("error")

CSV = b"Mean Radius,label,when\n1.5,a,2024-01-01\n2.5,b,2024-01-02\n,a,2024-01-03\n"


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path / "root")


def _bronze_entries(root: DataRoot) -> list[Path]:
    bronze = root.root / "bronze"
    return sorted(bronze.rglob("*")) if bronze.exists() else []


def test_csv_becomes_bronze_parquet(tmp_path: Path, root: DataRoot) -> None:
    src = tmp_path / "input.csv"
    src.write_bytes(CSV)
    ds = ingest_file(src, root)

    assert ds.sha256 == hashlib.sha256(CSV).hexdigest() == sha256_file(src)
    assert ds.dataset_id == ds.sha256[:16]
    assert ds.path == root.bronze(ds.dataset_id) / "data.parquet"
    assert (ds.rows, ds.columns, ds.size_bytes) == (3, ["Mean Radius", "label", "when"], len(CSV))
    assert ds.source == str(src.resolve())
    table = pq.read_table(ds.path)
    assert table.num_rows == 3 and table.column_names == ds.columns
    assert table.column("Mean Radius").to_pylist() == [1.5, 2.5, None]
    meta = json.loads((ds.path.parent / "meta.json").read_text(encoding="utf-8"))
    assert meta == ds.to_json()
    assert sorted(p.name for p in ds.path.parent.iterdir()) == ["data.parquet", "meta.json"]
    assert [p.name for p in (root.root / "bronze").iterdir()] == [ds.dataset_id], "no temp dirs"


def test_parquet_becomes_bronze_parquet(tmp_path: Path, root: DataRoot) -> None:
    src = tmp_path / "input.PARQUET"  # the extension check ignores case
    frame = pl.DataFrame({"x": list(range(100)), "y": [f"s{i % 7}" for i in range(100)]})
    frame.write_parquet(src)
    ds = ingest_file(src, root)
    assert ds.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert (ds.rows, ds.columns) == (100, ["x", "y"])
    assert pl.read_parquet(ds.path).equals(frame)


def test_same_bytes_are_stored_once(tmp_path: Path, root: DataRoot) -> None:
    first_src, second_src = tmp_path / "a.csv", tmp_path / "copy-of-a.csv"
    first_src.write_bytes(CSV)
    second_src.write_bytes(CSV)
    first = ingest_file(first_src, root)
    stat = first.path.stat()
    second = ingest_file(second_src, root)
    assert second.dataset_id == first.dataset_id
    assert second == first, "the stored record is reused, source and time included"
    after = first.path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (stat.st_mtime_ns, stat.st_ino), "file untouched"
    assert len(list((root.root / "bronze").iterdir())) == 1


def test_different_bytes_get_different_ids(tmp_path: Path, root: DataRoot) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(CSV)
    b.write_bytes(CSV + b"3.5,c,2024-01-04\n")
    assert ingest_file(a, root).dataset_id != ingest_file(b, root).dataset_id


ERRORS = {
    "missing": (None, "does not exist"),
    "unsupported.xml": (b"<a>1</a>\n", "extension '.xml' of 'unsupported.xml' is not supported"),
    "no_extension": (b"a,b\n1,2\n", "extension '(none)'"),
    "empty.csv": (b"", "'empty.csv' is empty"),
    "header_only.csv": (b"a,b\n", "'header_only.csv' has a header but no data rows"),
    "ragged.csv": (b"a,b\n1,2\n3\n", "Cannot parse 'ragged.csv' as CSV"),
    "corrupt.parquet": (
        random.Random(0).randbytes(512),
        "Cannot read 'corrupt.parquet' as Parquet",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input_raises_one_line_and_leaves_nothing(
    tmp_path: Path, root: DataRoot, name: str
) -> None:
    data, needle = ERRORS[name]
    src = tmp_path / name
    if data is not None:
        src.write_bytes(data)
    with pytest.raises(InputError) as info:
        ingest_file(src, root)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__, "chained traceback"
    assert _bronze_entries(root) == [], "no partial bronze folder, hidden or not"


def test_header_only_parquet_is_rejected(tmp_path: Path, root: DataRoot) -> None:
    src = tmp_path / "zero_rows.parquet"
    pl.DataFrame({"a": []}, schema={"a": pl.Int64}).write_parquet(src)
    with pytest.raises(InputError, match="no data rows"):
        ingest_file(src, root)
    assert _bronze_entries(root) == []


def test_a_directory_is_not_a_file(tmp_path: Path, root: DataRoot) -> None:
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(InputError, match="is not a file"):
        ingest_file(tmp_path / "folder.csv", root)


def test_parquet_with_corrupt_pages_raises_input_error(tmp_path: Path, root: DataRoot) -> None:
    src = tmp_path / "damaged.parquet"
    pl.DataFrame({"a": list(range(1000)), "b": [f"s{i}" for i in range(1000)]}).write_parquet(
        src, compression="snappy"
    )
    data = bytearray(src.read_bytes())
    for k in range(100, 164):  # inside the first column chunk; the footer stays valid
        data[k] ^= 0xFF
    src.write_bytes(bytes(data))
    try:
        with pytest.raises(InputError, match="damaged.parquet"):
            ingest_file(src, root)
    finally:
        assert _bronze_entries(root) == []


def test_read_table_reads_both_formats(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_bytes(CSV)
    pq_path = tmp_path / "p.parquet"
    pl.DataFrame({"x": [1, 2]}).write_parquet(pq_path)
    assert read_table(csv).num_rows == 3
    assert read_table(pq_path).column("x").to_pylist() == [1, 2]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="Cannot read 'bad.parquet' as Parquet"):
        read_table(bad)
