"""Cross-validation folds: stratified when possible, fewer folds for rare classes."""

from __future__ import annotations

import numpy as np
import pytest

from fas_ray.ml import TaskInfo, cross_val_score, make_folds

CLASSIFICATION = TaskInfo("classification", "multiclass", "y", [0, 1, 2])
REGRESSION = TaskInfo("regression", "regression", "y")


def _assert_partition(folds: list[tuple[np.ndarray, np.ndarray]], n: int) -> None:
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(n)), "every row is tested exactly once"
    for train, test in folds:
        assert not set(train.tolist()) & set(test.tolist())
        assert len(train) + len(test) == n


def test_stratified_folds_keep_class_shares() -> None:
    y = np.repeat([0, 1, 2], [10, 20, 30])
    folds = make_folds(CLASSIFICATION, y, n_folds=5, seed=0)
    assert len(folds) == 5
    _assert_partition(folds, len(y))
    for _, test in folds:
        assert np.bincount(y[test], minlength=3).tolist() == [2, 4, 6]


def test_rare_class_reduces_the_number_of_folds() -> None:
    y = np.array([0] * 20 + [1] * 20 + [2] * 3)
    folds = make_folds(CLASSIFICATION, y, n_folds=5, seed=0)
    assert len(folds) == 3
    _assert_partition(folds, len(y))
    for _, test in folds:
        assert (y[test] == 2).sum() == 1, "still stratified"


def test_a_singleton_class_falls_back_to_two_plain_folds() -> None:
    y = np.array([0] * 10 + [1] * 10 + [2])
    folds = make_folds(CLASSIFICATION, y, n_folds=5, seed=0)
    assert len(folds) == 2
    _assert_partition(folds, len(y))


@pytest.mark.parametrize(("n", "k", "expected"), [(50, 5, 5), (3, 5, 3), (2, 10, 2)])
def test_regression_folds(n: int, k: int, expected: int) -> None:
    y = np.linspace(0.0, 1.0, n)
    folds = make_folds(REGRESSION, y, n_folds=k, seed=0)
    assert len(folds) == expected
    _assert_partition(folds, n)


def test_folds_depend_only_on_the_seed() -> None:
    y = np.repeat([0, 1, 2], 10)
    a = make_folds(CLASSIFICATION, y, 5, seed=7)
    b = make_folds(CLASSIFICATION, y, 5, seed=7)
    c = make_folds(CLASSIFICATION, y, 5, seed=8)
    assert all(np.array_equal(x[1], z[1]) for x, z in zip(a, b, strict=True))
    assert not all(np.array_equal(x[1], z[1]) for x, z in zip(a, c, strict=True))


def test_cross_val_score_scores_every_fold() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = 2.0 * X[:, 0] + rng.normal(scale=0.1, size=60)
    folds = make_folds(REGRESSION, y, 3, seed=0)
    result = cross_val_score("linear", {"regularization": 1e-3}, X, y, REGRESSION, folds, seed=0)
    assert len(result.fold_scores) == 3
    assert result.mean == pytest.approx(np.mean(result.fold_scores))
    assert result.std == pytest.approx(np.std(result.fold_scores))
    assert result.mean > 0.95
    assert result.seconds >= 0.0


def test_out_of_fold_values_are_in_row_order() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(45, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    folds = make_folds(REGRESSION, y, 3, seed=0)
    params = {"regularization": 1e-3}
    assert cross_val_score("linear", params, X, y, REGRESSION, folds, seed=0).oof is None
    result = cross_val_score("linear", params, X, y, REGRESSION, folds, 0, return_oof=True)
    assert result.oof is not None and result.oof.shape == (45,)
    np.testing.assert_allclose(result.oof, y, atol=0.05)


def test_out_of_fold_probabilities_match_each_folds_model() -> None:
    from fas_ray.ml import get_learner

    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 4))
    y = np.repeat([0, 1, 2], 20)
    X[:, 0] += y
    folds = make_folds(CLASSIFICATION, y, 3, seed=0)
    params = {"regularization": 1.0}
    result = cross_val_score("linear", params, X, y, CLASSIFICATION, folds, 0, return_oof=True)
    assert result.oof is not None and result.oof.shape == (60, 3)
    np.testing.assert_allclose(result.oof.sum(axis=1), 1.0)
    train, valid = folds[1]
    est = get_learner("linear").make_estimator(params, CLASSIFICATION, 0).fit(X[train], y[train])
    np.testing.assert_allclose(result.oof[valid], est.predict_proba(X[valid]))


def test_out_of_fold_probabilities_keep_a_column_for_classes_missing_in_training() -> None:
    X = np.arange(12, dtype=float).reshape(-1, 1)
    y = np.array([0] * 5 + [1] * 5 + [2] * 2)
    folds = [(np.arange(10), np.arange(10, 12)), (np.arange(2, 12), np.arange(2))]
    result = cross_val_score(
        "linear", {"regularization": 1.0}, X, y, CLASSIFICATION, folds, 0, return_oof=True
    )
    assert result.oof is not None and result.oof.shape == (12, 3)
    assert (result.oof[10:, 2] == 0).all(), "class 2 was never seen by the first fold's model"


TIME_SERIES = TaskInfo("regression", "regression", "y", family="time_series")


@pytest.mark.parametrize(
    "task", [TIME_SERIES, TaskInfo("classification", "binary", "y", [0, 1], family="time_series")]
)
def test_time_series_folds_are_time_ordered(task: TaskInfo) -> None:
    n = 60
    order = np.random.default_rng(0).permutation(n) * 1_000  # e.g. timestamps, rows shuffled
    y = np.arange(n) % 2
    folds = make_folds(task, y, n_folds=4, seed=0, order=order)
    assert len(folds) == 4
    previous_train: set[int] = set()
    for train, valid in folds:
        assert order[train].max() < order[valid].min(), "validation comes after training"
        assert previous_train <= set(train.tolist()), "expanding window"
        previous_train = set(train.tolist())
    valid_rows = np.concatenate([valid for _, valid in folds])
    assert len(set(valid_rows.tolist())) == len(valid_rows) == 48


def test_order_is_ignored_unless_the_task_is_a_time_series() -> None:
    y = np.linspace(0.0, 1.0, 30)
    order = np.arange(30)[::-1]
    plain = make_folds(REGRESSION, y, 5, seed=0)
    for task, kwargs in [(REGRESSION, {"order": order}), (TIME_SERIES, {})]:
        folds = make_folds(task, y, 5, seed=0, **kwargs)
        assert all(np.array_equal(a[1], b[1]) for a, b in zip(plain, folds, strict=True))


def test_time_series_folds_check_the_order() -> None:
    with pytest.raises(ValueError, match="one value per row"):
        make_folds(TIME_SERIES, np.zeros(10), 3, seed=0, order=np.arange(9))
    assert len(make_folds(TIME_SERIES, np.zeros(3), 5, seed=0, order=np.arange(3))) == 2


@pytest.mark.parametrize("learner", ["linear", "lightgbm", "random_forest"])
def test_search_trials_and_cross_val_score_run_one_loop(learner: str) -> None:
    """The search's evaluation and cross_val_score agree to the bit, and both keep a column
    for a class a fold's training rows lack (the search once returned too few columns)."""
    from fas_ray.ml import default_config
    from fas_ray.ml._space import split_config
    from fas_ray.search._coordinator import Ticket
    from fas_ray.search._evaluate import evaluate_config

    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = np.array([0] * 18 + [1] * 18 + [2] * 4)
    X[:, 0] += y
    folds = [(np.arange(36), np.arange(36, 40)), (np.arange(4, 40), np.arange(4))]
    folds.append((np.r_[np.arange(20), np.arange(36, 40)], np.arange(20, 36)))
    config = default_config(learner, CLASSIFICATION)
    if learner != "linear":
        config[f"{learner}.n_estimators"] = 20
    _, params = split_config(config)
    direct = cross_val_score(learner, params, X, y, CLASSIFICATION, folds, 0, return_oof=True)
    result, oof = evaluate_config(Ticket(0, config), X, y, CLASSIFICATION, folds, 0)
    assert result.state == "complete", result.error
    assert result.fold_scores == direct.fold_scores
    assert oof is not None and direct.oof is not None and oof.shape == (40, 3)
    np.testing.assert_array_equal(oof, direct.oof)
    assert (oof[36:, 2] == 0).all(), "class 2 is missing from the first fold's training rows"


def test_boosting_stops_early_on_the_validation_fold_and_refits_with_its_rounds() -> None:
    from fas_ray.ml._cv import run_folds

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] + 0.5 * rng.normal(size=300)
    folds = make_folds(REGRESSION, y, 3, seed=0)
    params = {"n_estimators": 2000, "learning_rate": 0.3, "num_leaves": 31}
    run = run_folds("lightgbm", params, X, y, REGRESSION, folds, 0)
    assert len(run.iterations) == 3 and max(run.iterations) < 2000
    refit = run.refit_params(params, n_rows=300, n_train=200)
    assert refit["n_estimators"] == round(np.mean(run.iterations) * 1.5)
    assert refit["learning_rate"] == 0.3
    without = run_folds("lightgbm", params, X, y, REGRESSION, folds, 0, early_stopping=False)
    assert without.iterations == [] and without.refit_params(params, 300, 200) == params
    # stopping early is what keeps a 2,000-round cap from overfitting this noisy target
    assert np.mean(run.fold_scores) > np.mean(without.fold_scores)
