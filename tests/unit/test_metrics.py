"""Metrics agree with scikit-learn computed directly."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from fas_ray.exceptions import ConfigError
from fas_ray.ml import TaskInfo, classification_metrics, primary_metric, regression_metrics
from fas_ray.ml._metrics import (
    check_metric,
    greater_is_better,
    metric_score,
    objective_name,
    score,
)

BINARY = TaskInfo("classification", "binary", "y", [0, 1])
MULTI = TaskInfo("classification", "multiclass", "y", [0, 1, 2])
REGRESSION = TaskInfo("regression", "regression", "y")

y_bin = np.array([0, 1, 1, 0, 1, 0, 1, 1])
pred_bin = np.array([0, 1, 0, 0, 1, 1, 1, 1])
proba_bin = np.column_stack([1 - (p := np.array([0.2, 0.9, 0.4, 0.1, 0.8, 0.6, 0.7, 0.95])), p])

y_multi = np.array([0, 1, 2, 2, 1, 0, 2])
pred_multi = np.array([0, 2, 2, 2, 1, 0, 1])
proba_multi = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.1, 0.3, 0.6],
        [0.2, 0.2, 0.6],
        [0.1, 0.1, 0.8],
        [0.2, 0.5, 0.3],
        [0.6, 0.3, 0.1],
        [0.1, 0.5, 0.4],
    ]
)


@pytest.mark.parametrize(
    ("task", "metric"), [(BINARY, "roc_auc"), (MULTI, "log_loss"), (REGRESSION, "r2")]
)
def test_primary_metric(task: TaskInfo, metric: str) -> None:
    assert primary_metric(task) == metric


def test_binary_classification_metrics_match_sklearn() -> None:
    out = classification_metrics(y_bin, pred_bin, proba_bin, 2)
    assert out == {
        "accuracy": pytest.approx(skm.accuracy_score(y_bin, pred_bin)),
        "precision_weighted": pytest.approx(
            skm.precision_score(y_bin, pred_bin, average="weighted")
        ),
        "recall_weighted": pytest.approx(skm.recall_score(y_bin, pred_bin, average="weighted")),
        "f1_weighted": pytest.approx(skm.f1_score(y_bin, pred_bin, average="weighted")),
        "log_loss": pytest.approx(skm.log_loss(y_bin, proba_bin)),
        "roc_auc": pytest.approx(skm.roc_auc_score(y_bin, proba_bin[:, 1])),
    }
    assert out["accuracy"] == 0.75
    assert all(type(v) is float for v in out.values())


def test_multiclass_metrics_match_sklearn_and_have_no_auc() -> None:
    out = classification_metrics(y_multi, pred_multi, proba_multi, 3)
    assert set(out) == {
        "accuracy",
        "precision_weighted",
        "recall_weighted",
        "f1_weighted",
        "log_loss",
    }
    assert out["accuracy"] == pytest.approx(5 / 7)
    assert out["f1_weighted"] == pytest.approx(
        skm.f1_score(y_multi, pred_multi, average="weighted")
    )
    assert out["log_loss"] == pytest.approx(skm.log_loss(y_multi, proba_multi))


def test_log_loss_uses_all_classes_even_when_one_is_absent() -> None:
    y = np.array([0, 0, 1, 1])  # class 2 is never the truth in this slice
    proba = np.array([[0.8, 0.1, 0.1], [0.6, 0.2, 0.2], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])
    out = classification_metrics(y, np.array([0, 0, 1, 1]), proba, 3)
    assert out["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=[0, 1, 2]))


def test_binary_metrics_skip_auc_when_one_class_is_present() -> None:
    y = np.array([1, 1, 1])
    out = classification_metrics(y, y, np.array([[0.1, 0.9]] * 3), 2)
    assert "roc_auc" not in out
    assert out["accuracy"] == 1.0


def test_no_probabilities_no_probability_metrics() -> None:
    out = classification_metrics(y_bin, pred_bin, None, 2)
    assert "log_loss" not in out and "roc_auc" not in out


@pytest.mark.filterwarnings("error")
def test_precision_without_predictions_of_a_class_is_zero_not_a_warning() -> None:
    y = np.array([0, 1, 2])
    pred = np.array([0, 0, 0])
    out = classification_metrics(y, pred, None, 3)
    assert out["precision_weighted"] == pytest.approx(1 / 9)


def test_regression_metrics_match_sklearn() -> None:
    y = np.array([3.0, -0.5, 2.0, 7.0])
    pred = np.array([2.5, 0.0, 2.0, 8.0])
    out = regression_metrics(y, pred)
    assert out["mse"] == pytest.approx(skm.mean_squared_error(y, pred)) == pytest.approx(0.375)
    assert out["rmse"] == pytest.approx(math.sqrt(0.375))
    assert out["mae"] == pytest.approx(skm.mean_absolute_error(y, pred)) == pytest.approx(0.5)
    assert out["r2"] == pytest.approx(skm.r2_score(y, pred))


def test_score_is_the_primary_metric_negated_for_a_loss() -> None:
    assert score(BINARY, y_bin, pred_bin, proba_bin) == pytest.approx(
        skm.roc_auc_score(y_bin, proba_bin[:, 1])
    )
    assert score(MULTI, y_multi, None, proba_multi) == pytest.approx(
        -skm.log_loss(y_multi, proba_multi)
    )
    assert score(MULTI, y_multi, pred_multi, proba_multi, "accuracy") == pytest.approx(5 / 7)
    y = np.array([1.0, 2.0, 3.0])
    assert score(REGRESSION, y, y, None) == 1.0
    assert score(REGRESSION, y, y + 2.0, None, "rmse") == pytest.approx(-2.0)


def test_check_metric_and_objective_names() -> None:
    assert check_metric(None, MULTI) == "log_loss"
    assert check_metric("f1_weighted", BINARY) == "f1_weighted"
    assert check_metric("mae", REGRESSION) == "mae"
    with pytest.raises(ConfigError, match="'r2' does not fit a binary task; choose one of"):
        check_metric("r2", BINARY)
    with pytest.raises(ConfigError, match="'auc' does not fit a regression task"):
        check_metric("auc", REGRESSION)
    assert [objective_name(m) for m in ("roc_auc", "log_loss", "rmse", "r2")] == [
        "roc_auc",
        "neg_log_loss",
        "neg_rmse",
        "r2",
    ]
    assert greater_is_better("neg_log_loss") and not greater_is_better("log_loss")


def test_log_loss_renormalises_rows_without_warning() -> None:
    unnormalised = proba_multi * 1.3
    expected = skm.log_loss(y_multi, proba_multi)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metric_score("log_loss", y_multi, None, unnormalised) == pytest.approx(expected)


def test_roc_auc_needs_probabilities() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        score(BINARY, y_bin, pred_bin, None)


def test_holdout_rows_of_a_class_training_never_saw_are_left_out_of_the_metrics() -> None:
    """A rare class's single row may land only in the holdout: the metrics score the others
    and say how many were left out (it used to fail the run with a KeyError)."""
    from sklearn.datasets import load_iris

    from fas_ray.ml import detect_task, fit_model
    from fas_ray.pipeline import _holdout_metrics

    iris = load_iris(as_frame=True).frame
    frame = pl.from_pandas(iris).with_columns(pl.col("target").cast(pl.String))
    task = detect_task(frame["target"], "target")
    model = fit_model("linear", {"regularization": 1.0}, frame, task, seed=0, n_jobs=1)
    holdout = (
        frame.head(5)
        .vstack(frame.tail(5))
        .with_columns(
            pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit("9"))
            .otherwise(pl.col("target"))
            .alias("target")
        )
    )
    metrics, gold = _holdout_metrics(model, holdout)
    assert metrics["holdout_unseen_class_rows"] == 1 and metrics["accuracy"] == 1.0
    assert gold.height == 10 and "proba_0" in gold.columns
