"""Ensemble selection over out-of-fold predictions, the ensemble estimator, and calibration."""

from __future__ import annotations

import pickle
from functools import cache

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, roc_auc_score

from fas_ray.ml import (
    LEARNERS,
    TaskInfo,
    VotingEnsemble,
    caruana_ensemble,
    cross_val_score,
    ensemble_predict,
    fit_calibrator,
    fit_ensemble,
    fit_model,
    get_learner,
    make_folds,
)
from fas_ray.ml._calibrate import SigmoidCalibrator, TemperatureCalibrator

BINARY = TaskInfo("classification", "binary", "y", [0, 1])
MULTI = TaskInfo("classification", "multiclass", "y", [0, 1, 2])
REGRESSION = TaskInfo("regression", "regression", "y")
CANDIDATES = ("lightgbm", "random_forest", "extra_trees", "linear")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _two_columns(p1: np.ndarray) -> np.ndarray:
    return np.column_stack([1 - p1, p1])


@cache
def _real_oof() -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], tuple[float, ...]]:
    """Four different learners' out-of-fold probabilities on one synthetic binary task."""
    X, y = make_classification(
        n_samples=300, n_features=10, n_informative=5, flip_y=0.05, random_state=0
    )
    folds = make_folds(BINARY, y, 4, seed=0)
    oofs, means = [], []
    for name in CANDIDATES:
        params = {**LEARNERS[name].default_params(BINARY)}
        if "n_estimators" in params:
            params["n_estimators"] = 40
        result = cross_val_score(name, params, X, y, BINARY, folds, seed=0, return_oof=True)
        assert result.oof is not None
        oofs.append(result.oof)
        means.append(result.mean)
    return X, y, tuple(oofs), tuple(means)


# -- selection ------------------------------------------------------------------------------------


def test_real_learners_ensemble_beats_the_best_single_model() -> None:
    _, y, oofs, _ = _real_oof()
    result = caruana_ensemble(list(oofs), y, BINARY)
    singles = [roc_auc_score(y, p[:, 1]) for p in oofs]
    assert result.metric == "roc_auc"
    assert result.best_single == pytest.approx(max(singles))
    assert result.score >= result.best_single
    assert sum(result.weights.values()) == pytest.approx(1.0)
    assert len(result.weights) >= 2, "different learners complement each other here"
    blended = ensemble_predict(result.weights, oofs)
    assert roc_auc_score(y, blended[:, 1]) == pytest.approx(result.score)
    again = caruana_ensemble(list(oofs), y, BINARY)
    assert (again.weights, again.score, again.history) == (
        result.weights,
        result.score,
        result.history,
    )


def test_independent_errors_average_out_and_noise_gets_no_weight() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=500)
    signal = 2.0 * y - 1.0
    a = _two_columns(_sigmoid(signal + rng.normal(scale=2.0, size=500)))
    b = _two_columns(_sigmoid(signal + rng.normal(scale=2.0, size=500)))
    noise = _two_columns(rng.uniform(size=500))
    result = caruana_ensemble([noise, a, b], y, BINARY, rounds=20)
    assert set(result.weights) == {1, 2}
    assert result.score > result.best_single + 0.01
    assert len(result.history) == 20


def test_losses_are_minimised() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=300)
    onehot = np.eye(3)[y]
    sharp = 0.7 * onehot + 0.3 * np.eye(3)[rng.integers(0, 3, size=300)]
    soft = 0.4 * onehot + 0.6 / 3
    result = caruana_ensemble([sharp, soft], y, MULTI, metric="log_loss")
    losses = [log_loss(y, p) for p in (sharp, soft)]
    assert result.best_single == pytest.approx(min(losses))
    assert result.score <= result.best_single
    assert result.score == pytest.approx(
        log_loss(y, ensemble_predict(result.weights, [sharp, soft]))
    )


def test_ties_go_to_the_lowest_index() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, size=50)
    p = _two_columns(rng.uniform(size=50))
    assert caruana_ensemble([p, p.copy(), p.copy()], y, BINARY, rounds=5).weights == {0: 1.0}


def test_regression_ensemble() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=400)
    candidates = [y + rng.normal(scale=0.8, size=400) for _ in range(3)]
    result = caruana_ensemble(candidates, y, REGRESSION, rounds=15)
    assert result.metric == "r2"
    assert len(result.weights) == 3
    assert result.score > result.best_single + 0.05
    by_mse = caruana_ensemble(candidates, y, REGRESSION, rounds=15, metric="mse")
    assert by_mse.score < by_mse.best_single


def _four_regressors() -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(4)
    y = rng.normal(size=400)
    return y, [y + rng.normal(scale=0.5 + 0.1 * i, size=400) for i in range(4)]


def test_members_costs_stay_within_the_bound() -> None:
    y, candidates = _four_regressors()
    free = caruana_ensemble(candidates, y, REGRESSION, rounds=20)
    assert len(free.weights) == 4
    costs = [5.0, 1.0, 1.0, 4.0]
    bounded = caruana_ensemble(candidates, y, REGRESSION, rounds=20, costs=costs, max_cost=6.0)
    assert sum(costs[i] for i in bounded.weights) <= 6.0
    assert len(bounded.weights) >= 2, "cheap members still make an ensemble"
    assert bounded.score > bounded.best_single
    assert free.score >= bounded.score


def test_when_no_candidate_fits_alone_the_result_is_the_best_single() -> None:
    y, candidates = _four_regressors()
    result = caruana_ensemble(candidates, y, REGRESSION, costs=[9.0] * 4, max_cost=1.0)
    assert result.weights == {0: 1.0}
    assert result.score == result.best_single


def test_costs_need_one_value_per_candidate() -> None:
    y, candidates = _four_regressors()
    with pytest.raises(ValueError, match="one value per candidate"):
        caruana_ensemble(candidates, y, REGRESSION, costs=[1.0], max_cost=1.0)


@pytest.mark.parametrize(
    ("predictions", "rounds", "needle"),
    [
        pytest.param([], 5, "at least one candidate", id="none"),
        pytest.param([np.zeros(3)], 0, "rounds", id="zero-rounds"),
        pytest.param([np.zeros(3), np.zeros(4)], 5, "one shape", id="shapes"),
    ],
)
def test_bad_inputs(predictions: list[np.ndarray], rounds: int, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        caruana_ensemble(predictions, np.zeros(3), REGRESSION, rounds=rounds)


def test_ensemble_predict_normalises_weights() -> None:
    out = ensemble_predict({0: 2.0, 2: 2.0}, [np.array([1.0]), np.array([50.0]), np.array([3.0])])
    np.testing.assert_allclose(out, [2.0])
    with pytest.raises(ValueError, match="positive weight"):
        ensemble_predict({}, [np.array([1.0])])


# -- the ensemble estimator and FittedModel -------------------------------------------------------


def test_voting_ensemble_classification_pickles_and_predicts() -> None:
    X, y, _, _ = _real_oof()
    members = [
        get_learner(name).make_estimator({"regularization": 1.0}, BINARY, 0).fit(X, y)
        if name == "linear"
        else get_learner(name)
        .make_estimator({**LEARNERS[name].default_params(BINARY), "n_estimators": 20}, BINARY, 0)
        .fit(X, y)
        for name in ("linear", "random_forest")
    ]
    ensemble = VotingEnsemble(members, [0.25, 0.75], n_classes=2)
    proba = ensemble.predict_proba(X)
    expected = 0.25 * members[0].predict_proba(X) + 0.75 * members[1].predict_proba(X)
    np.testing.assert_allclose(proba, expected)
    np.testing.assert_array_equal(ensemble.predict(X), np.argmax(expected, axis=1))
    np.testing.assert_array_equal(ensemble.classes_, [0, 1])
    restored = pickle.loads(pickle.dumps(ensemble))
    np.testing.assert_array_equal(restored.predict_proba(X), proba)


def test_voting_ensemble_regression_has_no_predict_proba() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 2))
    y = X[:, 0] - X[:, 1]
    members = [
        get_learner("linear").make_estimator({"regularization": a}, REGRESSION, 0).fit(X, y)
        for a in (0.01, 10.0)
    ]
    ensemble = VotingEnsemble(members, [1.0, 3.0])
    np.testing.assert_allclose(
        ensemble.predict(X), 0.25 * members[0].predict(X) + 0.75 * members[1].predict(X)
    )
    assert not hasattr(ensemble, "predict_proba")
    assert not hasattr(ensemble, "classes_")
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(ensemble)).predict(X), ensemble.predict(X)
    )


def _frame() -> pl.DataFrame:
    X, y, _, _ = _real_oof()
    data = {f"f{i}": X[:120, i] for i in range(4)}
    return pl.DataFrame({**data, "y": np.where(y[:120] == 1, "yes", "no")})


LABELS = TaskInfo("classification", "binary", "y", ["no", "yes"])


def test_fit_ensemble_gives_a_fitted_model() -> None:
    train = _frame()
    members = [("linear", {"regularization": 1.0}), ("extra_trees", {"n_estimators": 20})]
    model = fit_ensemble([*members, ("lightgbm", {})], [1.0, 1.0, 0.0], train, LABELS, 0, n_jobs=1)
    assert model.is_ensemble and model.learner == "ensemble"
    assert [m["learner"] for m in model.params["members"]] == ["linear", "extra_trees"]
    assert [m["weight"] for m in model.params["members"]] == [0.5, 0.5]
    proba = model.predict_proba(train)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(train).tolist()) <= {"no", "yes"}
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(train), proba)
    with pytest.raises(ValueError, match="positive weight"):
        fit_ensemble(members, [0.0, 0.0], train, LABELS, 0)


def test_single_model_unchanged_and_calibrator_applies() -> None:
    train = _frame()
    plain = fit_model("linear", {"regularization": 1.0}, train, LABELS, 0, n_jobs=1)
    assert not plain.is_ensemble and plain.calibrator is None
    X = plain.features.transform(train)
    np.testing.assert_array_equal(plain.predict_proba(train), plain.estimator.predict_proba(X))
    labels = np.asarray(LABELS.classes, dtype=object)[plain.estimator.predict(X)]
    np.testing.assert_array_equal(plain.predict(train), labels)

    calibrator = TemperatureCalibrator()
    calibrator.temperature_ = 4.0  # flattens probabilities, keeps their order
    calibrated = fit_model(
        "linear", {"regularization": 1.0}, train, LABELS, 0, n_jobs=1, calibrator=calibrator
    )
    np.testing.assert_allclose(
        calibrated.predict_proba(train), calibrator.transform(plain.predict_proba(train))
    )
    np.testing.assert_array_equal(calibrated.predict(train), plain.predict(train))
    old = pickle.loads(pickle.dumps(plain))
    del old.__dict__["calibrator"]  # a model pickled before the field existed
    np.testing.assert_array_equal(old.predict_proba(train), plain.predict_proba(train))


# -- calibration ----------------------------------------------------------------------------------


def _binary_probs(n: int, sharpness: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from true probabilities; predictions are those logits times ``sharpness``."""
    rng = np.random.default_rng(seed)
    logit = rng.normal(scale=1.5, size=n)
    y = (rng.uniform(size=n) < _sigmoid(logit)).astype(np.int64)
    return _two_columns(_sigmoid(sharpness * logit)), y


def test_overconfident_binary_probabilities_get_a_calibrator_that_helps_on_new_rows() -> None:
    proba, y = _binary_probs(1000, sharpness=3.0, seed=0)
    calibrator = fit_calibrator(proba, y, seed=0)
    assert isinstance(calibrator, SigmoidCalibrator)
    fresh, y_fresh = _binary_probs(1000, sharpness=3.0, seed=1)
    calibrated = calibrator.transform(fresh)
    # strictly increasing: the ranking of rows (and so ROC-AUC) is what it was
    assert roc_auc_score(y_fresh, calibrated[:, 1]) == pytest.approx(
        roc_auc_score(y_fresh, fresh[:, 1]), abs=1e-12
    )
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0)
    assert log_loss(y_fresh, calibrated) < 0.9 * log_loss(y_fresh, fresh)
    assert pickle.loads(pickle.dumps(calibrator)).transform(fresh) == pytest.approx(calibrated)


def test_calibrated_probabilities_get_no_calibrator() -> None:
    proba, y = _binary_probs(1000, sharpness=1.0, seed=2)
    assert fit_calibrator(proba, y, seed=0) is None


def test_overconfident_multiclass_gets_temperature_scaling() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=1.5, size=(900, 3))
    true = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=p) for p in true])
    sharp = np.exp(3 * logits) / np.exp(3 * logits).sum(axis=1, keepdims=True)
    calibrator = fit_calibrator(sharp, y)
    assert isinstance(calibrator, TemperatureCalibrator)
    assert calibrator.temperature_ == pytest.approx(3.0, rel=0.25)
    assert fit_calibrator(true, y) is None


def test_too_few_rows_get_no_calibrator() -> None:
    proba, y = _binary_probs(30, sharpness=5.0, seed=4)
    assert fit_calibrator(proba, y) is None


def test_separated_out_of_fold_probabilities_are_not_sharpened() -> None:
    """A model that separated every training row: temperature scaling would sharpen it to
    the clip, and one wrong row on new data would then cost a huge log-loss."""
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1, 2], 60)
    proba = np.full((180, 3), 0.1)
    proba[np.arange(180), y] = 0.8
    proba += rng.uniform(0, 0.02, size=proba.shape)
    proba /= proba.sum(axis=1, keepdims=True)
    assert fit_calibrator(proba, y) is None
    binary = _two_columns(np.where(np.arange(200) % 2 == 1, 0.7, 0.3))
    assert fit_calibrator(binary, np.arange(200) % 2) is None


def test_temperature_and_slope_are_bounded_and_rows_sum_to_one() -> None:
    rng = np.random.default_rng(6)
    y = np.repeat([0, 1, 2], 100)
    proba = np.full((300, 3), 0.25)
    proba[np.arange(300), y] = 0.5
    wrong = rng.choice(300, size=6, replace=False)  # a few mistakes: 0.5 on a wrong class
    proba[wrong] = 0.25
    proba[wrong, (y[wrong] + 1) % 3] = 0.5
    fitted = TemperatureCalibrator().fit(proba, y)
    assert fitted.temperature_ == pytest.approx(0.5, abs=1e-3)  # would go far lower unbounded
    out = fitted.transform(np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    p1 = np.where(np.arange(400) % 2 == 1, 0.6, 0.4)
    labels = np.arange(400) % 2
    labels[:4] = 1 - labels[:4]
    platt = SigmoidCalibrator().fit(_two_columns(p1), labels)
    assert 0 < platt.a_ <= 4.0
