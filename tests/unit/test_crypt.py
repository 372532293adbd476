"""Encrypted Parquet layers: key files, round trips, and what a missing or wrong key says."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fas_ray.etl import profile_parquet
from fas_ray.exceptions import StorageError
from fas_ray.storage import DataRoot, ParquetKey, write_parquet_atomic
from fas_ray.storage._crypt import is_encrypted, read_arrow


@pytest.mark.parametrize("size", [16, 24, 32])
@pytest.mark.parametrize("form", ["raw", "hex", "base64"])
def test_key_files_raw_hex_or_base64(tmp_path: Path, size: int, form: str) -> None:
    secret = os.urandom(size)
    text = {"raw": secret, "hex": secret.hex().encode(), "base64": base64.b64encode(secret)}
    (tmp_path / "key").write_bytes(text[form] + (b"\n" if form != "raw" else b""))
    key = ParquetKey.from_file(tmp_path / "key")
    assert key.secret == secret
    assert secret.hex() not in repr(key) and len(key.fingerprint) == 12


@pytest.mark.parametrize("content", [b"", b"short", b"x" * 33, b"zz" * 17])
def test_a_key_file_without_a_key_is_one_line(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "key").write_bytes(content)
    with pytest.raises(StorageError, match="holds no 16-, 24- or 32-byte key") as err:
        ParquetKey.from_file(tmp_path / "key")
    assert "\n" not in str(err.value)


def test_a_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="Cannot read the key file"):
        ParquetKey.from_file(tmp_path / "nope")


def test_layers_round_trip_and_stay_closed_without_the_key(tmp_path: Path) -> None:
    key = ParquetKey(os.urandom(32))
    root = DataRoot(tmp_path, key=key)
    table = pa.table({"x": [1.5, 2.5, None], "city": ["Oslo", "Lima", "Oslo"]})
    path = write_parquet_atomic(table, tmp_path / "gold" / "g.parquet", root.parquet_options)
    assert is_encrypted(path) and b"Lima" not in path.read_bytes()
    assert root.read(path).to_dict(as_series=False) == {
        "x": [1.5, 2.5, None],
        "city": ["Oslo", "Lima", "Oslo"],
    }
    assert root.read(path, columns=["city"]).columns == ["city"]
    with pytest.raises(StorageError, match="is encrypted; give its key"):
        DataRoot(tmp_path).read(path)
    with pytest.raises(StorageError, match=f"The key {ParquetKey(b'k' * 16).fingerprint} does"):
        DataRoot(tmp_path, key=ParquetKey(b"k" * 16)).read(path)
    # a file written before a key was used still reads with one
    plain = tmp_path / "plain.parquet"
    pq.write_table(table, plain)
    assert not is_encrypted(plain) and root.read(plain).height == 3
    # a folder of parts, the profile of an encrypted silver
    write_parquet_atomic(table, tmp_path / "silver" / "part-1.parquet", root.parquet_options)
    assert read_arrow(tmp_path / "silver", key).num_rows == 3
    profile = profile_parquet(tmp_path / "silver", key=key)
    assert (profile.rows, profile.columns) == (3, 2)
    with pytest.raises(Exception, match="(?i)encrypt"):
        pl.read_parquet(path)
