"""Where a model fails: per-class errors, residuals, and the data slices with the worst error.

:func:`error_analysis` takes the holdout rows (inputs and target) with the model's predictions
(and class probabilities for classifiers) and returns plain JSON-ready data:

- classification: the confusion matrix, each class's error rate (share of its rows predicted
  wrongly), and the most confident mistakes;
- regression: residual statistics (mean = bias, MAE, RMSE, quantiles) and residuals by predicted
  value (for a residuals-vs-predicted chart);
- both: **systematic biases**, the slices (a numeric feature's quantile bin, or one category of
  a categorical feature) whose error is worst compared with the whole holdout. A slice needs
  ``min_rows`` rows (default: 5 % of the holdout, at least 10) so that one unlucky row does not
  make a slice, and for classification at least 3 mistakes; slices are ranked by how much
  worse than overall they are (``lift``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from fas_ray.exceptions import InputError

__all__ = ["Slice", "error_analysis", "worst_slices"]

_BINS = 5
_MAX_CATEGORIES = 30
_MIN_MISTAKES = 3  # wrong predictions a classification slice needs before it can be "weak"


@dataclass(frozen=True)
class Slice:
    """A group of rows and how the model does on it."""

    feature: str
    description: str  # "age in [52.0, 67.0]" or "city = Paris"
    rows: int
    error: float  # error rate (classification) or mean absolute error (regression)
    overall: float
    lift: float  # error / overall

    def to_json(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "slice": self.description,
            "rows": self.rows,
            "error": round(self.error, 6),
            "overall_error": round(self.overall, 6),
            "lift": round(self.lift, 3),
        }


def _slices_of(column: pl.Series) -> list[tuple[str, np.ndarray]]:
    """(description, boolean mask) per slice of one feature column."""
    name = column.name
    out: list[tuple[str, np.ndarray]] = []
    null = column.is_null().to_numpy()
    if column.dtype.is_numeric() and column.dtype != pl.Boolean:
        values = column.cast(pl.Float64).to_numpy()
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return []
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, _BINS + 1)))
        if edges.size == 1:
            return []
        for i in range(edges.size - 1):
            low, high = edges[i], edges[i + 1]
            last = i == edges.size - 2
            mask = (values >= low) & ((values <= high) if last else (values < high))
            bracket = "]" if last else ")"
            out.append((f"{name} in [{low:.4g}, {high:.4g}{bracket}", mask))
    else:
        text = column.cast(pl.String)
        counts = text.drop_nulls().value_counts(sort=True, name="__rows")
        for value in counts[text.name].head(_MAX_CATEGORIES).to_list():
            out.append((f"{name} = {value}", (text == value).fill_null(False).to_numpy()))
    if null.any():
        out.append((f"{name} is missing", null))
    return out


def worst_slices(
    features: pl.DataFrame,
    errors: np.ndarray,
    *,
    min_rows: int | None = None,
    min_lift: float = 1.2,
    top: int = 10,
) -> list[Slice]:
    """The slices of ``features`` whose mean per-row ``errors`` is highest relative to overall.

    Args:
        features: the input columns of the holdout rows.
        errors: one error per row (0/1 for a wrong class, or an absolute residual).
        min_rows: smallest slice considered (default: 5 % of the rows, at least 10).
        min_lift: report slices at least this many times worse than overall.
        top: at most this many slices, worst first.

    Example:
        >>> df = pl.DataFrame({"city": ["a"] * 20 + ["b"] * 20})
        >>> worst_slices(df, np.r_[np.zeros(20), np.ones(10), np.zeros(10)])[0].description
        'city = b'
    """
    errors = np.asarray(errors, dtype=np.float64)
    if features.height != errors.size:
        raise InputError(
            f"errors has {errors.size} values for {features.height} rows; pass one per row."
        )
    if errors.size == 0:
        return []
    min_rows = min_rows or max(10, math.ceil(0.05 * errors.size))
    overall = float(errors.mean())
    if overall <= 0:
        return []
    # right/wrong errors: a slice needs a few mistakes, not one or two unlucky rows
    counted = bool(np.isin(errors, (0.0, 1.0)).all())
    found = []
    for name in features.columns:
        for description, mask in _slices_of(features[name]):
            n = int(mask.sum())
            if n < min_rows or n == errors.size:
                continue
            if counted and errors[mask].sum() < _MIN_MISTAKES:
                continue
            error = float(errors[mask].mean())
            lift = error / overall
            if lift >= min_lift:
                found.append(Slice(name, description, n, error, overall, lift))
    found.sort(key=lambda s: (-s.lift, -s.rows, s.description))
    return found[:top]


def error_analysis(
    inputs: pl.DataFrame,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    proba: np.ndarray | None = None,
    classes: list[Any] | None = None,
    top_mistakes: int = 10,
    min_rows: int | None = None,
) -> dict[str, Any]:
    """Error analysis of holdout predictions (see the module docstring).

    Args:
        inputs: the holdout rows' input columns (the target excluded).
        y_true: true labels (classification) or values (regression).
        y_pred: predicted labels or values.
        proba: class probabilities in ``classes`` order (classification).
        classes: the class labels; ``None`` means regression.

    Raises:
        InputError: the arrays and the frame disagree in length.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if not (inputs.height == y_true.size == y_pred.size):
        raise InputError(
            f"inputs ({inputs.height} rows), y_true ({y_true.size}) and y_pred ({y_pred.size}) "
            "must have one entry per holdout row."
        )
    if classes is None:
        residual = y_pred.astype(np.float64) - y_true.astype(np.float64)
        absolute = np.abs(residual)
        order = np.argsort(y_pred.astype(np.float64))
        return {
            "task": "regression",
            "residuals": {
                "mean": float(residual.mean()),
                "std": float(residual.std()),
                "mae": float(absolute.mean()),
                "rmse": float(np.sqrt((residual**2).mean())),
                "quantiles": {
                    str(q): float(np.quantile(residual, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)
                },
            },
            "residuals_vs_predicted": {
                "predicted": y_pred.astype(np.float64)[order].tolist(),
                "residual": residual[order].tolist(),
            },
            "largest_errors": [
                {"row": int(i), "actual": float(y_true[i]), "predicted": float(y_pred[i])}
                for i in np.argsort(-absolute, kind="stable")[:top_mistakes]
            ],
            "systematic_biases": [
                s.to_json() for s in worst_slices(inputs, absolute, min_rows=min_rows)
            ],
        }
    labels = list(classes)
    index = {c: i for i, c in enumerate(labels)}
    t = np.array([index.get(v, -1) for v in y_true.tolist()])
    p = np.array([index.get(v, -1) for v in y_pred.tolist()])
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    known = (t >= 0) & (p >= 0)
    np.add.at(matrix, (t[known], p[known]), 1)
    wrong = (t != p).astype(np.float64)
    per_class = {}
    for i, label in enumerate(labels):
        rows = t == i
        per_class[str(label)] = {
            "rows": int(rows.sum()),
            "error_rate": float(wrong[rows].mean()) if rows.any() else None,
        }
    mistakes: list[dict[str, Any]] = []
    if proba is not None:
        confidence = np.asarray(proba, dtype=np.float64).max(axis=1)
        for i in np.argsort(-confidence, kind="stable"):
            if wrong[i] and len(mistakes) < top_mistakes:
                mistakes.append(
                    {
                        "row": int(i),
                        "actual": y_true[i].item() if hasattr(y_true[i], "item") else y_true[i],
                        "predicted": y_pred[i].item() if hasattr(y_pred[i], "item") else y_pred[i],
                        "confidence": float(confidence[i]),
                    }
                )
    return {
        "task": "classification",
        "classes": [c.item() if hasattr(c, "item") else c for c in labels],
        "error_rate": float(wrong.mean()),
        "confusion_matrix": matrix.tolist(),
        "per_class": per_class,
        "most_confident_mistakes": mistakes,
        "systematic_biases": [s.to_json() for s in worst_slices(inputs, wrong, min_rows=min_rows)],
    }
