"""``fas-ray run`` from a CSV to a registered model, and the commands around it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fas_ray.pipeline import STAGES
from fas_ray.registry import SQLiteRegistry
from tests.e2e.conftest import CliRun, cli

pytestmark = pytest.mark.slow


def _registry(run: CliRun) -> SQLiteRegistry:
    return SQLiteRegistry(run.root / "registry.sqlite", run.root / "models")


def test_breast_cancer_reaches_auc(breast_cancer_run: CliRun) -> None:
    report = breast_cancer_run.report
    assert report["task"]["subtype"] == "binary"
    assert report["holdout_metrics"]["roc_auc"] >= 0.98
    assert set(report["holdout_metrics"]) >= {
        "accuracy",
        "precision_weighted",
        "recall_weighted",
        "f1_weighted",
        "roc_auc",
    }
    assert len(report["shap_importance"]) == 20
    search = report["search"]
    told = sum(search["configs"][k] for k in ("complete", "pruned", "failed"))
    spread = search["configs_by_node"]  # one local node: every configuration ran on it
    assert len(spread) == 1 and sum(spread.values()) == told
    manifest = breast_cancer_run.manifest
    assert manifest["status"] == "completed"
    assert [s["name"] for s in manifest["stages"]] == list(STAGES)
    assert all(s["status"] == "completed" and s["seconds"] >= 0 for s in manifest["stages"])
    assert manifest["sha256"] and len(manifest["sha256"]) == 64
    for path in manifest["artifacts"].values():
        assert Path(path).exists(), path
    out = breast_cancer_run.stdout
    assert "Leaderboard" in out and "Holdout metrics" in out and "Artifacts" in out
    assert breast_cancer_run.model_id == f"{breast_cancer_run.run_id}_classification"


def test_diabetes_reaches_r2(diabetes_run: CliRun) -> None:
    report = diabetes_run.report
    assert report["task"]["subtype"] == "regression"
    assert report["holdout_metrics"]["r2"] >= 0.40
    assert set(report["holdout_metrics"]) == {"mse", "rmse", "mae", "r2"}
    assert report["metric"] == "neg_rmse"  # --metric rmse: the search minimised the RMSE
    assert all(row["score"] < 0 for row in report["leaderboard"])


@pytest.mark.parametrize("which", ["breast_cancer_run", "diabetes_run"])
def test_registry_model_reproduces_report_predictions(
    which: str, request: pytest.FixtureRequest
) -> None:
    run: CliRun = request.getfixturevalue(which)
    gold = pl.read_parquet(run.report["artifacts"]["gold_holdout"])
    model = _registry(run).load(run.model_id)
    inputs = gold.drop([c for c in gold.columns if c == "prediction" or c.startswith("proba_")])
    predicted = model.predict(inputs)
    if model.task.is_classification:
        assert predicted.tolist() == gold["prediction"].to_list()
        proba = model.predict_proba(inputs)
        for i, cls in enumerate(model.classes_):
            np.testing.assert_allclose(proba[:, i], gold[f"proba_{cls}"].to_numpy())
    else:
        np.testing.assert_allclose(predicted, gold["prediction"].to_numpy())
    info = _registry(run).info(run.model_id)
    assert info.run_id == run.run_id
    assert info.metrics == run.report["holdout_metrics"]


def test_predict_command_matches_registry(breast_cancer_run: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "pred.csv"
    proc = cli(
        "predict",
        "--model",
        breast_cancer_run.model_id,
        str(breast_cancer_run.csv),
        "--out",
        str(out),
        "--data-root",
        str(breast_cancer_run.root),
    )
    assert proc.returncode == 0, proc.stderr
    written = pl.read_csv(out)
    model = _registry(breast_cancer_run).load(breast_cancer_run.model_id)
    source = pl.read_csv(breast_cancer_run.csv)
    assert written["prediction"].to_list() == model.predict(source).tolist()
    np.testing.assert_allclose(written["proba_1"].to_numpy(), model.predict_proba(source)[:, 1])


def test_predict_names_every_bad_column_in_one_line(
    breast_cancer_run: CliRun, tmp_path: Path
) -> None:
    source = pl.read_csv(breast_cancer_run.csv).head(5)
    bad = source.drop("mean texture").with_columns(
        pl.col("mean radius").cast(pl.String).str.replace(r"^1", "about 1"),
        pl.lit(1).alias("extra column"),
    )
    bad.write_csv(tmp_path / "bad.csv")
    out = tmp_path / "pred.csv"
    proc = cli(
        "predict",
        "--model",
        breast_cancer_run.model_id,
        str(tmp_path / "bad.csv"),
        "--out",
        str(out),
        "--data-root",
        str(breast_cancer_run.root),
    )
    assert proc.returncode == 2 and not out.exists()
    message = proc.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for needle in ("mean_texture (missing", "mean radius (wrong_type", "extra column (unknown"):
        assert needle in message, message


def test_runs_and_models_list_the_run(breast_cancer_run: CliRun) -> None:
    runs = cli("runs", "--data-root", str(breast_cancer_run.root))
    models = cli("models", "--data-root", str(breast_cancer_run.root))
    assert runs.returncode == 0 and models.returncode == 0
    assert breast_cancer_run.run_id in runs.stdout and "completed" in runs.stdout
    assert breast_cancer_run.model_id in models.stdout
