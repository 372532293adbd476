"""Error analysis: per-class errors, residuals, and a planted weak slice found."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fas_ray.exceptions import InputError
from fas_ray.explain import error_analysis, worst_slices


def _frame(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "age": rng.uniform(18, 90, n),
            "city": rng.choice(["north", "south", "east", "west"], n),
            "income": rng.normal(50, 10, n),
        }
    )


def test_a_planted_weak_category_is_the_worst_slice() -> None:
    df = _frame(2000)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, df.height)
    pred = y.copy()
    south = (df["city"] == "south").to_numpy()
    flip = rng.random(df.height) < np.where(south, 0.4, 0.03)  # 40 % wrong in the south
    pred[flip] = 1 - pred[flip]
    proba = np.column_stack([1 - pred * 0.9, pred * 0.9 + 0.05])
    report = error_analysis(df, y, pred, proba=proba, classes=[0, 1])
    worst = report["systematic_biases"][0]
    assert worst["slice"] == "city = south" and worst["lift"] > 3
    assert all("north" not in s["slice"] for s in report["systematic_biases"])
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum() == df.height and np.trace(matrix) == (pred == y).sum()
    assert report["error_rate"] == pytest.approx((pred != y).mean())
    assert set(report["per_class"]) == {"0", "1"}
    mistakes = report["most_confident_mistakes"]
    assert len(mistakes) == 10 and all(m["actual"] != m["predicted"] for m in mistakes)
    confidences = [m["confidence"] for m in mistakes]
    assert confidences == sorted(confidences, reverse=True)


def test_a_planted_weak_numeric_range_is_found_in_regression() -> None:
    df = _frame(3000, seed=2)
    rng = np.random.default_rng(3)
    y = rng.normal(0, 1, df.height)
    old = (df["age"] > 76).to_numpy()  # roughly the top fifth of ages
    pred = y + rng.normal(0, 0.1, df.height) + np.where(old, 2.0, 0.0)
    report = error_analysis(df, y, pred)
    worst = report["systematic_biases"][0]
    assert worst["feature"] == "age" and worst["slice"].startswith("age in [")
    low = float(worst["slice"].split("[")[1].split(",")[0])
    assert low > 70  # the top age bin
    residuals = report["residuals"]
    assert residuals["mean"] == pytest.approx(float((pred - y).mean()))
    assert residuals["rmse"] >= residuals["mae"] > 0
    rvp = report["residuals_vs_predicted"]
    assert rvp["predicted"] == sorted(rvp["predicted"]) and len(rvp["residual"]) == df.height
    assert report["largest_errors"][0]["row"] in np.flatnonzero(old)


def test_no_bias_reported_on_uniform_errors_and_small_slices_are_ignored() -> None:
    df = _frame(1000, seed=4)
    rng = np.random.default_rng(5)
    errors = (rng.random(df.height) < 0.1).astype(float)
    assert worst_slices(df, errors, min_lift=1.5) == []
    tiny = pl.DataFrame({"g": ["x"] * 5 + ["y"] * 995})
    errs = np.r_[np.ones(5), np.zeros(995)]
    assert worst_slices(tiny, errs) == []  # 5 rows < the 50-row minimum
    assert worst_slices(tiny, errs, min_rows=5)[0].description == "g = x"
    # two mistakes in a 23-row slice of a 114-row holdout are luck, not a weak slice
    small = pl.DataFrame({"g": ["a"] * 23 + ["b"] * 91})
    two = np.r_[np.ones(2), np.zeros(112)]
    assert worst_slices(small, two) == []
    assert worst_slices(small, np.r_[np.ones(3), np.zeros(111)])[0].description == "g = a"


def test_missing_values_form_their_own_slice_and_lengths_are_checked() -> None:
    df = pl.DataFrame({"v": [None] * 30 + list(range(70))}, schema={"v": pl.Float64})
    errors = np.r_[np.ones(30), np.zeros(70) + 0.05]
    assert worst_slices(df, errors)[0].description == "v is missing"
    with pytest.raises(InputError, match="one per row"):
        worst_slices(df, errors[:10])
    with pytest.raises(InputError, match="one entry per holdout row"):
        error_analysis(df, np.zeros(5), np.zeros(5))
