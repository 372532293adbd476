"""The whole pipeline under a budget that is spent when the fit ends: every stage after it is
sized down with a plain note (report, manifest, progress) and every artifact is still written.

The budget's clock jumps 10,000 s ahead when the refit is reported, and every reading of it
costs 50 ms, so what the later stages see and measure does not depend on how fast this
machine is (SHAP work measured as negligible would otherwise be done in full).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import polars as pl
import pytest
from sklearn.datasets import make_classification

from fas_ray.budget import Budget
from fas_ray.config import RunSpec, Settings
from fas_ray.pipeline import run_pipeline

pytestmark = pytest.mark.integration


class JumpingClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        self.offset += 0.05
        return time.perf_counter() + self.offset


def test_a_spent_budget_sizes_down_every_later_stage_and_writes_every_artifact(
    ray_local: None, tmp_path: Path
) -> None:
    X, y = make_classification(n_samples=6_000, n_features=8, n_informative=5, random_state=0)
    frame = pl.DataFrame({f"x{i}": X[:, i] for i in range(8)}).with_columns(target=y)
    # 5 % of x0 missing: ETL's auto strategy keeps them for the model (it fills per CV fold)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) % 20 == 0).then(None).otherwise(pl.col("x0")).alias("x0")
    )
    csv = tmp_path / "data.csv"
    frame.write_csv(csv)
    spec = RunSpec(
        source=str(csv),
        target="target",
        time_budget_s=600.0,
        max_trials=2,
        learners=("lightgbm",),
    )
    clock = JumpingClock()
    budget = Budget(spec.time_budget_s, clock=clock)
    said: list[tuple[str, str]] = []

    def progress(stage: str, message: str) -> None:
        said.append((stage, message))
        if stage == "refit":
            clock.offset = 10_000.0

    result = run_pipeline(
        spec, Settings(data_root=tmp_path / "root"), progress=progress, budget=budget
    )

    notes = result.report["budget_notes"]
    assert [n.split(" ")[0] for n in notes] == ["error", "SHAP", "data", "PNG"]
    assert notes[0].startswith("error analysis on 1,000 of 1,200 holdout rows")
    assert notes[1].startswith("SHAP on 10 rows instead of 100")
    assert notes[2].startswith("data charts from a sample of 2,000 of 6,000 rows")
    assert notes[3].startswith("PNG export skipped (the HTML page has every chart)")
    assert [m for s, m in said if m.startswith("budget: ")] == [f"budget: {n}" for n in notes]
    record = result.report["budget"]
    assert record["total_s"] == 600.0 and record["within_tolerance"] is False
    assert [s["stage"] for s in record["stages"]] == ["fit", "evaluate", "explain", "charts"]
    assert [s["mode"] for s in record["stages"]] == ["full", "reduced", "reduced", "reduced"]
    assert record["stages"][0]["allotted_s"] > 100  # the fit had its share before the jump

    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["status"] == "completed"
    details = {s["name"]: s["detail"] for s in manifest["stages"]}
    assert details["evaluate"]["budget"]["notes"] == notes[:1]
    assert details["explain"]["budget"]["notes"] == notes[1:2]
    assert details["charts"]["budget"]["notes"] == notes[2:]
    for name in ("gold_holdout", "errors", "shap", "charts", "model", "report", "leaderboard"):
        assert Path(result.artifacts[name]).exists(), name
    silver = pl.read_parquet(result.artifacts["silver"])
    assert silver["x0"].null_count() == 300, "a training run's ETL leaves the fill to the model"
    etl = json.loads(Path(result.artifacts["etl_summary"]).read_text())
    assert etl["strategies"]["x0"] == "keep" and not etl["filled"]
    shap = json.loads(Path(result.artifacts["shap"]).read_text())
    errors = json.loads(Path(result.artifacts["errors"]).read_text())
    assert shap["rows"] == 10 and errors["sampled_rows"] == 1_000
    assert all(0 <= m["row"] < 1_200 for m in errors["most_confident_mistakes"])
    assert result.report["charts"]["png"] == []
    assert Path(result.report["charts"]["html"]).stat().st_size > 0
