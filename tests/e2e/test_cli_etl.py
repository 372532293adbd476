"""``fas-ray etl`` and ``fas-ray profile`` on a messy CSV."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.e2e.conftest import cli

pytestmark = pytest.mark.slow


def _messy_csv(path: Path, n: int = 2000) -> Path:
    rng = np.random.default_rng(0)
    words = "fast delivery great price poor packaging friendly support broken screen lasts".split()
    reviews = [" ".join(rng.choice(words, 12)) for _ in range(n)]
    for i in range(0, n, 20):
        reviews[i + 1] = reviews[i].upper() + "!!"  # a re-post: a near-duplicate
    churn = rng.integers(0, 2, n)
    frame = pl.DataFrame(
        {
            "Order ID": [f"o-{i}" for i in range(n)],
            "Price": [f"${v:,.2f}" if i % 9 else "" for i, v in enumerate(rng.uniform(5, 5000, n))],
            "Member?": rng.choice(["yes", "no"], n),
            "Review": reviews,
            "Churn": churn,
            "Churn Copy": churn,
        }
    )
    pl.concat([frame, frame.head(50)]).write_csv(path)
    return path


@pytest.mark.parametrize(("engine", "used"), [("auto", "local"), ("ray", "ray")])
def test_etl_cleans_types_dedups_and_profiles(tmp_path: Path, engine: str, used: str) -> None:
    source = _messy_csv(tmp_path / "orders.csv")
    root = tmp_path / "root"
    proc = cli(
        "etl",
        str(source),
        "--engine",
        engine,
        "--target",
        "Churn",
        "--near-duplicates",
        "--missing-column",
        "price=fill_mean",
        "--data-root",
        str(root),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = re.search(r"^run id:\s+(\S+)$", proc.stdout, re.M)
    assert run_id
    run_dir = root / "runs" / run_id.group(1)
    etl = json.loads((run_dir / "etl.json").read_text())
    assert etl["rows_in"] == 2050 and etl["duplicates_removed"] == 50
    assert etl["near_duplicates_removed"] == 100
    assert etl["strategies"]["price"] == "fill_mean" and etl["filled"]["price"] > 0
    schema = json.loads((run_dir / "schema.json").read_text())
    assert schema["price"]["semantic"] == "float"
    assert schema["member"]["semantic"] == "boolean"
    assert schema["order_id"]["semantic"] == "identifier"
    assert schema["review"]["semantic"] == "text"
    silver = pl.read_parquet(root / "silver" / run_id.group(1))
    assert silver.height == 1900
    assert silver.schema["price"] == pl.Float64 and silver["price"].null_count() == 0
    profile = json.loads((run_dir / "profile.json").read_text())
    kinds = {(w["kind"], w["column"]) for w in profile["warnings"]}
    assert ("target_leakage", "churn_copy") in kinds
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    assert [s["name"] for s in manifest["stages"]] == ["ingest", "etl", "profile"]
    assert manifest["stages"][1]["detail"]["engine"] == used
    assert manifest["stages"][1]["detail"]["ray"] == ("no Ray" if used == "local" else "local")


def test_profile_command_writes_json(tmp_path: Path) -> None:
    source = _messy_csv(tmp_path / "orders.csv", n=500)
    out = tmp_path / "profile.json"
    proc = cli("profile", str(source), "--out", str(out), "--data-root", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    profile = json.loads(out.read_text())
    assert profile["rows"] == 550
    assert "quality" in proc.stdout


def test_bad_etl_option_is_one_line(tmp_path: Path) -> None:
    source = _messy_csv(tmp_path / "orders.csv", n=100)
    proc = cli(
        "etl", str(source), "--missing-column", "review=fill_mean", "--data-root", str(tmp_path)
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "needs a numeric column, but 'review'" in proc.stderr
