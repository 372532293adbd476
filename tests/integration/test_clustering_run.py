"""Clustering without a target end to end (no Ray: small data is cleaned in process):
``AutoML(task="clustering")`` with save / load / predict, the pipeline run (labels in the gold
layer, the chart, the registry, the report with each cluster's profile) and the CLI's run and
predict."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import fas_ray
from fas_ray import AutoML
from fas_ray.cli import main
from fas_ray.clustering import ClusterModel
from fas_ray.config import RunSpec, Settings
from fas_ray.exceptions import ConfigError
from fas_ray.pipeline import registry_for, run_pipeline
from fas_ray.storage import DataRoot

pytestmark = pytest.mark.integration


def _customers(n: int = 300, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    X, y = make_blobs(n_samples=n, centers=3, n_features=2, cluster_std=0.7, random_state=seed)
    region = np.array(["north", "south", "east"])[y]
    return (
        pl.DataFrame({"Annual Spend": 100 * X[:, 0], "Visits": X[:, 1], "Region": region.tolist()}),
        y,
    )


def test_automl_clusters_saves_loads_and_predicts(tmp_path: Path) -> None:
    df, y = _customers()
    automl = AutoML(task="clustering", time_budget=None, seed=0).fit(df)
    assert automl.clusterer_ is not None and automl.task_ is not None
    assert automl.task_.kind == "clustering"
    labels = automl.predict(df)
    assert adjusted_rand_score(y, labels) > 0.9
    board = automl.leaderboard()
    assert board["chosen"][0] and board["k"][0] == 3
    again = fas_ray.load(automl.save(tmp_path / "clusters.fasray"))
    new, y_new = _customers(n=60, seed=0)
    assert np.array_equal(again.predict(new), automl.predict(new))
    assert again.leaderboard().equals(board)
    with pytest.raises(ConfigError, match="clusters: predict"):
        _ = automl.classes_
    with pytest.raises(ConfigError, match="takes no target"):
        AutoML(target="Visits", task="clustering")


def _csv(tmp_path: Path) -> Path:
    df, _ = _customers()
    path = tmp_path / "customers.csv"
    df.write_csv(path)
    return path


def test_a_clustering_run_writes_labels_chart_model_and_report(tmp_path: Path) -> None:
    spec = RunSpec(source=str(_csv(tmp_path)), task="clustering", chart_png=False)
    said: list[tuple[str, str]] = []
    result = run_pipeline(
        spec, Settings(data_root=tmp_path / "root"), progress=lambda s, m: said.append((s, m))
    )
    report = result.report
    assert report["task"]["kind"] == "clustering" and report["clustering"]["k"] == 3
    assert report["leaderboard"][0]["chosen"] and report["metrics"]["silhouette"] > 0.5
    clusters = report["clusters"]["clusters"]
    assert sum(c["size"] for c in clusters) == 300
    assert set(clusters[0]["means"]) == {"annual_spend", "visits"}
    assert clusters[0]["top_categories"]["region"][0]["share"] == 1.0
    gold = pl.read_parquet(result.artifacts["gold_clusters"])
    assert gold.height == 300 and gold["cluster"].n_unique() == 3
    assert {"annual_spend", "visits", "region", "cluster"} == set(gold.columns)
    html = Path(result.artifacts["charts"]).read_text()
    assert "3 clusters" in html and "PC 1" in html
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["status"] == "completed" and manifest["model_id"] == result.model_id
    assert [s["name"] for s in manifest["stages"]] == [
        "ingest",
        "etl",
        "profile",
        "cluster",
        "charts",
        "register",
        "report",
    ]
    registry = registry_for(DataRoot(tmp_path / "root"))
    info = registry.info(result.model_id)
    assert info.task == "clustering" and info.extra["k"] == 3 and info.target == ""
    model = registry.load(result.model_id)
    assert isinstance(model, ClusterModel)
    assert np.array_equal(model.predict(gold.drop("cluster")), gold["cluster"].to_numpy())
    assert any(stage == "cluster" and "3 clusters by" in m for stage, m in said)


def test_the_cli_clusters_and_predicts_clusters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _csv(tmp_path)
    root = str(tmp_path / "root")
    argv = ["run", str(csv), "--task", "clustering", "--time-budget", "60", "--no-chart-png"]
    assert main([*argv, "--data-root", root]) == 0
    printed = capsys.readouterr().out
    assert "Clusters (3 by" in printed and "cluster 0" in printed
    model_id = printed.strip().splitlines()[-1].split()[-1]
    out = tmp_path / "labels.csv"
    args = ["predict", "--model", model_id, str(csv), "--out", str(out), "--data-root", root]
    assert main(args) == 0
    assert pl.read_csv(out).columns == ["cluster"]
    assert main(["models", "--data-root", root]) == 0
    assert "silhouette" in capsys.readouterr().out
    # the run's charts, bundle and card hold the clusters; there is no SHAP to recompute
    run_id = model_id.removesuffix("_clustering")
    assert main(["charts", run_id, "--no-png", "--data-root", root]) == 0
    bundle = tmp_path / "bundle.zip"
    assert main(["export", run_id, "--out", str(bundle), "--data-root", root]) == 0
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        card = zf.read("MODEL_CARD.md").decode()
    assert {"gold/clusters.parquet", "model/model.pkl", "charts/charts.html"} <= names
    assert "## Clusters" in card and "| 0 |" in card and f"/models/{model_id}/predict" in card
    capsys.readouterr()
    assert main(["explain", run_id, "--data-root", root]) == 2
    assert "is a clustering: it has no SHAP values" in capsys.readouterr().err
    # a run that is not a clustering still needs a target, and says so in one line
    assert main(["run", str(csv), "--data-root", root]) == 2
    err = capsys.readouterr().err
    assert "a target is needed" in err and err.count("\n") == 1
    assert main([*argv, "--target", "Visits", "--data-root", root]) == 2
    assert "clustering takes no target" in capsys.readouterr().err
