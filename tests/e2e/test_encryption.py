"""Encrypted Parquet layers (``--encrypt-key FILE``): a whole ``fas-ray run`` writes bronze,
silver and gold encrypted; nothing else can read them (polars, DuckDB, the raw bytes); the
commands that read them back work with the key; a missing or wrong key is one line, exit 2,
and changes nothing."""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from fas_ray.storage._crypt import is_encrypted
from tests.e2e.conftest import cli

pytestmark = pytest.mark.slow

SECRET = "zanzibar-quokka"  # a category value that must not appear in any stored byte


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_encrypted_layers_open_only_with_their_key(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    frame = pl.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=n),
            "kind": rng.choice([SECRET, "plain", "other"], n),
            "target": (x + rng.normal(scale=0.5, size=n) > 0).astype(int),
        }
    )
    csv = tmp_path / "secret.csv"
    frame.write_csv(csv)
    key, wrong = tmp_path / "key", tmp_path / "wrong"
    key.write_bytes(os.urandom(32))
    wrong.write_text(os.urandom(32).hex())  # hex text is a key file too
    root = tmp_path / "data"
    common = ["--data-root", str(root)]

    run = cli(
        "run", str(csv), "--target", "target", "--max-trials", "3", "--time-budget", "120",
        "--no-chart-png", "--encrypt-key", str(key), *common,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "in process: encrypted layers" in run.stdout
    run_id = re.search(r"^run id:\s+(\S+)$", run.stdout, re.M)
    assert run_id

    layers = [
        p for layer in ("bronze", "silver", "gold") for p in (root / layer).rglob("*.parquet")
    ]
    assert {p.relative_to(root).parts[0] for p in layers} == {"bronze", "silver", "gold"}
    for path in layers:
        assert is_encrypted(path), path
        assert SECRET.encode() not in path.read_bytes(), path
        with pytest.raises(Exception, match="(?i)encrypt"):
            pl.read_parquet(path)
        with pytest.raises(duckdb.Error):
            duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()

    # the export bundle copies the gold file as it is: still encrypted inside the zip
    out = tmp_path / "bundle.zip"
    exported = cli("export", run_id.group(1), "--out", str(out), *common)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    with zipfile.ZipFile(out) as bundle:
        gold = [n for n in bundle.namelist() if n.endswith(".parquet")]
        assert gold and all(bundle.read(n)[-4:] == b"PARE" for n in gold)
        card = bundle.read("MODEL_CARD.md").decode()
    assert "gold/holdout.parquet is encrypted" in card and "ParquetKey.from_file" in card

    # the charts read silver and gold back: with the key they are drawn again
    before = _snapshot(root)
    charts = cli("charts", run_id.group(1), "--no-png", "--encrypt-key", str(key), *common)
    assert charts.returncode == 0, charts.stdout + charts.stderr
    before = _snapshot(root)
    for extra, says in [
        ([], "is encrypted; give its key with --encrypt-key FILE"),
        (["--encrypt-key", str(wrong)], "does not open"),
    ]:
        failed = cli("charts", run_id.group(1), "--no-png", *extra, *common)
        assert failed.returncode == 2, failed.stdout + failed.stderr
        [line] = failed.stderr.strip().splitlines()
        assert says in line, line
    assert _snapshot(root) == before  # a failed read changed nothing

    short = tmp_path / "short"
    short.write_bytes(b"0123456789")
    bad = cli("run", str(csv), "--target", "target", "--encrypt-key", str(short), *common)
    assert bad.returncode == 2 and "holds no 16-, 24- or 32-byte key" in bad.stderr, bad.stderr
    assert _snapshot(root) == before
