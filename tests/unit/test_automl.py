"""The Python API, searching in this process (the Ray Tune search is tested in integration)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_classification

import fas_ray
from fas_ray import AutoML, ConfigError, InputError


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def test_fit_predict_proba_leaderboard_save_load(cancer: pd.DataFrame, tmp_path: Path) -> None:
    automl = AutoML(max_trials=6, time_budget=None, use_ray=False, learners=["lightgbm", "linear"])
    assert automl.fit(cancer) is automl  # target found by name: "target"
    assert automl.task_ is not None and automl.task_.subtype == "binary"
    assert automl.classes_ == [0, 1]
    proba = automl.predict_proba(cancer.head(20))
    assert proba.shape == (20, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = automl.predict(cancer.head(20))
    assert set(pred.tolist()) <= {0, 1}
    board = automl.leaderboard()
    assert board.columns[:3] == ["rank", "trial_id", "learner"]
    assert board["score"].to_list() == sorted(board["score"].to_list(), reverse=True)
    assert set(board["learner"]) <= {"lightgbm", "linear"}
    path = automl.save(tmp_path / "model.fasray")
    again = fas_ray.load(path)
    np.testing.assert_array_equal(again.predict_proba(cancer), automl.predict_proba(cancer))
    assert again.leaderboard().equals(board)


def test_trial_budget_is_deterministic(cancer: pd.DataFrame) -> None:
    def run() -> tuple[pl.DataFrame, np.ndarray]:
        automl = AutoML(
            "target",
            max_trials=6,
            time_budget=None,
            seed=4,
            use_ray=False,
            learners=["lightgbm", "linear"],
        )
        automl.fit(pl.from_pandas(cancer))
        return automl.leaderboard().drop("seconds"), automl.predict_proba(cancer)

    (board_a, proba_a), (board_b, proba_b) = run(), run()
    assert board_a.equals(board_b)
    np.testing.assert_array_equal(proba_a, proba_b)


def test_time_budget_covers_the_whole_fit(cancer: pd.DataFrame) -> None:
    start = time.perf_counter()
    automl = AutoML("target", time_budget=6, use_ray=False).fit(cancer)
    elapsed = time.perf_counter() - start
    assert elapsed < 6 * 1.1 + 3, elapsed  # generous slack here; bench/automl.py measures it
    assert automl.fit_seconds_ <= elapsed
    assert len(automl.leaderboard()) >= 1


def test_regression_and_multiclass() -> None:
    diabetes = load_diabetes(as_frame=True).frame
    reg = AutoML("target", max_trials=4, time_budget=None, use_ray=False).fit(diabetes)
    assert reg.task_ is not None and reg.task_.kind == "regression"
    assert reg.predict(diabetes).dtype == np.float64
    with pytest.raises(TypeError):
        reg.predict_proba(diabetes)
    iris = load_iris(as_frame=True).frame
    iris["target"] = iris["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    clf = AutoML(max_trials=4, time_budget=None, use_ray=False).fit(iris)
    assert clf.classes_ == ["setosa", "versicolor", "virginica"]
    assert set(clf.predict(iris)) <= set(clf.classes_)


def _synthetic(seed: int) -> pl.DataFrame:
    X, y = make_classification(
        n_samples=400, n_features=20, n_informative=6, flip_y=0.08, random_state=seed
    )
    frame = pl.DataFrame({f"f{i}": X[:, i] for i in range(X.shape[1])})
    return frame.with_columns(pl.Series("target", y))


def _fit_small(frame: pl.DataFrame, **kwargs: object) -> AutoML:
    return AutoML(
        "target",
        max_trials=12,
        time_budget=None,
        seed=1,
        use_ray=False,
        learners=["lightgbm", "linear"],
        **kwargs,  # type: ignore[arg-type]
    ).fit(frame)


def test_ensemble_is_chosen_when_it_beats_the_best_single_model() -> None:
    automl = _fit_small(_synthetic(1))  # here boosting and a linear model complement each other
    info = automl.ensemble_
    assert info["kind"] == "ensemble" and automl.model.is_ensemble
    assert len(info["members"]) >= 2
    assert info["cv_score"] > info["best_single"]
    assert sum(m["weight"] for m in info["members"]) == pytest.approx(1.0)
    assert automl.predict_proba(_synthetic(1)).shape == (400, 2)

    separable = _synthetic(3).with_columns((pl.col("f0") > 0).cast(pl.Int64).alias("target"))
    kept_single = _fit_small(separable)  # every model ranks perfectly: nothing to gain
    assert kept_single.ensemble_["kind"] == "single"
    assert kept_single.ensemble_["ensemble_cv_score"] <= kept_single.ensemble_["best_single"] + 1e-4
    assert not kept_single.model.is_ensemble
    assert _fit_small(_synthetic(1), ensemble=False).ensemble_["kind"] == "single"


def test_bad_arguments_and_files(cancer: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="time_budget or max_trials"):
        AutoML(time_budget=None)
    with pytest.raises(ConfigError, match="Unknown learner 'svm'"):
        AutoML(learners=["svm"])
    with pytest.raises(ConfigError, match="not fitted"):
        AutoML().predict(cancer)
    with pytest.raises(InputError, match="empty"):
        AutoML(use_ray=False).fit(pl.DataFrame())
    with pytest.raises(InputError, match="nope"):
        AutoML("nope", use_ray=False, max_trials=1).fit(cancer)
    garbage = tmp_path / "x.fasray"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(InputError, match="not a saved fas-ray AutoML"):
        fas_ray.load(garbage)
    with pytest.raises(InputError, match="does not exist"):
        fas_ray.load(tmp_path / "missing.fasray")


def test_time_series_folds_follow_time_and_skip_oof_ensembles() -> None:
    from datetime import datetime, timedelta

    n = 300
    rng = np.random.default_rng(0)
    when = [datetime(2024, 1, 1) + timedelta(days=int(d)) for d in rng.permutation(n)]
    x = rng.normal(size=n)
    frame = pl.DataFrame({"when": when, "x": x, "target": 2 * x + 0.1 * rng.normal(size=n)})
    stages: dict[str, dict] = {}

    class _Rec:
        detail: dict = {}

    import contextlib

    @contextlib.contextmanager
    def stage(name: str):  # type: ignore[no-untyped-def]
        rec = _Rec()
        yield rec
        stages[name] = rec.detail

    automl = AutoML("target", max_trials=6, time_budget=None, use_ray=False, learners=["linear"])
    automl.fit(frame, stage=stage)
    assert automl.task_ is not None and automl.task_.family == "time_series"
    assert stages["features"]["time_order"] == "when"
    assert automl.ensemble_["kind"] == "single" and stages["refit"]["calibrated"] is None
    assert np.corrcoef(automl.predict(frame), frame["target"].to_numpy())[0, 1] > 0.9


def test_capitalised_target_is_not_a_feature_nor_needed_to_predict(cancer: pd.DataFrame) -> None:
    frame = cancer.rename(columns={"target": "Purchase", "mean radius": "Mean Radius"})
    automl = AutoML("Purchase", max_trials=2, time_budget=None, use_ray=False)
    automl.fit(frame)
    builder = automl.model.features
    assert builder.target == "purchase"
    assert "purchase" not in builder.input_columns and "mean_radius" in builder.input_columns
    rows = frame.drop(columns=["Purchase"]).head(5)
    assert automl.predict_proba(rows).shape == (5, 2)
    assert automl.predict(rows).tolist() == automl.predict(frame.head(5)).tolist()


def test_metric_is_the_search_objective_and_losses_are_negated() -> None:
    iris = load_iris(as_frame=True).frame
    default = AutoML(max_trials=3, time_budget=None, use_ray=False).fit(iris)
    assert default.search_ is not None and default.search_.metric == "neg_log_loss"
    assert all(t.score < 0 for t in default.search_.trials)  # minus a log-loss
    diabetes = load_diabetes(as_frame=True).frame
    rmse = AutoML(max_trials=3, time_budget=None, use_ray=False, metric="rmse").fit(diabetes)
    assert rmse.search_ is not None and rmse.search_.metric == "neg_rmse"
    board = rmse.leaderboard()
    assert board["score"].to_list() == sorted(board["score"].to_list(), reverse=True)
    assert board["score"][0] == rmse.search_.best.score < 0  # minus an RMSE
    acc = AutoML(max_trials=2, time_budget=None, use_ray=False, metric="accuracy").fit(iris)
    assert acc.search_ is not None and acc.search_.metric == "accuracy"
    assert 0.5 < acc.search_.best.score <= 1.0
    with pytest.raises(ConfigError, match="'rmse' does not fit a multiclass task"):
        AutoML(max_trials=1, time_budget=None, use_ray=False, metric="rmse").fit(iris)
    with pytest.raises(ConfigError, match="'roc_auc' does not fit a multiclass task"):
        AutoML(max_trials=1, time_budget=None, use_ray=False, metric="roc_auc").fit(iris)


def test_boosting_refits_with_the_early_stopped_rounds() -> None:
    automl = AutoML(
        "target", max_trials=4, time_budget=None, seed=1, use_ray=False, learners=["lightgbm"]
    ).fit(_synthetic(1))
    assert automl.search_ is not None
    first = automl.search_.trials[0]
    # the portfolio's LightGBM caps rounds at 2,000; early stopping keeps far fewer
    assert all(t.params["n_estimators"] < 2000 for t in automl.search_.trials)
    assert first.params["n_estimators"] >= 1


def test_multiclass_probabilities_sum_to_one_after_calibration() -> None:
    iris = load_iris(as_frame=True).frame
    automl = AutoML(max_trials=4, time_budget=None, use_ray=False).fit(iris)
    proba = automl.predict_proba(iris)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_bagging_keeps_one_model_per_fold_as_in_the_search(cancer: pd.DataFrame) -> None:
    automl = AutoML(
        "target",
        max_trials=3,
        time_budget=None,
        use_ray=False,
        learners=["linear"],
        bagging=True,
        ensemble=False,
        cv_folds=4,
    ).fit(cancer)
    model = automl.model
    assert automl.ensemble_["bagged"] is True
    assert model.learner == "linear" and model.params["bagged_folds"] == 4
    assert model.is_ensemble and len(model.estimator.estimators) == 4
    assert model.estimator.weights == pytest.approx([0.25] * 4)
    # the fold models are the search's: their validation predictions are the best OOF
    assert automl.search_ is not None
    best = automl.search_.oof[automl.search_.best.number]
    X = model.features.transform(cancer)
    from fas_ray.ml import make_folds
    from fas_ray.ml._model import encode_target

    y = encode_target(automl.task_, pl.from_pandas(cancer)["target"])  # type: ignore[arg-type]
    folds = make_folds(automl.task_, y, 4, seed=0)  # type: ignore[arg-type]
    for est, (_, valid) in zip(model.estimator.estimators, folds, strict=True):
        np.testing.assert_allclose(est.predict_proba(X[valid]), best[valid], atol=1e-8)
    proba = automl.predict_proba(cancer.head(10))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_budget_too_short_for_any_configuration_still_gives_a_model(
    cancer: pd.DataFrame,
) -> None:
    automl = AutoML("target", time_budget=0.01, use_ray=False, learners=["random_forest"])
    automl.fit(cancer)  # the search gets its 1 s floor: 300-tree forests cannot finish 5 folds
    assert automl.search_ is not None and len(automl.search_.trials) == 1
    assert any("past the budget" in e for e in automl.search_.errors)
    assert automl.predict_proba(cancer.head(3)).shape == (3, 2)


def test_category_columns_reach_lightgbm_as_categories(tmp_path: Path) -> None:
    """A text column whose classes are not ordered like their names: the refitted LightGBM
    takes it as categories, predicts rows with an unseen category, and survives saving."""
    rng = np.random.default_rng(0)
    shops = np.array([f"shop_{c}" for c in "abcdefghij"])
    shop = rng.choice(shops, size=400)
    x = rng.normal(size=400)
    good = np.isin(shop, ["shop_b", "shop_e", "shop_h"])
    frame = pl.DataFrame({"shop": shop, "x": x, "y": np.where(good ^ (x > 1.2), "yes", "no")})
    automl = AutoML(
        "y", max_trials=2, time_budget=None, use_ray=False, learners=["lightgbm"], ensemble=False
    ).fit(frame)
    model = automl.model
    assert model.estimator.get_params()["cat_feature"] == [
        model.features.feature_names.index("shop")
    ]
    new = pl.DataFrame({"shop": ["shop_b", "shop_zz"], "x": [0.0, 0.0]})
    proba = automl.predict_proba(new)
    assert proba.shape == (2, 2) and proba[0, 1] > 0.5
    restored = fas_ray.load(automl.save(tmp_path / "m.pkl"))
    np.testing.assert_allclose(restored.predict_proba(new), proba)
