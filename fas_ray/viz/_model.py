"""Figures that describe a fitted model and its search: ROC, PR, calibration, importance, ..."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from sklearn import metrics
from sklearn.calibration import calibration_curve as _sk_calibration_curve

from fas_ray.exceptions import InputError
from fas_ray.viz._common import as_float_array, as_label_array, style

__all__ = [
    "calibration_curve",
    "feature_importance",
    "precision_recall_curve",
    "predicted_vs_actual",
    "roc_curve",
    "search_history",
]

_DIAGONAL = {"dash": "dash", "color": "grey", "width": 1}


def _classification_inputs(
    y_true: object, proba: object, classes: Sequence[object]
) -> tuple[np.ndarray, np.ndarray, list[object]]:
    """Check the inputs of the classifier charts.

    Returns:
        ``(y_index, P, classes)``: each row's class as a column index of ``P``, the
        probabilities as an (n, k) array (a 1-D binary ``proba`` is taken as the
        probability of ``classes[1]``), and the classes as a list.
    """
    y = as_label_array(y_true, "y_true")
    labels = list(classes)
    if len(labels) < 2:
        raise InputError(f"classes must name at least 2 classes, got {labels!r}.")
    if len({str(c) for c in labels}) != len(labels):
        raise InputError(f"classes has duplicates: {labels!r}; name each class once.")
    try:
        P = np.asarray(proba, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"proba must hold probabilities ({exc}).") from exc
    if P.ndim == 1 and len(labels) == 2:
        P = np.column_stack([1.0 - P, P])
    if P.ndim != 2 or P.shape[1] != len(labels):
        raise InputError(
            f"proba has shape {P.shape} but classes names {len(labels)} classes; pass one "
            "column per class, in the order of classes."
        )
    if P.shape[0] != y.size:
        raise InputError(
            f"y_true has {y.size} rows but proba has {P.shape[0]}; pass one probability row "
            "per label."
        )
    if not np.isfinite(P).all() or P.min() < 0 or P.max() > 1:
        raise InputError("proba must hold finite probabilities in [0, 1]; check the model output.")
    y_index = np.full(y.size, -1)
    for i, label in enumerate(labels):
        y_index[y == label] = i
    if (y_index < 0).any():
        unknown = sorted({str(v) for v in y[y_index < 0]})[:10]
        raise InputError(
            f"y_true holds labels that are not in classes: {', '.join(unknown)}; pass classes "
            "in the column order of proba."
        )
    return y_index, P, labels


def _one_vs_rest(y_index: np.ndarray, classes: list[object]) -> tuple[list[int], list[str]]:
    """The class columns to draw (binary: the positive class only) and a note on skipped ones.

    A class with no positive or no negative rows has no curve.
    """
    candidates = [1] if len(classes) == 2 else list(range(len(classes)))
    drawable, skipped = [], []
    for i in candidates:
        positives = int((y_index == i).sum())
        if 0 < positives < y_index.size:
            drawable.append(i)
        else:
            skipped.append(str(classes[i]))
    if not drawable:
        raise InputError(
            "y_true holds a single class, so there is nothing to separate; pass labels of at "
            "least two classes."
        )
    notes = [f"left out (one class only in y_true): {', '.join(skipped)}"] if skipped else []
    return drawable, notes


def _with_notes(title: str, notes: list[str]) -> str:
    return title if not notes else f"{title}<br><sup>{'; '.join(notes)}</sup>"


def roc_curve(y_true: object, proba: object, classes: Sequence[object]) -> go.Figure:
    """ROC curve(s) with the AUC in the legend and the chance diagonal.

    Binary problems get one curve, for ``classes[1]``; multiclass problems one one-vs-rest
    curve per class.

    Args:
        y_true: The true labels (values from ``classes``).
        proba: Predicted probabilities, shape (rows, len(classes)); for binary problems a
            1-D array of the probability of ``classes[1]`` also works.
        classes: The class of each column of ``proba``.

    Returns:
        A figure with one ``scatter`` per curve plus the diagonal, last.

    Example:
        >>> fig = roc_curve([0, 1, 1, 0], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.6, 0.4]], [0, 1])
        >>> fig.data[0].name
        '1 (AUC = 1.000)'
    """
    y_index, P, labels = _classification_inputs(y_true, proba, classes)
    drawn, notes = _one_vs_rest(y_index, labels)
    traces = []
    for i in drawn:
        fpr, tpr, _ = metrics.roc_curve((y_index == i).astype(int), P[:, i])
        area = metrics.auc(fpr, tpr)
        traces.append(
            go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{labels[i]} (AUC = {area:.3f})")
        )
    traces.append(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line=_DIAGONAL))
    fig = go.Figure(traces)
    return style(
        fig,
        _with_notes("ROC curve" + (" (one-vs-rest)" if len(labels) > 2 else ""), notes),
        "False positive rate",
        "True positive rate",
        xaxis={"range": [0, 1]},
        yaxis={"range": [0, 1.02]},
    )


def precision_recall_curve(y_true: object, proba: object, classes: Sequence[object]) -> go.Figure:
    """Precision–recall curve(s) with the average precision (AP) in the legend.

    Binary problems get one curve, for ``classes[1]``; multiclass problems one one-vs-rest
    curve per class. Curves are drawn as steps, the shape AP summarises.

    Args:
        y_true: The true labels (values from ``classes``).
        proba: Predicted probabilities, shape (rows, len(classes)), or 1-D for binary.
        classes: The class of each column of ``proba``.

    Returns:
        A figure with one ``scatter`` per curve.

    Example:
        >>> fig = precision_recall_curve(["a", "b"], [[0.9, 0.1], [0.2, 0.8]], ["a", "b"])
        >>> fig.data[0].name
        'b (AP = 1.000)'
    """
    y_index, P, labels = _classification_inputs(y_true, proba, classes)
    drawn, notes = _one_vs_rest(y_index, labels)
    traces = []
    for i in drawn:
        positive = (y_index == i).astype(int)
        precision, recall, _ = metrics.precision_recall_curve(positive, P[:, i])
        ap = metrics.average_precision_score(positive, P[:, i])
        traces.append(
            go.Scatter(
                x=recall,
                y=precision,
                mode="lines",
                line_shape="hv",
                name=f"{labels[i]} (AP = {ap:.3f})",
            )
        )
    fig = go.Figure(traces)
    return style(
        fig,
        _with_notes(
            "Precision–recall curve" + (" (one-vs-rest)" if len(labels) > 2 else ""), notes
        ),
        "Recall",
        "Precision",
        xaxis={"range": [0, 1]},
        yaxis={"range": [0, 1.02]},
    )


def calibration_curve(
    y_true: object, proba: object, classes: Sequence[object], n_bins: int = 10
) -> go.Figure:
    """A reliability diagram: observed frequency against predicted probability, per bin.

    Binary problems compare the probability of ``classes[1]`` with how often it is the
    label; multiclass problems compare the top-class probability (confidence) with how often
    the top class is right (accuracy). Bins are of equal width; empty bins are left out.

    Args:
        y_true: The true labels (values from ``classes``).
        proba: Predicted probabilities, shape (rows, len(classes)), or 1-D for binary.
        classes: The class of each column of ``proba``.
        n_bins: The number of bins over [0, 1], at least 2.

    Returns:
        A figure with the model's curve then the perfect-calibration diagonal.

    Example:
        >>> fig = calibration_curve([0, 1, 1, 0], [0.1, 0.8, 0.7, 0.3], [0, 1], n_bins=5)
        >>> [t.name for t in fig.data]
        ['model', 'perfectly calibrated']
    """
    y_index, P, labels = _classification_inputs(y_true, proba, classes)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 2:
        raise InputError(f"n_bins must be an integer of at least 2, got {n_bins!r}.")
    if len(labels) == 2:
        hit, score = (y_index == 1).astype(int), P[:, 1]
        x_title, y_title = f"Mean predicted probability of {labels[1]}", "Fraction of positives"
    else:
        hit, score = (P.argmax(axis=1) == y_index).astype(int), P.max(axis=1)
        x_title, y_title = "Confidence (top-class probability)", "Accuracy"
    observed, predicted = _sk_calibration_curve(
        hit, score, n_bins=n_bins, strategy="uniform", pos_label=1
    )
    fig = go.Figure(
        [
            go.Scatter(x=predicted, y=observed, mode="lines+markers", name="model"),
            go.Scatter(
                x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated", line=_DIAGONAL
            ),
        ]
    )
    return style(
        fig,
        "Calibration (reliability diagram)",
        x_title,
        y_title,
        xaxis={"range": [0, 1]},
        yaxis={"range": [0, 1.02]},
    )


def feature_importance(names: Sequence[str], values: object, top: int = 20) -> go.Figure:
    """Horizontal bars of the ``top`` most important features, the largest on top.

    Features are ranked by absolute value, so negative importances (e.g. permutation
    importance) rank by size and keep their sign.

    Args:
        names: Feature names, unique.
        values: One importance per name.
        top: How many features to show, at least 1.

    Returns:
        A figure with one horizontal ``bar`` trace.

    Example:
        >>> fig = feature_importance(["a", "b", "c"], [0.2, 0.5, 0.3], top=2)
        >>> list(fig.data[0].y)  # drawn bottom-up: the largest is last, at the top
        ['c', 'b']
    """
    labels = [str(n) for n in names]
    scores = as_float_array(values, "values")
    if len(labels) != scores.size:
        raise InputError(
            f"names has {len(labels)} entries but values has {scores.size}; pass one value "
            "per feature name."
        )
    if len(set(labels)) != len(labels):
        raise InputError("names has duplicates; give each feature a unique name.")
    if not np.isfinite(scores).all():
        raise InputError("values holds NaN or infinite importances; pass finite numbers.")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError(f"top must be a positive integer, got {top!r}.")
    order = np.argsort(-np.abs(scores), kind="stable")[:top][::-1]
    fig = go.Figure(
        go.Bar(
            x=scores[order],
            y=[labels[i] for i in order],
            orientation="h",
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
            name="importance",
        )
    )
    shown = min(top, len(labels))
    title = "Feature importance" + (
        f" (top {shown} of {len(labels)})" if shown < len(labels) else ""
    )
    return style(fig, title, "importance", "feature", height=max(400, 22 * shown + 150))


def predicted_vs_actual(y_true: object, y_pred: object) -> go.Figure:
    """Predicted against actual values of a regression, with the y = x line of a perfect fit.

    Args:
        y_true: The actual values.
        y_pred: The predictions, one per actual value.

    Returns:
        A figure with a ``scatter`` of the points, then the y = x line.

    Example:
        >>> fig = predicted_vs_actual([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
        >>> [t.name for t in fig.data]
        ['predictions', 'y = x']
    """
    actual = as_float_array(y_true, "y_true")
    predicted = as_float_array(y_pred, "y_pred")
    if actual.size != predicted.size:
        raise InputError(
            f"y_true has {actual.size} values but y_pred has {predicted.size}; pass one "
            "prediction per actual value."
        )
    finite = np.isfinite(actual) & np.isfinite(predicted)
    if not finite.any():
        raise InputError("y_true and y_pred share no finite pair; pass numeric values.")
    actual, predicted = actual[finite], predicted[finite]
    lo = float(min(actual.min(), predicted.min()))
    hi = float(max(actual.max(), predicted.max()))
    fig = go.Figure(
        [
            go.Scatter(
                x=actual,
                y=predicted,
                mode="markers",
                name="predictions",
                marker={"size": 5, "opacity": 0.6},
                hovertemplate="actual %{x:.4g}<br>predicted %{y:.4g}<extra></extra>",
            ),
            go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x", line=_DIAGONAL),
        ]
    )
    return style(fig, "Predicted vs actual", "Actual", "Predicted")


def search_history(
    scores: Sequence[float | None] | np.ndarray,
    learners: Sequence[str] | None = None,
    greater_is_better: bool = True,
) -> go.Figure:
    """Each trial's score as a marker (coloured by learner) and the best score so far.

    Missing or non-finite scores (failed trials) have no marker and do not move the best.

    Args:
        scores: One score per trial, in trial order; None or NaN for a failed trial.
        learners: The learner of each trial, or None.
        greater_is_better: Whether a higher score is better (False for losses).

    Returns:
        A figure with one markers ``scatter`` per learner (one in all without learners),
        then the best-so-far step line.

    Example:
        >>> fig = search_history([0.7, 0.9, 0.8], ["lgbm", "xgb", "lgbm"])
        >>> [float(v) for v in fig.data[-1].y]
        [0.7, 0.9, 0.9]
    """
    values = as_float_array([np.nan if s is None else s for s in scores], "scores")
    values[~np.isfinite(values)] = np.nan
    if np.isnan(values).all():
        raise InputError("scores has no finite value (every trial failed); nothing to plot.")
    trials = np.arange(1, values.size + 1)
    markers = {"size": 7}
    traces = []
    if learners is None:
        traces.append(go.Scatter(x=trials, y=values, mode="markers", name="trial", marker=markers))
    else:
        names = [str(name) for name in learners]
        if len(names) != values.size:
            raise InputError(
                f"scores has {values.size} trials but learners has {len(names)}; pass one "
                "learner per trial."
            )
        by_learner = np.asarray(names, dtype=object)
        for learner in dict.fromkeys(names):
            mask = by_learner == learner
            traces.append(
                go.Scatter(
                    x=trials[mask], y=values[mask], mode="markers", name=learner, marker=markers
                )
            )
    accumulate = np.fmax.accumulate if greater_is_better else np.fmin.accumulate
    best = accumulate(values)
    traces.append(go.Scatter(x=trials, y=best, mode="lines", line_shape="hv", name="best so far"))
    failed = int(np.isnan(values).sum())
    title = "Search history" + (f" ({failed} failed trials)" if failed else "")
    y_title = "score" + ("" if greater_is_better else " (lower is better)")
    return style(go.Figure(traces), title, "trial", y_title)
