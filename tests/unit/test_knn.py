"""The k-NN learner: the rows its models keep, raw or scaled features, few training rows,
smoothed votes, and explanations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import Pipeline

from fas_ray.explain import explain_within
from fas_ray.ml import TaskInfo, cross_val_score, get_learner, make_folds, portfolio
from fas_ray.ml.learners._knn_models import (
    SMOOTHING,
    CappedKNNClassifier,
    CappedKNNRegressor,
    capped_rows,
)

MULTICLASS = TaskInfo("classification", "multiclass", "y", [0, 1, 2])


def test_capped_rows_keeps_all_rows_up_to_the_cap() -> None:
    np.testing.assert_array_equal(capped_rows(np.zeros(30), 30, 0, by_class=True), np.arange(30))


def test_capped_rows_samples_and_gives_a_missed_class_its_rows_back() -> None:
    y = np.array([0] * 990 + [1] * 8 + [2] * 2)
    rows = capped_rows(y, 100, 0, by_class=True)
    assert np.all(np.diff(rows) > 0), "sorted, no repeats"
    assert set(y[rows]) == {0, 1, 2}, "every class keeps rows"
    assert 100 <= len(rows) <= 110
    np.testing.assert_array_equal(rows, capped_rows(y, 100, 0, by_class=True))
    assert not np.array_equal(rows, capped_rows(y, 100, 1, by_class=True)), "seeded"
    assert len(capped_rows(y, 100, 0, by_class=False)) == 100


def test_models_keep_at_most_max_rows_and_predict_every_class() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = np.array([0] * 497 + [1, 2, 2])
    model = CappedKNNClassifier(5, max_rows=50).fit(X, y)
    assert model.n_samples_fit_ <= 53
    assert model.predict_proba(X[:4]).shape == (4, 3)
    regressor = CappedKNNRegressor(5, max_rows=50).fit(X, X[:, 0])
    assert regressor.n_samples_fit_ == 50


def test_more_neighbours_than_rows_still_fit_and_predict() -> None:
    X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0, 1, 1])
    model = CappedKNNClassifier(10).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_scale_switches_the_encoding_and_scaling_on_and_off() -> None:
    learner = get_learner("knn")
    params = learner.default_params(MULTICLASS)
    scaled = learner.make_estimator({**params, "scale": True}, MULTICLASS, 0, categorical=[0])
    raw = learner.make_estimator({**params, "scale": False}, MULTICLASS, 0, categorical=[0])
    assert isinstance(scaled, Pipeline) and "encode" in scaled.named_steps
    assert isinstance(raw, CappedKNNClassifier)


def test_the_portfolio_holds_neighbours_on_raw_and_on_scaled_features() -> None:
    configs = [c for c in portfolio(["lightgbm", "knn"], MULTICLASS) if c["learner"] == "knn"]
    assert sorted(c["knn.scale"] for c in configs) == [False, True]


@pytest.mark.parametrize(("scale", "floor"), [(False, 0.97), (True, 0.94)])
def test_neighbours_read_pixels_best_unscaled(scale: bool, floor: float) -> None:
    X, y = load_digits(return_X_y=True)
    task = TaskInfo("classification", "multiclass", "y", list(range(10)))
    params = {**get_learner("knn").default_params(task), "n_neighbors": 5, "scale": scale}
    folds = make_folds(task, y, 3, seed=0)
    result = cross_val_score("knn", params, X, y, task, folds, seed=0, metric="accuracy")
    assert result.mean >= floor, result.mean


def test_unanimous_votes_are_not_certainty_and_keep_their_order() -> None:
    X, y = np.array([[0.0], [0.1], [5.0], [5.1], [9.0], [9.1]]), np.array([0, 0, 1, 1, 2, 2])
    model = CappedKNNClassifier(2).fit(X, y)
    proba = model.predict_proba(np.array([[0.05], [9.05]]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba.max() == pytest.approx(1 - SMOOTHING + SMOOTHING / 3)
    assert proba.min() == pytest.approx(SMOOTHING / 3)
    np.testing.assert_array_equal(proba.argmax(axis=1), model.predict(np.array([[0.05], [9.05]])))


def test_a_neighbours_model_is_explained_as_one_model() -> None:
    """k-NN has a ``weights`` parameter; it must not be taken for fas-ray's weighted ensemble
    (a run whose model was k-NN failed in its explain stage)."""
    X, y = load_digits(return_X_y=True)
    learner = get_learner("knn")
    task = TaskInfo("classification", "multiclass", "y", list(range(10)))
    params = {**learner.default_params(task), "scale": False}  # the bare k-NN model
    est = learner.make_estimator(params, task, 0).fit(X[:300], y[:300])
    names = [f"p{i}" for i in range(X.shape[1])]
    sized = explain_within(est, X[300:310], names, background=X[:20], seconds=None)
    assert sized.explanation.values.shape[0] == 10
