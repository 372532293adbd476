"""Feature fitting inside each CV fold: fill values and known categories come from the fold's
training rows only, never from the rows it validates on."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fas_ray.features import FeatureBuilder, FoldFill
from fas_ray.ml import TaskInfo, cross_val_score, default_config
from fas_ray.ml._cv import run_folds
from fas_ray.ml._space import split_config

NAN = np.nan


def _frame(n: int = 40) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    size = [None if i % 5 == 0 else float(i) for i in range(n)]
    return pl.DataFrame(
        {
            "Size": size,
            "Count": [None if i % 7 == 0 else i for i in range(n)],
            "Colour": [None if i % 6 == 0 else ["red", "blue", "green"][i % 3] for i in range(n)],
            "Member": [None if i % 4 == 0 else bool(i % 3) for i in range(n)],
            "Noise": rng.normal(size=n).tolist(),
            "Target": [i % 2 for i in range(n)],
        }
    )


def test_transform_without_fill_keeps_missing_values_as_nan() -> None:
    df = _frame()
    builder = FeatureBuilder(target="target").fit(df)
    filled, raw = builder.transform(df), builder.transform(df, fill=False)
    names = builder.feature_names
    for column in ("size", "count", "colour", "member"):
        j = names.index(column)
        missing = df[column.capitalize()].is_null().to_numpy()
        assert np.isnan(raw[missing, j]).all() and not np.isnan(filled[:, j]).any()
        np.testing.assert_array_equal(raw[~missing, j], filled[~missing, j])
    # what the builder's fill values give is what FoldFill gives from all rows
    np.testing.assert_array_equal(builder.fold_fill().fill_all(raw), filled)


def test_fold_fill_knows_the_column_kinds() -> None:
    builder = FeatureBuilder(target="target").fit(_frame())
    names = builder.feature_names
    plan = builder.fold_fill()
    assert plan.medians == (names.index("size"), names.index("count"), names.index("noise"))
    assert plan.integers == (names.index("count"),)
    assert plan.modes == (names.index("member"),)
    assert plan.categorical == (names.index("colour"),)


def test_fill_values_come_from_the_training_rows_only() -> None:
    X = np.array(
        [[1.0, 0.0, 1.0], [2.0, 0.0, 1.0], [NAN, NAN, NAN], [1000.0, 1.0, 0.0], [NAN, NAN, NAN]]
    )
    plan = FoldFill(medians=(0,), modes=(2,), categorical=(1,))
    train, valid = np.array([0, 1, 2]), np.array([3, 4])
    X_train, X_valid = plan.apply(X, train, valid)
    # median of 1 and 2 (not of 1, 2 and 1000); mode code 0; the validation row's code 1 is
    # a category the training rows lack: -1
    assert X_train.tolist() == [[1.0, 0.0, 1.0], [2.0, 0.0, 1.0], [1.5, 0.0, 1.0]]
    assert X_valid.tolist() == [[1000.0, -1.0, 0.0], [1.5, 0.0, 1.0]]
    assert np.isnan(X[2]).all()  # the matrix itself is not changed


@pytest.mark.parametrize(
    ("values", "integer", "expected"),
    [([1.0, 2.0, NAN, 4.0], False, 2.0), ([1.0, 2.0], False, 1.5), ([1.0, 2.0], True, 2.0)],
)
def test_median_matches_etl(values: list[float], integer: bool, expected: float) -> None:
    X = np.array([[v] for v in [*values, NAN]])
    plan = FoldFill(medians=(0,), integers=(0,) if integer else ())
    assert plan.fill_all(X)[-1, 0] == expected


def test_a_column_missing_in_every_training_row_stays_missing() -> None:
    X = np.array([[NAN], [NAN], [3.0]])
    X_train, X_valid = FoldFill(medians=(0,)).apply(X, np.array([0, 1]), np.array([2]))
    assert np.isnan(X_train).all() and X_valid.tolist() == [[3.0]]


def test_cv_validation_rows_never_shape_their_own_features() -> None:
    """A value that only the validation rows hold changes nothing the model is trained on."""
    rng = np.random.default_rng(1)
    n = 60
    X = rng.normal(size=(n, 2))
    X[::3, 0] = NAN
    y = (rng.normal(size=n) > 0).astype(np.int64)
    task = TaskInfo("classification", "binary", "y", [0, 1])
    folds = [(np.arange(30, 60), np.arange(30)), (np.arange(30), np.arange(30, 60))]
    plan = FoldFill(medians=(0, 1))
    params = split_config(default_config("linear", task))[1]
    base = run_folds("linear", params, X, y, task, folds, 0, fold_fill=plan)
    shifted = X.copy()
    shifted[1:30:3, 0] += 1e6  # validation rows of the first fold only (not missing ones)
    changed = run_folds("linear", params, shifted, y, task, folds, 0, fold_fill=plan)
    assert base.oof is not None and changed.oof is not None
    # the first fold trains on unchanged rows: every validation row not shifted (the missing
    # ones among them) is predicted as before
    kept = np.setdiff1d(np.arange(30), np.arange(1, 30, 3))
    np.testing.assert_allclose(changed.oof[kept], base.oof[kept])
    # one fill from all rows would let the shifted rows move the missing rows' fill
    before = run_folds("linear", params, plan.fill_all(X), y, task, folds, 0)
    after = run_folds("linear", params, plan.fill_all(shifted), y, task, folds, 0)
    assert before.oof is not None and after.oof is not None
    assert not np.allclose(after.oof[kept], before.oof[kept])


def test_cross_val_score_takes_a_fold_fill() -> None:
    df = _frame(80)
    builder = FeatureBuilder(target="target").fit(df)
    X = builder.transform(df, fill=False)
    y = df["Target"].to_numpy()
    task = TaskInfo("classification", "binary", "target", [0, 1])
    folds = [(np.arange(40, 80), np.arange(40)), (np.arange(40), np.arange(40, 80))]
    result = cross_val_score(
        "lightgbm", {}, X, y, task, folds, 0, return_oof=True, fold_fill=builder.fold_fill()
    )
    assert len(result.fold_scores) == 2 and np.isfinite(result.mean)
    params = split_config(default_config("linear", task))[1]
    with pytest.raises(ValueError):  # logistic regression refuses NaN: the fill is needed
        cross_val_score("linear", params, X, y, task, folds, 0)
    filled = cross_val_score("linear", params, X, y, task, folds, 0, fold_fill=builder.fold_fill())
    assert np.isfinite(filled.mean)
