"""Bad input: one-line error, exit status 2, a failed manifest, nothing half-written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import cli

pytestmark = pytest.mark.slow


def _missing(tmp: Path) -> Path:
    return tmp / "does_not_exist.csv"


def _wrong_extension(tmp: Path) -> Path:
    path = tmp / "data.xml"
    path.write_text("a,b\n1,2\n")
    return path


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.csv"
    path.write_text("")
    return path


def _header_only(tmp: Path) -> Path:
    path = tmp / "header.csv"
    path.write_text("a,b,target\n")
    return path


def _unknown_target(tmp: Path) -> Path:
    path = tmp / "cols.csv"
    path.write_text("alpha,beta,gamma\n1,2,3\n4,5,6\n")
    return path


def _single_value_target(tmp: Path) -> Path:
    path = tmp / "single.csv"
    path.write_text("x,target\n" + "".join(f"{i},7\n" for i in range(30)))
    return path


def _only_target(tmp: Path) -> Path:
    path = tmp / "only_target.csv"
    path.write_text("target\n" + "".join(f"{i % 2}\n" for i in range(30)))
    return path


def _all_null_target(tmp: Path) -> Path:
    path = tmp / "null_target.csv"
    path.write_text("x,target\n" + "".join(f"{i},\n" for i in range(30)))
    return path


def _one_row_per_class(tmp: Path) -> Path:
    path = tmp / "per_class.csv"
    path.write_text("x,target\n" + "".join(f"{i},c{i}\n" for i in range(30)))
    return path


def _deep_json(tmp: Path) -> Path:
    path = tmp / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    return path


# (id, input maker, expected message part, whether the file itself is valid and gets ingested)
CASES: list[tuple[str, Callable[[Path], Path], str, bool]] = [
    ("missing", _missing, "does not exist", False),
    ("extension", _wrong_extension, "extension '.xml'", False),
    ("empty", _empty, "is empty", False),
    ("header-only", _header_only, "no data rows", False),
    ("unknown-target", _unknown_target, "Columns: alpha, beta, gamma", True),
    ("single-value", _single_value_target, "single value", True),
    ("only-target", _only_target, "no column besides the target", True),
    ("all-null-target", _all_null_target, "has no values", True),
    ("one-row-per-class", _one_row_per_class, "each in a single row", True),
    ("deep-json", _deep_json, "nests arrays or objects too deeply", False),
]


@pytest.mark.parametrize(("name", "make", "expected", "ingested"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_cleanly(
    name: str, make: Callable[[Path], Path], expected: str, ingested: bool, tmp_path: Path
) -> None:
    source = make(tmp_path)
    root = tmp_path / "root"
    proc = cli("run", str(source), "--target", "target", "--data-root", str(root), timeout=120)

    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fas-ray: error: ")
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout

    manifests = list((root / "runs").glob("*/manifest.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["status"] == "failed"
    assert expected in manifest["error"]
    # nothing half-written: a valid file is stored whole in bronze (data + meta), an invalid one
    # not at all; no temporary folders; no silver layer
    bronze = list((root / "bronze").iterdir())
    if ingested:
        assert len(bronze) == 1 and not bronze[0].name.startswith(".")
        assert sorted(p.name for p in bronze[0].iterdir()) == ["data.parquet", "meta.json"]
    else:
        assert bronze == []
    assert list((root / "silver").iterdir()) == []
