"""The charts of a run: which figures each task gets, built from the run's data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.datasets import load_breast_cancer, load_diabetes

from fas_ray.charts import run_figures, write_figures
from fas_ray.explain import explain_matrix
from fas_ray.ml import TaskInfo, get_learner


def _shap(X: np.ndarray, y: np.ndarray, names: list[str], task: TaskInfo) -> dict:
    est = get_learner("lightgbm").make_estimator({"n_estimators": 20}, task, seed=0).fit(X, y)
    classes = list(task.classes) if task.is_classification else None
    return explain_matrix(est, X[:50], names, classes=classes).to_json(top=10)


def test_a_classification_run_gets_data_and_model_charts(tmp_path: Path) -> None:
    data = load_breast_cancer(as_frame=True)
    silver = pl.from_pandas(data.frame)
    names = [c for c in silver.columns if c != "target"]
    task = TaskInfo("classification", "binary", "target", [0, 1])
    shap = _shap(data.data.to_numpy(), data.target.to_numpy(), names, task)
    rng = np.random.default_rng(0)
    gold = (
        silver.head(100)
        .with_columns(
            pl.Series("prediction", silver["target"].head(100)),
            pl.Series("proba_1", rng.uniform(size=100)),
        )
        .with_columns((1 - pl.col("proba_1")).alias("proba_0"))
    )
    trials = [
        {
            "number": i,
            "score": s,
            "learner": "lightgbm" if i % 2 else "xgboost",
            "state": "complete",
        }
        for i, s in enumerate([0.9, 0.95, 0.93, 0.97])
    ]
    figs, notes = run_figures(
        silver=silver,
        target="target",
        classes=[0, 1],
        gold=gold,
        shap=shap,
        trials=trials,
        higher_is_better=True,
    )
    assert notes == []
    expected = {"distribution_target", "correlation", "scatter_matrix", "box_plots", "roc"}
    expected |= {"precision_recall", "calibration", "feature_importance", "shap_summary"}
    assert expected | {"search_history"} <= set(figs)
    # the most important SHAP feature gets its distribution chart
    assert f"distribution_{shap['importance'][0]['feature']}" in figs
    written = write_figures(figs, tmp_path / "charts", title="run x", png=False)
    page = Path(written["html"]).read_text()
    assert page.count('class="plotly-graph-div"') == len(figs)
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page)
    assert written["png"] == {}


def test_a_regression_run_gets_residual_charts_and_notes_for_misfits() -> None:
    data = load_diabetes(as_frame=True)
    silver = pl.from_pandas(data.frame).select("bmi", "s5", "target")
    task = TaskInfo("regression", "regression", "target")
    shap = _shap(
        silver.select("bmi", "s5").to_numpy(), silver["target"].to_numpy(), ["bmi", "s5"], task
    )
    gold = silver.head(80).with_columns((pl.col("target") * 0.9).alias("prediction"))
    figs, notes = run_figures(
        silver=silver.select("bmi", "target"),  # one input: no correlation pair, a note
        target="target",
        classes=None,
        gold=gold,
        shap=shap,
        trials=[],
        higher_is_better=True,
    )
    assert {"predicted_vs_actual", "residuals", "shap_summary"} <= set(figs)
    assert "roc" not in figs and "search_history" not in figs
    assert [n.split(":")[0] for n in notes] == ["scatter_matrix"]  # one numeric input
    assert "2 numeric columns" in notes[0]
