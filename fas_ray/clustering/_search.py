"""The clustering search: every family's configurations, scored on a seeded sample, then one
chosen in two steps.

1. **How many clusters**: the silhouette (Euclidean, in the clustering space) of each
   candidate's labels on a seeded sample of at most ``SAMPLE_ROWS`` rows; noise rows (HDBSCAN's
   ``-1``) are left out and the score is multiplied by the share of rows clustered. The best
   candidate's number of clusters ``k*`` is the answer.
2. **Which shape**: among the candidates with ``k*`` clusters, the one
   whose clusters are best separated along the data's neighbourhood graph: the silhouette on
   shortest-path distances of a ``GRAPH_NEIGHBOURS``-nearest-neighbour graph of at most
   ``GRAPH_ROWS`` sample rows (pairs in different components count as twice the longest path).
   For round clusters this agrees with step 1; for elongated or curved ones (two moons) it
   prefers the candidate that follows their shape, which the Euclidean silhouette cannot see.

Candidates are tried cheapest family first (KMeans, HDBSCAN, mixtures) until the deadline; a
configuration whose family's last fit would not end before it is skipped. Fixed seeds and a
search that ends before the deadline give the same result every time.
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from fas_ray.clustering._candidates import FAMILIES, FittedCandidate

__all__ = [
    "GRAPH_NEIGHBOURS",
    "GRAPH_ROWS",
    "SAMPLE_ROWS",
    "CandidateScore",
    "SearchOutcome",
    "graph_distances",
    "search_clusters",
    "silhouette_of",
]

SAMPLE_ROWS = 3_000
GRAPH_ROWS = 2_000
GRAPH_NEIGHBOURS = 10


@dataclass
class CandidateScore:
    """One leaderboard row."""

    model: str
    params: dict[str, Any]
    k: int
    silhouette: float | None
    seconds: float
    bic: float | None = None
    noise_share: float = 0.0
    graph_silhouette: float | None = None
    chosen: bool = False

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(float(v), 6)

        return {
            "model": self.model,
            "k": self.k,
            "silhouette": r(self.silhouette),
            "bic": r(self.bic),
            "noise_share": r(self.noise_share),
            "graph_silhouette": r(self.graph_silhouette),
            "seconds": round(self.seconds, 4),
            "chosen": self.chosen,
            "params": dict(self.params),
        }


@dataclass
class SearchOutcome:
    scores: list[CandidateScore]  # chosen first, then by silhouette
    best: FittedCandidate
    complete: bool  # every configuration was tried
    sample: np.ndarray  # the silhouette sample's row numbers


def silhouette_of(Z: np.ndarray, labels: np.ndarray, metric: str = "euclidean") -> float | None:
    """Silhouette of the clustered rows times their share; None with fewer than 2 clusters."""
    from sklearn.metrics import silhouette_score

    kept = labels >= 0
    found = np.unique(labels[kept])
    if found.size < 2 or found.size >= kept.sum():
        return None
    if metric == "precomputed":
        Z = Z[np.ix_(kept, kept)]
    else:
        Z = Z[kept]
    return float(silhouette_score(Z, labels[kept], metric=metric)) * float(kept.mean())


def graph_distances(Z: np.ndarray, neighbours: int = GRAPH_NEIGHBOURS) -> np.ndarray:
    """Shortest-path distances along the symmetric k-nearest-neighbour graph of ``Z``."""
    from scipy.sparse.csgraph import shortest_path
    from sklearn.neighbors import kneighbors_graph

    graph = kneighbors_graph(Z, min(neighbours, len(Z) - 1), mode="distance")
    D = shortest_path(graph.maximum(graph.T), directed=False)
    finite = np.isfinite(D)
    D[~finite] = 2 * D[finite].max() if finite.any() else 1.0
    return D


def _value(score: float | None) -> float:
    return -np.inf if score is None else score


def _grid(space: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(space)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(space[n].choices for n in names))
    ]


def search_clusters(
    Z: np.ndarray,
    *,
    ks: list[int],
    families: tuple[str, ...],
    seed: int,
    deadline: float | None,
    sample_rows: int = SAMPLE_ROWS,
) -> SearchOutcome:
    """Fit every family's configurations on ``Z`` until ``deadline`` (``time.perf_counter``);
    return the leaderboard and the chosen fit (see the module doc)."""
    from sklearn.exceptions import ConvergenceWarning

    n = len(Z)
    order = np.random.default_rng(seed).permutation(n)
    sample = np.sort(order[:sample_rows])
    configs = [
        (name, params)
        for name in ("kmeans", "hdbscan", "gmm")
        if name in families
        for params in _grid(FAMILIES[name].search_space(n, Z.shape[1], ks))
    ]
    scores: list[CandidateScore] = []
    kept: list[tuple[CandidateScore, FittedCandidate]] = []
    last: dict[str, float] = {}
    complete = True
    for name, params in configs:
        now = time.perf_counter()
        if deadline is not None and scores and now + last.get(name, 0.0) > deadline:
            complete = False
            continue
        with warnings.catch_warnings():  # fewer distinct rows than clusters: a worse score
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = FAMILIES[name].fit(Z, params, seed)
        score = silhouette_of(Z[sample], fitted.labels[sample])
        seconds = time.perf_counter() - now
        last[name] = seconds
        row = CandidateScore(
            name,
            params,
            fitted.n_clusters,
            score,
            seconds,
            bic=fitted.bic,
            noise_share=float(fitted.extra.get("noise_share", 0.0)),
        )
        scores.append(row)
        if score is not None:
            fitted.labels = fitted.labels.astype(np.int32)  # kept until the choice: half size
            kept.append((row, fitted))
    if not kept:
        from fas_ray.exceptions import InputError

        raise InputError(
            "No clustering separates these rows: every candidate put them in one group; the "
            "rows may be (nearly) identical."
        )
    best_row = max((r for r, _ in kept), key=lambda r: _value(r.silhouette))
    finalists = [(r, f) for r, f in kept if r.k == best_row.k]
    chosen = finalists[0] if len(finalists) == 1 else _by_graph(Z, order, finalists)
    chosen[0].chosen = True
    scores.sort(key=lambda r: (not r.chosen, -_value(r.silhouette)))
    return SearchOutcome(scores, chosen[1], complete, sample)


def _by_graph(
    Z: np.ndarray, order: np.ndarray, finalists: list[tuple[CandidateScore, FittedCandidate]]
) -> tuple[CandidateScore, FittedCandidate]:
    rows = np.sort(order[:GRAPH_ROWS])
    D = graph_distances(Z[rows])
    best, best_value = finalists[0], -np.inf
    for row, fitted in finalists:
        row.graph_silhouette = silhouette_of(D, fitted.labels[rows], metric="precomputed")
        value = _value(row.graph_silhouette)
        if value > best_value:
            best, best_value = (row, fitted), value
    return best
