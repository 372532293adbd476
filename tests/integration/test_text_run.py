"""A training run on a frame with a free-text column: the ETL types it as text, the model
stacks its text model's out-of-fold predictions, and the report names the text model."""

from __future__ import annotations

from pathlib import Path

import pytest
import ray

from fas_ray.config import RunSpec, Settings
from fas_ray.distributed.finetune import NO_GPU
from fas_ray.pipeline import run_pipeline
from tests.unit.test_text_models import sentiment_frame

pytestmark = pytest.mark.integration


def test_a_run_reports_its_text_model(ray_local: None, tmp_path: Path) -> None:
    csv = tmp_path / "reviews.csv"
    sentiment_frame(n=500, seed=5).write_csv(csv)
    spec = RunSpec(source=str(csv), target="label", max_trials=2, learners=("linear",))
    result = run_pipeline(spec, Settings(data_root=tmp_path / "root"))

    report = result.report
    assert report["features"]["used"] == ["review__text__p1"]
    (text,) = report["text_models"]
    assert text["column"] == "review" and text["winner"]
    assert {c["name"] for c in text["candidates"]} >= {"word_lr", "nbsvm"}
    assert set(text["top_terms"]) == {"0", "1"}
    if not ray.cluster_resources().get("GPU"):  # the report says why nothing was fine-tuned
        finetuned = {c["name"]: c for c in text["candidates"]}["finetuned"]
        assert finetuned["skipped"] == NO_GPU and finetuned["score"] is None
    assert report["holdout_metrics"]["roc_auc"] > 0.8
