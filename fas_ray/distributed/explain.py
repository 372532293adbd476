"""SHAP values of many rows, computed in parallel by Ray tasks over row chunks."""

from __future__ import annotations

from typing import Any

import numpy as np
import ray

from fas_ray.explain import ShapExplanation, explain_matrix

__all__ = ["explain_parallel"]


def _explain_chunk(
    estimator: Any,
    X: np.ndarray,
    names: list[str],
    background: np.ndarray | None,
    classes: list[Any] | None,
) -> tuple[ShapExplanation, str]:
    """One chunk's values, and the node that computed them."""
    values = explain_matrix(estimator, X, names, background=background, classes=classes)
    return values, ray.get_runtime_context().get_node_id()[:12]


def explain_parallel(
    estimator: Any,
    X: np.ndarray,
    feature_names: list[str],
    *,
    background: np.ndarray | None = None,
    classes: list[Any] | None = None,
    chunk_rows: int = 200,
) -> ShapExplanation:
    """:func:`~fas_ray.explain.explain_matrix` of ``X`` split into chunks of ``chunk_rows``,
    one Ray task each (the model and background are put in the object store once); the same
    values as one call, for samples too large to explain in one process in good time."""
    if len(X) <= chunk_rows:
        return explain_matrix(estimator, X, feature_names, background=background, classes=classes)
    task = ray.remote(num_cpus=1)(_explain_chunk)
    est_ref = ray.put(estimator)
    bg_ref = ray.put(background)
    refs = [
        task.remote(est_ref, X[i : i + chunk_rows], feature_names, bg_ref, classes)
        for i in range(0, len(X), chunk_rows)
    ]
    done: list[tuple[ShapExplanation, str]] = ray.get(refs)
    parts = [p for p, _ in done]
    by_node: dict[str, int] = {}
    for _, node in done:
        by_node[node] = by_node.get(node, 0) + 1
    spread = ", ".join(f"{n} on {node}" for node, n in sorted(by_node.items()))
    first = parts[0]
    return ShapExplanation(
        values=np.concatenate([p.values for p in parts]),
        base_values=first.base_values,
        data=np.concatenate([p.data for p in parts]),
        feature_names=first.feature_names,
        output_names=first.output_names,
        explainer=first.explainer,
        notes=[
            *first.notes,
            f"computed in {len(parts)} Ray tasks of {chunk_rows} rows (by node: {spread})",
        ],
    )
