"""The Tune + Optuna search on the shared local Ray."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_breast_cancer

from fas_ray.distributed import run_search
from fas_ray.features import FeatureBuilder
from fas_ray.ml import detect_task, make_folds
from fas_ray.ml._model import encode_target

pytestmark = pytest.mark.integration


def test_search_finishes_requested_trials(ray_local: None, tmp_path: Path) -> None:
    df = pl.from_pandas(load_breast_cancer(as_frame=True).frame)
    task = detect_task(df["target"], "target")
    builder = FeatureBuilder(target="target").fit(df)
    X, y = builder.transform(df), encode_target(task, df["target"])
    folds = make_folds(task, y, 3, seed=0)

    result = run_search(
        X,
        y,
        task,
        folds,
        metric="roc_auc",
        learners=("lightgbm", "linear"),
        seed=0,
        time_budget_s=120,
        max_trials=6,
        storage_path=tmp_path / "tune",
    )

    assert len(result.trials) == 6
    assert result.errors == []
    scores = [t.score for t in result.trials]
    assert scores == sorted(scores, reverse=True)
    assert {t.learner for t in result.trials} <= {"lightgbm", "linear"}
    assert 0.95 < result.best.score <= 1.0
    assert np.isfinite([t.score_std for t in result.trials]).all()
