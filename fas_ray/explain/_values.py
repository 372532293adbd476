"""SHAP values for a sample of rows, in one shape whatever the model: the data behind the
summary (beeswarm) charts and the per-row explanations.

- tree models (LightGBM, XGBoost, scikit-learn forests): exact TreeExplainer values, in the
  model's raw output (log-odds for LightGBM / XGBoost classifiers, probabilities for forests,
  values for regressors), so ``values.sum(features) + base_values`` is that output per row;
- the linear learner (scaler + linear model): exact linear SHAP in the scaled space;
- a weighted ensemble: the weighted sum of its members' SHAP values in the ensemble's own
  output space (class probabilities, or values), which adds up to the ensemble's prediction
  because SHAP values are linear in the model. Members get exact explainers there: tree models
  interventional TreeSHAP against the background (``model_output="probability"`` for binary
  boosting), forests their probability TreeSHAP, the rest the permutation explainer;
- anything else: a model-agnostic permutation explainer over the model's predictions (class
  probabilities for classifiers) with a background sample as the masker: shap's antithetic
  permutation method, written in numpy (shap's own compiles numba code for seconds on its
  first call in a process).

The explainers are prepared once (:func:`prepare_parts`) and then applied to rows in chunks
(:func:`apply_parts`), which lets :func:`fas_ray.explain.explain_within` size the work to a
time budget.

Calibration is not part of the explained output: it is one increasing map on top.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from fas_ray.explain._shap import FeatureImportance, _is_tree_model
from fas_ray.ml._ensemble import VotingEnsemble

__all__ = ["ShapExplanation", "explain_fitted", "explain_matrix"]


@dataclass
class ShapExplanation:
    """SHAP values of ``data`` rows.

    Args:
        values: ``(rows, features, outputs)``.
        base_values: ``(outputs,)``: the expected output over the background.
        data: ``(rows, features)``: the explained feature values.
        feature_names: one per feature column.
        output_names: one per output (``["value"]``, ``["log-odds of 1"]``, or class labels).
        explainer: ``tree``, ``linear``, ``ensemble`` or ``permutation``.
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    feature_names: list[str]
    output_names: list[str]
    explainer: str
    notes: list[str] = field(default_factory=list)

    def importance(self, top: int = 20) -> list[FeatureImportance]:
        """Features by mean |SHAP| over rows (and outputs), largest first."""
        per_feature = np.abs(self.values).mean(axis=(0, 2))
        order = np.argsort(-per_feature, kind="stable")[:top]
        return [FeatureImportance(self.feature_names[i], float(per_feature[i])) for i in order]

    def output_index(self, output: int | None = None) -> int:
        """The output a single-output view shows: the given one, else the positive class of a
        two-output (binary probability) model, else the first."""
        if output is not None:
            return output
        return 1 if self.values.shape[2] == 2 else 0

    def row(self, i: int, output: int | None = None, top: int = 20) -> dict[str, Any]:
        """One row's explanation: the base value, the ``top`` contributions (largest |SHAP|
        first) and the prediction they explain (base value + every feature's SHAP value)."""
        k = self.output_index(output)
        contributions = self.values[i, :, k]
        order = np.argsort(-np.abs(contributions), kind="stable")[:top]
        return {
            "output": self.output_names[k],
            "base_value": float(self.base_values[k]),
            "prediction": float(self.base_values[k] + contributions.sum()),
            "contributions": [
                {
                    "feature": self.feature_names[j],
                    "value": float(self.data[i, j]) if np.isfinite(self.data[i, j]) else None,
                    "shap": float(contributions[j]),
                }
                for j in order
            ],
        }

    def to_json(self, top: int = 20) -> dict[str, Any]:
        """Importance and, for the ``top`` features, every sampled row's value and SHAP value
        (the beeswarm's points) for the output :meth:`output_index` picks."""
        k = self.output_index()
        ranked = self.importance(top)
        index = {name: j for j, name in enumerate(self.feature_names)}
        return {
            "explainer": self.explainer,
            "rows": int(self.values.shape[0]),
            "output": self.output_names[k],
            "outputs": self.output_names,
            "base_values": [float(v) for v in self.base_values],
            "importance": [{"feature": f.feature, "mean_abs_shap": f.importance} for f in ranked],
            "beeswarm": {
                f.feature: {
                    "shap": self.values[:, index[f.feature], k].round(6).tolist(),
                    "value": [
                        None if not np.isfinite(v) else round(float(v), 6)
                        for v in self.data[:, index[f.feature]]
                    ],
                }
                for f in ranked
            },
            "notes": self.notes,
        }


def _as_3d(values: Any) -> np.ndarray:
    if isinstance(values, list):  # older shap: one array per class
        values = np.stack(values, axis=-1)
    values = np.asarray(values, dtype=np.float64)
    return values[:, :, None] if values.ndim == 2 else values


def _as_base(base: Any, outputs: int) -> np.ndarray:
    base = np.asarray(base, dtype=np.float64).reshape(-1)
    if base.size == 1 and outputs > 1:
        base = np.repeat(base, outputs)
    return base[:outputs] if base.size >= outputs else np.resize(base, outputs)


_DEFAULT_EVALS = 500  # model evaluations per explained row, as shap's PermutationExplainer
_MAX_BLOCK_ROWS = 200_000  # rows per model call in the permutation explainer

ExplainerKind = Literal["tree", "linear", "ensemble", "permutation"]
MemberKind = Literal["tree", "interventional", "permutation"]


def default_permutations(n_features: int) -> int:
    """Permutations per row by default: about 500 model evaluations per row (shap's default),
    at least one (``2 * n_features + 1`` evaluations)."""
    return max(1, _DEFAULT_EVALS // (2 * n_features + 1))


def _is_linear_pipeline(estimator: Any) -> bool:
    return hasattr(estimator, "steps") and hasattr(estimator.steps[-1][1], "coef_")


def is_ensemble(estimator: Any) -> bool:
    """Whether ``estimator`` is fas-ray's weighted ensemble (not a model with a ``weights``
    parameter, such as k-NN's)."""
    return isinstance(estimator, VotingEnsemble)


def explainer_kind(estimator: Any) -> ExplainerKind:
    """The explainer :func:`explain_matrix` uses for ``estimator``."""
    if _is_tree_model(estimator):
        return "tree"
    if _is_linear_pipeline(estimator):
        return "linear"
    if is_ensemble(estimator):
        return "ensemble"
    return "permutation"


def _is_boosting(member: Any) -> bool:
    prefixes = ("lightgbm", "xgboost", "catboost")
    return any(c.__module__.startswith(prefixes) for c in type(member).__mro__)


def _is_catboost(member: Any) -> bool:
    return type(member).__module__.startswith("catboost")


def member_kind(member: Any, n_classes: int | None) -> MemberKind:
    """How an ensemble member is explained in the ensemble's output space: path-dependent
    TreeSHAP (``tree``), interventional TreeSHAP against the background (``interventional``:
    binary boosting, in probability space) or the permutation explainer."""
    if n_classes is None:
        return "tree" if _is_tree_model(member) else "permutation"
    if _is_tree_model(member) and not _is_boosting(member):
        return "tree"
    if _is_boosting(member) and n_classes == 2 and not _is_catboost(member):
        return "interventional"  # (shap has no interventional TreeSHAP for CatBoost)
    return "permutation"


def _outputs(out: Any) -> np.ndarray:
    out = np.asarray(out, dtype=np.float64)
    return out[:, None] if out.ndim == 1 else out


def _permutation(
    fn: Any,
    X: np.ndarray,
    background: np.ndarray,
    *,
    permutations: int | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Antithetic permutation SHAP (the method of shap's ``PermutationExplainer``) in numpy.

    For each row and each random feature order, features are switched from the background to
    the row's values one at a time, then back in the same order; each switch's change of the
    mean output over the background is that feature's contribution. The values add up to
    ``fn(row) - mean(fn(background))`` exactly whatever the number of permutations (fewer
    only make each value noisier). Plain numpy: no JIT compilation on the first call (shap's
    explainer compiles numba code for seconds).

    Returns:
        ``(values (rows, features, outputs), base (outputs,))``.
    """
    X = np.asarray(X, dtype=np.float64)
    background = np.asarray(background, dtype=np.float64)
    n, n_features = X.shape
    n_bg = len(background)
    base = _outputs(fn(background)).mean(axis=0)
    values = np.zeros((n, n_features, base.size), dtype=np.float64)
    if n == 0 or n_features == 0:
        return values, base
    n_perm = permutations or default_permutations(n_features)
    rng = rng or np.random.default_rng(0)
    steps = np.arange(1, n_features + 1)
    per_block = max(1, _MAX_BLOCK_ROWS // max(1, n_bg))
    off = np.broadcast_to(base, (n_perm, 1, base.size))
    for i in range(n):
        orders = np.stack([rng.permutation(n_features) for _ in range(n_perm)])
        ranks = np.argsort(orders, axis=1)  # ranks[p, f]: the step at which f is switched
        # masks of the path: the first k features of the order on (k = 1..F), then the first k
        # off again (k = 1..F-1); all off is the background itself (``base``)
        on = ranks[:, None, :] < steps[None, :, None]
        off_again = ranks[:, None, :] >= steps[None, :-1, None]
        masks = np.concatenate([on, off_again], axis=1).reshape(-1, n_features)
        means = np.empty((len(masks), base.size), dtype=np.float64)
        for start in range(0, len(masks), per_block):
            block = masks[start : start + per_block]
            rows = np.where(block[:, None, :], X[i][None, None, :], background[None, :, :])
            out = _outputs(fn(rows.reshape(-1, n_features)))
            means[start : start + len(block)] = out.reshape(len(block), n_bg, -1).mean(axis=1)
        path = np.concatenate([off, means.reshape(n_perm, 2 * n_features - 1, -1), off], axis=1)
        forward = np.diff(path[:, : n_features + 1], axis=1)  # switching on, step by step
        backward = -np.diff(path[:, n_features:], axis=1)  # switching off, same order
        for p in range(n_perm):
            values[i, orders[p]] += forward[p] + backward[p]
        values[i] /= 2 * n_perm
    return values, base


Values = tuple[np.ndarray, np.ndarray]  # ((rows, features, outputs), (outputs,))


@dataclass
class Part:
    """One explained model, prepared once and applied to any number of row chunks: the whole
    estimator, or one member of an ensemble with its weight.

    ``fn`` is the explained function of a permutation part (its evaluation rate sizes the
    work); ``background`` the rows it was prepared with.
    """

    kind: Literal["tree", "interventional", "linear", "permutation"]
    weight: float
    run: Callable[[np.ndarray], Values]
    background: np.ndarray
    fn: Callable[[np.ndarray], Any] | None = None


def _tree_part(estimator: Any, weight: float, background: np.ndarray) -> Part:
    import shap

    explainer = shap.TreeExplainer(estimator)

    def run(X: np.ndarray) -> Values:
        values = _as_3d(explainer.shap_values(X, check_additivity=False))
        return values, _as_base(explainer.expected_value, values.shape[2])

    return Part("tree", weight, run, background)


def _interventional_part(member: Any, weight: float, background: np.ndarray) -> Part:
    """Binary boosting in probability space: interventional TreeSHAP against the background."""
    import shap

    explainer = shap.TreeExplainer(
        member,
        data=background,
        model_output="probability",
        feature_perturbation="interventional",
    )
    base1 = float(np.asarray(explainer.expected_value, dtype=np.float64).reshape(-1)[-1])

    def run(X: np.ndarray) -> Values:
        positive = np.asarray(explainer.shap_values(X, check_additivity=False), dtype=np.float64)
        positive = positive[..., -1] if positive.ndim == 3 else positive
        return np.stack([-positive, positive], axis=-1), np.array([1.0 - base1, base1])

    return Part("interventional", weight, run, background)


def _permutation_part(
    fn: Callable[[np.ndarray], Any],
    weight: float,
    background: np.ndarray,
    permutations: int | None,
    rng: np.random.Generator,
) -> Part:
    def run(X: np.ndarray) -> Values:
        return _permutation(fn, X, background, permutations=permutations, rng=rng)

    return Part("permutation", weight, run, background, fn)


def _member_part(
    member: Any,
    weight: float,
    background: np.ndarray,
    n_classes: int | None,
    permutations: int | None,
    rng: np.random.Generator,
) -> Part:
    """One ensemble member explained in probability (or value) space.

    Raises:
        ValueError: the member's probabilities do not cover every class.
    """
    kind = member_kind(member, n_classes)
    if kind == "tree":  # regression trees, or forests (probabilities already)
        part = _tree_part(member, weight, background)
        if n_classes is None or part.run(background[:1])[0].shape[2] == n_classes:
            return part
    if kind == "interventional":
        return _interventional_part(member, weight, background)
    if n_classes is None:
        return _permutation_part(member.predict, weight, background, permutations, rng)
    if _outputs(member.predict_proba(background[:1])).shape[1] != n_classes:
        raise ValueError("member output does not cover every class")
    return _permutation_part(member.predict_proba, weight, background, permutations, rng)


def ensemble_members(estimator: Any, members: int | None = None) -> dict[int, float]:
    """Index → weight of the members an explanation covers: those with a positive weight, the
    ``members`` heaviest of them when given."""
    weights = {i: float(w) for i, w in enumerate(estimator.weights) if w > 0}
    if members is not None and members < len(weights):
        heaviest = sorted(weights, key=lambda i: (-weights[i], i))[: max(1, members)]
        weights = {i: weights[i] for i in sorted(heaviest)}
    return weights


def prepare_parts(
    estimator: Any,
    background: np.ndarray,
    *,
    classes: list[Any] | None = None,
    permutations: int | None = None,
    members: int | None = None,
    seed: int = 0,
) -> tuple[str, list[Part], list[str]]:
    """The explainer kind of ``estimator``, its prepared parts and notes on the method.

    An ensemble is the weighted sum of its members' SHAP values in its own output space
    (with ``members``, only the heaviest ones, their weights scaled to sum 1: the values then
    add up to those members' weighted output, not exactly the ensemble's).
    """
    background = np.asarray(background, dtype=np.float64)
    rng = np.random.default_rng(seed)
    kind: str = explainer_kind(estimator)
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*shap values output has changed.*")
        warnings.filterwarnings("ignore", category=UserWarning)
        if kind == "tree":
            return kind, [_tree_part(estimator, 1.0, background)], notes
        if kind == "linear":
            import shap

            prep, last = estimator[:-1], estimator.steps[-1][1]
            explainer = shap.LinearExplainer(
                last, shap.maskers.Independent(prep.transform(background))
            )

            def linear(X: np.ndarray) -> Values:
                values = _as_3d(explainer.shap_values(prep.transform(X)))
                return values, _as_base(explainer.expected_value, values.shape[2])

            notes.append("linear SHAP in the scaled feature space (log-odds for classifiers)")
            return kind, [Part("linear", 1.0, linear, background)], notes
        if kind == "ensemble":
            chosen = ensemble_members(estimator, members)
            try:
                parts = [
                    _member_part(
                        estimator.estimators[i],
                        w,
                        background,
                        estimator.n_classes,
                        permutations,
                        rng,
                    )
                    for i, w in chosen.items()
                ]
            except ValueError:
                kind = "permutation"
            else:
                notes.append("weighted sum of the members' SHAP values in the ensemble's output")
                every = len(ensemble_members(estimator))
                if len(chosen) < every:
                    notes.append(
                        f"the {len(chosen)} heaviest of {every} members explained, their "
                        "weights scaled to sum 1"
                    )
                return kind, parts, notes
    fn = getattr(estimator, "predict_proba", None) or estimator.predict
    return kind, [_permutation_part(fn, 1.0, background, permutations, rng)], notes


def apply_parts(parts: list[Part], X: np.ndarray) -> Values:
    """SHAP values of the rows ``X``: the parts' values summed with their weights (scaled to
    sum 1)."""
    X = np.asarray(X, dtype=np.float64)
    total = sum(p.weight for p in parts)
    values: np.ndarray | None = None
    base: np.ndarray | None = None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*shap values output has changed.*")
        warnings.filterwarnings("ignore", category=UserWarning)
        for part in parts:
            v, b = part.run(X)
            share = part.weight / total
            values = v * share if values is None else values + v * share
            base = b * share if base is None else base + b * share
    assert values is not None and base is not None
    return values, base


def output_names(classes: list[Any] | None, outputs: int) -> list[str]:
    """Names of the explained outputs: ``value``, the positive class of a one-output binary
    model, or the class labels."""
    if classes is None:
        return ["value"]
    if outputs == 1:  # a binary model explained in one raw output: the positive class's
        return [str(classes[-1])]
    return [str(c) for c in classes][:outputs]


def explain_matrix(
    estimator: Any,
    X: np.ndarray,
    feature_names: list[str],
    *,
    background: np.ndarray | None = None,
    classes: list[Any] | None = None,
    permutations: int | None = None,
    members: int | None = None,
    seed: int = 0,
) -> ShapExplanation:
    """SHAP values of the rows ``X`` (already transformed features) for ``estimator``.

    Args:
        estimator: a fitted tree model, scaler + linear pipeline, or anything with
            ``predict_proba`` / ``predict`` (ensembles).
        X: the rows to explain.
        feature_names: names of ``X``'s columns.
        background: rows standing for "feature unknown" (linear and permutation explainers;
            default ``X`` itself).
        classes: class labels of a classifier (names the outputs).
        permutations: feature orders per row of the permutation explainer (default: about
            500 model evaluations per row); fewer are cheaper and noisier, never biased.
        members: explain only the heaviest ``members`` of an ensemble (default: all).
        seed: seeds the permutation explainer's feature orders.
    """
    X = np.asarray(X, dtype=np.float64)
    background = X if background is None else np.asarray(background, dtype=np.float64)
    kind, parts, notes = prepare_parts(
        estimator,
        background,
        classes=classes,
        permutations=permutations,
        members=members,
        seed=seed,
    )
    values, base = apply_parts(parts, X)
    return ShapExplanation(
        values=values,
        base_values=_as_base(base, values.shape[2]),
        data=X,
        feature_names=list(feature_names),
        output_names=output_names(classes, values.shape[2]),
        explainer=kind,
        notes=notes,
    )


def explain_fitted(model: Any, X: np.ndarray) -> ShapExplanation:
    """SHAP values of feature rows ``X`` for a :class:`~fas_ray.ml.FittedModel`, against the
    background sample kept with it (``X`` itself for models saved without one; ensembles use
    at most 25 background rows, which keeps the per-member explainers fast)."""
    background = getattr(model, "background", None)
    if background is None:
        background = X
    if model.is_ensemble:
        background = background[:25]
    return explain_matrix(
        model.estimator,
        X,
        model.features.feature_names,
        background=background,
        classes=list(model.task.classes) if model.task.is_classification else None,
    )
