"""SHAP values sized to a time allotment: fewer rows, a smaller background, fewer permutations
or fewer ensemble members when the full explanation would not fit.

The cost of an explanation is measured, not guessed: the explainers are prepared once, each
tree or linear part explains two rows to time itself, and each permutation part times one
call of its model on a block of background rows (a permutation row costs
``permutations * (2 * features - 1) * background`` such evaluations). The richest size that fits
is then explained in chunks, checking the clock between chunks, so a wrong estimate costs at
most one chunk.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fas_ray.budget import Budget
from fas_ray.explain._values import (
    Part,
    ShapExplanation,
    _as_base,
    apply_parts,
    default_permutations,
    ensemble_members,
    explain_matrix,
    is_ensemble,
    output_names,
    prepare_parts,
)

__all__ = ["ShapSize", "SizedExplanation", "explain_within"]

_SMALL_BACKGROUND = 25  # the background ensembles use anyway (explain_fitted)
_SMALLEST_BACKGROUND = 10
_KEEP_ROWS = 50  # rows kept before permutations or members are cut
_NEGLIGIBLE_S = 0.25  # work this cheap is done in full, even with no time left
_BUILD_S_PER_CELL = 6e-9  # building the masked rows of the permutation explainer
_RATE_ROWS = 1000  # rows of one timed model call


@dataclass(frozen=True)
class ShapSize:
    """How much SHAP work: rows explained, background rows, permutations per row (permutation
    explainers) and ensemble members (``None``: all)."""

    rows: int
    background: int
    permutations: int
    members: int | None = None

    def reductions(self, full: ShapSize, every_member: int) -> list[str]:
        """What this size gives up against ``full``, in words."""
        out = []
        if self.rows < full.rows:
            out.append(f"{self.rows} rows instead of {full.rows}")
        if self.background < full.background:
            out.append(f"a background of {self.background} rows instead of {full.background}")
        if self.permutations < full.permutations:
            out.append(
                f"{self.permutations} permutation{'s' if self.permutations > 1 else ''} per row "
                f"instead of {full.permutations}"
            )
        if self.members is not None and self.members < every_member:
            out.append(f"{self.members} of {every_member} ensemble members")
        return out


@dataclass(frozen=True)
class SizedExplanation:
    """An explanation, the size it was computed at, the full size and its estimated cost, and
    plain notes on what was reduced."""

    explanation: ShapExplanation
    size: ShapSize
    full: ShapSize
    estimate_s: float
    notes: list[str] = field(default_factory=list)

    @property
    def reduced(self) -> bool:
        return self.size != self.full


def _timed(fn: Callable[[], object], clock: Callable[[], float]) -> float:
    start = clock()
    fn()
    return clock() - start


@dataclass(frozen=True)
class _PartCost:
    """Seconds per explained row of one part, given the background rows and permutations:
    ``per_row`` for a tree or linear part (scaled by the background for interventional
    TreeSHAP, measured at ``background``), or ``permutations * evals * background * rate``
    for a permutation part (``rate``: seconds per model evaluation)."""

    per_row: float = 0.0
    rate: float = 0.0
    evals: int = 0
    background: int = 0

    def seconds(self, background: int, permutations: int) -> float:
        if self.rate:
            return permutations * self.evals * background * self.rate
        if self.background:
            return self.per_row * background / self.background
        return self.per_row


def _part_costs(
    parts: list[Part], probe: np.ndarray, clock: Callable[[], float]
) -> list[_PartCost]:
    """What each part costs per explained row (see :class:`_PartCost`), measured."""
    n_features = probe.shape[1]
    costs: list[_PartCost] = []
    for part in parts:
        fn = part.fn
        if part.kind == "permutation" and fn is not None:
            block = np.resize(part.background, (_RATE_ROWS, n_features))
            rate = _timed(functools.partial(fn, block), clock) / _RATE_ROWS
            rate += n_features * _BUILD_S_PER_CELL
            costs.append(_PartCost(rate=rate, evals=2 * n_features - 1))
            continue
        per_row = _timed(functools.partial(part.run, probe), clock) / len(probe)
        if part.kind == "interventional":  # the cost grows with the background
            costs.append(_PartCost(per_row=per_row, background=len(part.background)))
        else:
            costs.append(_PartCost(per_row=per_row))
    return costs


def _candidates(full: ShapSize, n_members: int, tunable: bool) -> list[tuple[ShapSize, int]]:
    """Sizes from the richest to the cheapest, each with the rows it must keep to be chosen."""
    if not tunable:
        return [(full, full.rows)]
    small = min(full.background, _SMALL_BACKGROUND)
    smallest = min(full.background, _SMALLEST_BACKGROUND)
    keep = min(full.rows, _KEEP_ROWS)
    p = full.permutations
    steps: list[tuple[int, int, int | None, int]] = [
        (full.background, p, None, full.rows),
        (small, p, None, full.rows),
        (small, p, None, keep),
        (small, max(1, p // 4), None, keep),
        (small, 1, None, keep),
        (smallest, 1, None, min(keep, 20)),
    ]
    steps += [(smallest, 1, m, min(keep, 20)) for m in range(n_members - 1, 0, -1)]
    out: list[tuple[ShapSize, int]] = []
    for b, perms, members, need in steps:
        size = ShapSize(full.rows, b, perms, members)
        if (size, need) not in out:
            out.append((size, need))
    return out


def explain_within(
    estimator: Any,
    X: np.ndarray,
    feature_names: list[str],
    *,
    background: np.ndarray,
    seconds: float | None,
    classes: list[Any] | None = None,
    seed: int = 0,
    min_rows: int = 10,
    clock: Callable[[], float] = time.perf_counter,
) -> SizedExplanation:
    """SHAP values of (up to) the rows ``X``, sized to take about ``seconds``.

    The full size explains every row of ``X`` against the whole ``background`` with the
    default permutations and every ensemble member. When that does not fit, the background
    goes down to 25 rows, then rows to 50, then permutations to one per row, then the
    background to 10 rows and the rows to 20, then ensemble members (lightest first); at
    least ``min_rows`` rows are always explained, even past ``seconds``, and work estimated
    at under a quarter of a second is done in full.

    Args:
        estimator: as for :func:`~fas_ray.explain.explain_matrix`.
        X: the candidate rows (a random sample: the first rows are explained first).
        background: the rows standing for "feature unknown".
        seconds: the allotment; ``None`` explains everything at full size, unmeasured.
        clock: a clock in seconds (tests pass a fake one).
    """
    X = np.asarray(X, dtype=np.float64)
    background = np.asarray(background, dtype=np.float64)
    n_features = X.shape[1]
    every = len(ensemble_members(estimator)) if is_ensemble(estimator) else 1
    full = ShapSize(len(X), len(background), default_permutations(n_features), None)
    if seconds is None or len(X) == 0:
        explanation = explain_matrix(
            estimator, X, feature_names, background=background, classes=classes, seed=seed
        )
        return SizedExplanation(explanation, full, full, 0.0)
    budget = Budget(max(seconds, 1e-3), clock=clock)
    kind, parts, _ = prepare_parts(estimator, background, classes=classes, seed=seed)
    costs = _part_costs(parts, X[: min(2, len(X))], clock)
    tunable = any(p.kind in ("permutation", "interventional") for p in parts) or every > 1
    by_weight = sorted(range(len(parts)), key=lambda i: (-parts[i].weight, i))

    def per_row(size: ShapSize) -> float:
        covered = by_weight if size.members is None else by_weight[: size.members]
        return sum(costs[i].seconds(size.background, size.permutations) for i in covered)

    estimate = budget.elapsed() + per_row(full) * full.rows
    left = budget.left()
    options = _candidates(full, every if kind == "ensemble" else 1, tunable)
    chosen = options[-1][0]
    for size, need in options:
        cost = per_row(size)
        fits = cost * full.rows <= _NEGLIGIBLE_S or budget.plan(cost * full.rows).full
        fit = full.rows if fits else int(left / max(cost, 1e-9))
        if fit >= need:
            chosen = size
            break
    if (chosen.background, chosen.permutations, chosen.members) != (
        full.background,
        full.permutations,
        None,
    ):
        kind, parts, _ = prepare_parts(
            estimator,
            background[: chosen.background],
            classes=classes,
            permutations=chosen.permutations,
            members=chosen.members,
            seed=seed,
        )
    values, base, done = _in_chunks(parts, X, budget, min_rows, per_row(chosen))
    size = ShapSize(done, chosen.background, chosen.permutations, chosen.members)
    explanation = ShapExplanation(
        values=values,
        base_values=_as_base(base, values.shape[2]),
        data=X[:done],
        feature_names=list(feature_names),
        output_names=output_names(classes, values.shape[2]),
        explainer=kind,
        notes=_method_notes(kind, size, every),
    )
    notes = []
    reductions = size.reductions(full, every)
    if reductions:
        notes.append(
            f"SHAP on {', '.join(reductions)}: {seconds:.1f} s allotted, the full size "
            f"needs about {estimate:.1f} s"
        )
    return SizedExplanation(explanation, size, full, estimate, notes)


def _method_notes(kind: str, size: ShapSize, every: int) -> list[str]:
    notes = []
    if kind == "linear":
        notes.append("linear SHAP in the scaled feature space (log-odds for classifiers)")
    if kind == "ensemble":
        notes.append("weighted sum of the members' SHAP values in the ensemble's output")
        if size.members is not None and size.members < every:
            notes.append(
                f"the {size.members} heaviest of {every} members explained, their weights "
                "scaled to sum 1"
            )
    return notes


def _in_chunks(
    parts: list[Part], X: np.ndarray, budget: Budget, min_rows: int, per_row: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Explain ``X`` chunk by chunk until done or out of time (at least ``min_rows`` rows)."""
    chunks: list[np.ndarray] = []
    base: np.ndarray | None = None
    done = 0
    step = max(min_rows, math.ceil(len(X) / 4))
    while done < len(X):
        fit = int(budget.left() * (1.0 + budget.tolerance) / max(per_row, 1e-9))
        if (len(X) - done) * per_row <= _NEGLIGIBLE_S:
            fit = len(X) - done
        n = min(step, len(X) - done, fit)
        if done < min_rows:
            n = max(n, min_rows - done)
        elif n < 1:
            break
        started = budget.elapsed()
        values, base = apply_parts(parts, X[done : done + n])
        chunks.append(values)
        done += len(values)
        per_row = (budget.elapsed() - started) / max(1, len(values))
    assert base is not None
    return np.concatenate(chunks, axis=0), base, done
