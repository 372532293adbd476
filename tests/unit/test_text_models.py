"""Text columns: why the capped TF-IDF features lose a sentiment signal, and the text models
whose out-of-fold predictions replace them when there is a target."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from fas_ray.exceptions import InputError
from fas_ray.features import FeatureBuilder
from fas_ray.text import TextTarget


def _random_words(rng: np.random.Generator, n: int, length: int = 7) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, length)) for _ in range(n)]


def sentiment_frame(n: int = 600, seed: int = 0, noise: float = 0.1) -> pl.DataFrame:
    """Reviews whose label shows only in rare words: each review has 25 words from 120 common
    ones (no signal) and 3 from its class's 80 "sentiment" words (each in about 1 % of
    the reviews, far rarer than the common words, as real opinion words are); ``noise`` of
    the labels are flipped."""
    rng = np.random.default_rng(seed)
    common = _random_words(rng, 120, 4)
    polar = {0: _random_words(rng, 80), 1: _random_words(rng, 80)}
    weights = 1.0 / np.arange(1, 121)
    weights /= weights.sum()
    labels = rng.integers(0, 2, n)
    reviews = []
    for label in labels:
        words = list(rng.choice(common, 25, p=weights)) + list(rng.choice(polar[int(label)], 3))
        rng.shuffle(words)
        reviews.append(" ".join(words))
    flipped = rng.random(n) < noise
    return pl.DataFrame({"review": reviews, "label": np.where(flipped, 1 - labels, labels)})


def test_capped_tfidf_keeps_the_frequent_words_and_loses_the_signal() -> None:
    """The cause of issue 15's weak text score: without a target, a text column becomes at
    most ``MAX_TERMS_PER_COLUMN`` dense TF-IDF columns, the most *frequent* terms; opinion
    words are rare, so none of them is kept, and no learner can find the label in what is."""
    from fas_ray.features._text import MAX_TERMS_PER_COLUMN

    df = sentiment_frame()
    y = df["label"].to_numpy()
    builder = FeatureBuilder(target="label").fit(df)
    X = builder.transform(df)
    assert X.shape[1] == MAX_TERMS_PER_COLUMN
    capped = cross_val_predict(LogisticRegression(C=4.0), X, y, cv=5, method="predict_proba")
    assert roc_auc_score(y, capped[:, 1]) < 0.62, "the 100 frequent terms carry no signal"

    from sklearn.feature_extraction.text import TfidfVectorizer

    full = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X_full = full.fit_transform(df["review"].to_list())
    whole = cross_val_predict(LogisticRegression(C=4.0), X_full, y, cv=5, method="predict_proba")
    assert roc_auc_score(y, whole[:, 1]) > 0.8, "the whole vocabulary carries it"


# -- text models: fitted with a target, stacked as out-of-fold predictions ---------------------


def _fit(df: pl.DataFrame, n_classes: int = 2, **target: object) -> tuple[FeatureBuilder, Any]:
    y = df["label"].to_numpy()
    builder = FeatureBuilder(target="label")
    X = builder.fit_transform(df, text=TextTarget(y, n_classes, **target))  # type: ignore[arg-type]
    return builder, X


def test_text_model_finds_what_the_cap_lost() -> None:
    df = sentiment_frame()
    y = df["label"].to_numpy()
    builder, X = _fit(df)
    assert builder.feature_names == ["review__text__p1"]
    assert X.shape == (df.height, 1) and not np.isnan(X).any()
    assert roc_auc_score(y, X[:, 0]) > 0.8, "out-of-fold, so an honest estimate"
    (model,) = builder.text_models()
    summary = model.summary()
    assert summary["winner"] == model.winner and summary["blend_score"] > 0.8
    assert {c["name"] for c in summary["candidates"]} == {
        "word_lr",
        "nbsvm",
        "nbsvm_wc",
        "char_lr",
        "sgd",
    }
    assert sum(c["weight"] for c in summary["candidates"]) == pytest.approx(1.0)
    top = summary["top_terms"]
    assert len(top["class 1"]) == 10 and len(top["class 0"]) == 10
    words = [set(r.split()) for r in df["review"].to_list()]
    for label in (0, 1):  # each list's words point to its class
        for term in top[f"class {label}"][:5]:
            has = np.array([term in w for w in words])
            assert has[y == label].mean() > has[y != label].mean(), term


def test_training_rows_never_see_a_model_fitted_on_their_own_target() -> None:
    """Labels that are pure noise: the model refitted on every row memorises them (what a
    training row would see if its text feature came from ``transform``), while the stacked
    out-of-fold column shows the truth: nothing to learn."""
    df = sentiment_frame(noise=0.0).with_columns(
        label=pl.Series(np.random.default_rng(1).integers(0, 2, 600))
    )
    y = df["label"].to_numpy()
    builder, X = _fit(df)
    assert abs(roc_auc_score(y, X[:, 0]) - 0.5) < 0.1
    assert roc_auc_score(y, builder.transform(df)[:, 0]) > 0.9, "the refit memorises"


def test_multiclass_and_regression_outputs() -> None:
    df = sentiment_frame(n=450)
    three = df.with_columns(label=pl.Series(np.arange(450) % 3)).with_columns(
        review=pl.col("review") + pl.format(" tag{}", pl.col("label"))
    )
    builder, X = _fit(three, 3)
    assert builder.feature_names == [f"review__text__p{i}" for i in range(3)]
    np.testing.assert_allclose(X.sum(axis=1), 1.0, atol=1e-6)
    assert (X.argmax(axis=1) == three["label"].to_numpy()).mean() > 0.9
    numbers = df.with_columns(label=pl.col("label").cast(pl.Float64) * 10.0)
    builder, X = _fit(numbers, 0)
    assert builder.feature_names == ["review__text__value"]
    names = {c["name"] for c in builder.text_models()[0].summary()["candidates"]}
    assert names == {"word_ridge", "sgd", "char_ridge"}
    new = builder.transform({"review": [None, "words never seen"]})
    assert new.shape == (2, 1) and np.isfinite(new).all()


def test_text_and_other_columns_stack_together_and_survive_pickling() -> None:
    import pickle

    df = sentiment_frame(n=300).with_columns(
        shop=pl.Series(["north", "south", "east"] * 100), amount=pl.Series(np.arange(300.0))
    )
    builder, X = _fit(df)
    assert builder.feature_names == ["review__text__p1", "shop", "amount"]
    loaded = pickle.loads(pickle.dumps(builder))
    np.testing.assert_array_equal(loaded.transform(df), builder.transform(df))
    assert X[:, 1:].tolist() == builder.transform(df)[:, 1:].tolist(), "other columns as before"


def test_time_limit_keeps_the_first_candidate_and_says_why_others_were_skipped() -> None:
    builder, _ = _fit(sentiment_frame(n=300), time_limit=0.0)
    candidates = builder.text_models()[0].summary()["candidates"]
    assert candidates[0]["name"] == "word_lr" and candidates[0]["weight"] == 1.0
    assert all("time left" in (c["skipped"] or "") for c in candidates[1:])


def test_rows_in_no_validation_fold_are_filled_per_fold() -> None:
    df = sentiment_frame(n=300)
    y = df["label"].to_numpy()
    rows = np.arange(300)
    folds = [(rows[:100], rows[100:200]), (rows[:200], rows[200:])]  # time-ordered
    builder = FeatureBuilder(target="label")
    X = builder.fit_transform(df, fill=False, text=TextTarget(y, 2, folds=folds))
    assert np.isnan(X[:100, 0]).all() and not np.isnan(X[100:, 0]).any()
    assert 0 in builder.fold_fill().medians
    filled = FeatureBuilder(target="label").fit_transform(df, text=TextTarget(y, 2, folds=folds))
    assert not np.isnan(filled).any()


def test_a_text_target_of_the_wrong_length_is_refused() -> None:
    df = sentiment_frame(n=100)
    with pytest.raises(InputError, match="text target has 99 rows but the frame has 100"):
        FeatureBuilder(target="label").fit_transform(df, text=TextTarget(np.zeros(99), 2))


def test_automl_stacks_text_with_other_columns_and_reports_the_text_model() -> None:
    """A mixed frame: the label follows the review's words or, for some rows, a number; the
    refit reuses the search's out-of-fold text column, and new rows get the refitted text
    model's predictions."""
    from fas_ray import AutoML

    df = sentiment_frame(n=500, noise=0.0, seed=3)
    amount = np.random.default_rng(4).normal(size=500)
    by_amount = np.arange(500) % 4 == 0
    label = np.where(by_amount, (amount > 0).astype(np.int64), df["label"].to_numpy())
    df = df.with_columns(amount=pl.Series(amount), label=pl.Series(label))
    train, test = df.head(400), df.tail(100)
    automl = AutoML(  # the encoder's candidate has its own tests (test_text_encoder.py)
        target="label",
        max_trials=4,
        use_ray=False,
        learners=("lightgbm", "linear"),
        seed=0,
        text_encoder="off",
    ).fit(train)
    assert automl.model.features.feature_names == ["review__text__p1", "amount"]
    board = automl.text_leaderboard()
    assert set(board["name"]) == {"word_lr", "nbsvm", "nbsvm_wc", "char_lr", "sgd"}
    assert board["weight"].sum() == pytest.approx(1.0) and board["winner"][0]
    assert set(automl.text_[0]["top_terms"]) == {"0", "1"}, "named by the class labels"
    proba = automl.predict_proba(test)[:, 1]
    assert roc_auc_score(test["label"].to_numpy(), proba) > 0.85
