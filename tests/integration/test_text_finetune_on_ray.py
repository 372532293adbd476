"""Transformer fine-tuning as Ray Tune trials: skipped with a note on a cluster without a
GPU; forced onto the CPU (a tiny BERT, a few steps) it runs the GPU trials' code path end to
end, from AutoML's text candidates to predictions on new rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fas_ray import AutoML
from fas_ray.distributed.finetune import NO_GPU, finetune_text
from fas_ray.text import FinetuneOptions, build_tiny_model
from tests.unit.test_text_encoder import _NEGATIVE, _POSITIVE, opinions

pytestmark = pytest.mark.integration


def test_a_cluster_without_a_gpu_skips_fine_tuning_and_says_why(ray_local: None) -> None:
    df = opinions(_POSITIVE, _NEGATIVE, seed=0)
    y = df["label"].to_numpy()
    rows = np.arange(df.height)
    folds = [(rows[rows % 2 == 0], rows[rows % 2 == 1]), (rows[rows % 2 == 1], rows[rows % 2 == 0])]
    outcome = finetune_text(
        df["review"].to_list(), y, 2, folds, 0, options=FinetuneOptions(), time_limit=30.0
    )
    assert outcome == NO_GPU


def test_fine_tuning_trials_forced_on_the_cpu_feed_the_text_model(
    ray_local: None, tmp_path: Path
) -> None:
    df = opinions(_POSITIVE, _NEGATIVE, seed=0)
    tiny = build_tiny_model(df["review"].to_list(), tmp_path / "tiny")
    options = FinetuneOptions(force_cpu=True, trials=2, max_steps=3, batch_size=16)
    automl = AutoML(
        target="label",
        time_budget=None,  # trial counts bound it, not the clock
        max_trials=2,
        learners=("linear",),
        cv_folds=2,
        text_encoder="off",
        text_model=tiny,
        text_finetune=options,
    ).fit(df)
    board = automl.text_leaderboard()
    row = board.filter(board["name"] == "finetuned")
    assert row.height == 1 and row["skipped"][0] is None and row["score"][0] is not None
    finetuned = automl.text_[0]["finetuned"]
    assert finetuned["trials"] == 2 and finetuned["device"] == "cpu"
    assert set(finetuned["config"]) == {"learning_rate", "epochs", "max_length"}
    proba = automl.predict_proba(opinions(("superb",), ("awful",), seed=1))
    assert proba.shape == (2 * 6, 2) and np.isfinite(proba).all()
