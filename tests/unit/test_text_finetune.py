"""Transformer fine-tuning's code path on the CPU, with a tiny BERT built from a config and a
WordPiece vocabulary learnt from the training texts (nothing downloaded): what a GPU trial
runs, a few steps long."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fas_ray.exceptions import ConfigError
from fas_ray.text import FinetuneConfig, build_tiny_model, finetune
from fas_ray.text._finetune import resolve_text_model
from tests.unit.test_text_encoder import _NEGATIVE, _POSITIVE, opinions


def test_a_tiny_transformer_fine_tunes_on_the_cpu(tmp_path: Path) -> None:
    df = opinions(_POSITIVE, _NEGATIVE, seed=0)
    docs, y = df["review"].to_list(), df["label"].to_numpy()
    path = build_tiny_model(docs, tmp_path / "tiny")
    assert (path / "config.json").is_file() and (path / "tokenizer.json").is_file()
    config = FinetuneConfig(learning_rate=1e-3, epochs=1, max_length=16, batch_size=16)
    model = finetune(path, docs, y, 2, config, seed=0, force_cpu=True)
    proba = model.predict_proba(docs + [None])  # type: ignore[list-item]
    assert proba.shape == (len(docs) + 1, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    again = finetune(path, docs, y, 2, config, seed=0, force_cpu=True).predict_proba(docs)
    np.testing.assert_allclose(again, proba[:-1], atol=1e-5)  # seeded: the same model

    values = finetune(path, docs, y * 10.0, 0, FinetuneConfig(max_steps=2), force_cpu=True)
    assert values.predict(docs[:5]).shape == (5,)


def test_a_text_model_must_be_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a model directory") as err:
        resolve_text_model(tmp_path / "nowhere")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="learning_rate"):
        FinetuneConfig(learning_rate=2.0)
    assert resolve_text_model(None).name == "model", "default: the packaged encoder"

    from fas_ray import AutoML

    automl = AutoML(target="label", max_trials=1, text_model=tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="not a model directory"):  # before any Ray starts
        automl.fit(opinions(_POSITIVE, _NEGATIVE, seed=0))
