"""Text columns: why the capped TF-IDF features lose a sentiment signal, and the text models
whose out-of-fold predictions replace them when there is a target."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from fas_ray.features import FeatureBuilder


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
