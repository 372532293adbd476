"""The model families a clustering search tries, each with its own small space.

A family declares its space for a data shape (:meth:`ClusterFamily.search_space`, typed
domains as the learners' are) and fits one configuration to a :class:`FittedCandidate`:

- ``kmeans``: KMeans (MiniBatchKMeans from ``MINIBATCH_ROWS`` rows), ``n_clusters``;
- ``gmm``: GaussianMixture, ``n_components`` and ``covariance_type`` (``diag``; also ``full``
  when every component has at least ``d (d + 1) / 2`` rows on average, enough to estimate a full
  covariance), fitted on at most ``GMM_ROWS`` rows, its BIC recorded;
- ``hdbscan``: scikit-learn's HDBSCAN, ``min_cluster_size`` (1, 2.5 and 5 % of the rows, at
  least 5), fitted on at most ``HDBSCAN_ROWS`` rows; rows it calls noise keep the label ``-1``.

Cluster labels are renumbered by size, largest first (``0``). New rows: KMeans and the mixture
assign their nearest centre / most likely component; HDBSCAN has no model of new rows, so a row
takes the majority label of its ``NEIGHBOURS`` nearest clustered training rows (never noise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from fas_ray.ml import CategoricalDomain

__all__ = [
    "FAMILIES",
    "GMM_ROWS",
    "HDBSCAN_ROWS",
    "MINIBATCH_ROWS",
    "NEIGHBOURS",
    "ClusterFamily",
    "FittedCandidate",
    "GaussianMixtureFamily",
    "HDBSCANFamily",
    "KMeansFamily",
]

MINIBATCH_ROWS = 20_000
GMM_ROWS = 20_000
HDBSCAN_ROWS = 5_000
NEIGHBOURS = 5
_HDBSCAN_SHARES = (0.01, 0.025, 0.05)


@dataclass
class FittedCandidate:
    """One fitted configuration: labels of the training rows and how new rows get one."""

    family: str
    params: dict[str, Any]
    estimator: Any  # predicts raw labels of new rows (HDBSCAN: a nearest-neighbour vote)
    mapping: np.ndarray  # raw label -> label by size (largest 0)
    labels: np.ndarray  # training rows; -1 is noise
    bic: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    n_clusters: int = -1  # clusters among the training labels (set from them)

    def __post_init__(self) -> None:
        if self.n_clusters < 0:
            found = self.labels[self.labels >= 0]
            self.n_clusters = int(found.max()) + 1 if found.size else 0

    def predict(self, Z: np.ndarray) -> np.ndarray:
        """Cluster labels of rows of the clustering space (never noise)."""
        if self.estimator is None:
            return np.full(len(Z), -1, dtype=np.int64)
        raw = np.asarray(self.estimator.predict(Z), dtype=np.int64)
        return self.mapping[raw] if self.family != "hdbscan" else raw


def _by_size(raw: np.ndarray, m: int | None = None) -> np.ndarray:
    """A mapping of raw labels ``0..m-1`` to labels by size (largest first; ties by label;
    empty ones last)."""
    if m is None:
        m = int(raw.max()) + 1 if raw.size and raw.max() >= 0 else 0
    counts = np.bincount(raw[raw >= 0], minlength=m)
    order = np.lexsort((np.arange(m), -counts))
    mapping = np.empty(m, dtype=np.int64)
    mapping[order] = np.arange(m)
    return mapping


def _rows(n: int, limit: int, seed: int) -> np.ndarray | None:
    """A seeded sorted sample of ``limit`` of ``n`` rows, or None when all fit."""
    if n <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


class ClusterFamily(Protocol):
    """A model family the clustering search can choose."""

    name: str

    def search_space(self, n_rows: int, n_features: int, ks: list[int]) -> dict[str, Any]: ...

    def fit(self, Z: np.ndarray, params: dict[str, Any], seed: int) -> FittedCandidate: ...


class KMeansFamily:
    name = "kmeans"

    def search_space(self, n_rows: int, n_features: int, ks: list[int]) -> dict[str, Any]:
        return {"n_clusters": CategoricalDomain(tuple(ks))}

    def fit(self, Z: np.ndarray, params: dict[str, Any], seed: int) -> FittedCandidate:
        from sklearn.cluster import KMeans, MiniBatchKMeans

        k = int(params["n_clusters"])
        if len(Z) > MINIBATCH_ROWS:
            est: Any = MiniBatchKMeans(k, n_init=3, batch_size=4096, random_state=seed)
        else:
            est = KMeans(k, n_init=4, random_state=seed)
        raw = np.asarray(est.fit(Z).labels_, dtype=np.int64)
        mapping = _by_size(raw, k)
        return FittedCandidate(
            self.name, dict(params), est, mapping, mapping[raw], extra={"inertia": est.inertia_}
        )


class GaussianMixtureFamily:
    name = "gmm"

    def search_space(self, n_rows: int, n_features: int, ks: list[int]) -> dict[str, Any]:
        types: tuple[str, ...] = ("diag",)
        if min(n_rows, GMM_ROWS) / max(ks) >= n_features * (n_features + 1) / 2:
            types += ("full",)
        return {
            "covariance_type": CategoricalDomain(types),
            "n_components": CategoricalDomain(tuple(ks)),
        }

    def fit(self, Z: np.ndarray, params: dict[str, Any], seed: int) -> FittedCandidate:
        from sklearn.mixture import GaussianMixture

        rows = _rows(len(Z), GMM_ROWS, seed)
        fit_on = Z if rows is None else Z[rows]
        est = GaussianMixture(
            int(params["n_components"]),
            covariance_type=params["covariance_type"],
            reg_covar=1e-4,
            random_state=seed,
        ).fit(fit_on)
        raw = np.asarray(est.predict(Z), dtype=np.int64)
        mapping = _by_size(raw, est.n_components)
        return FittedCandidate(
            self.name, dict(params), est, mapping, mapping[raw], bic=float(est.bic(fit_on))
        )


class HDBSCANFamily:
    name = "hdbscan"

    def search_space(self, n_rows: int, n_features: int, ks: list[int]) -> dict[str, Any]:
        n = min(n_rows, HDBSCAN_ROWS)
        sizes = sorted({max(5, round(share * n)) for share in _HDBSCAN_SHARES})
        return {"min_cluster_size": CategoricalDomain(tuple(sizes))}

    def fit(self, Z: np.ndarray, params: dict[str, Any], seed: int) -> FittedCandidate:
        from sklearn.cluster import HDBSCAN
        from sklearn.neighbors import KNeighborsClassifier

        rows = _rows(len(Z), HDBSCAN_ROWS, seed)
        fit_on = Z if rows is None else Z[rows]
        size = int(params["min_cluster_size"])
        raw = np.asarray(HDBSCAN(min_cluster_size=size, copy=True).fit(fit_on).labels_)
        mapping = _by_size(raw)
        if mapping.size == 0:  # every row is noise
            labels = np.full(len(Z), -1, dtype=np.int64)
            return FittedCandidate(
                self.name, dict(params), None, mapping, labels, extra={"noise_share": 1.0}
            )
        fitted = np.where(raw >= 0, mapping[np.maximum(raw, 0)], -1)
        clustered = fitted >= 0
        neighbours = KNeighborsClassifier(min(NEIGHBOURS, int(clustered.sum())))
        neighbours.fit(fit_on[clustered], fitted[clustered])
        if rows is None:
            labels = fitted
        else:
            labels = np.asarray(neighbours.predict(Z), dtype=np.int64)
            labels[rows] = fitted
        noise = float(np.mean(fitted < 0))
        return FittedCandidate(
            self.name, dict(params), neighbours, mapping, labels, extra={"noise_share": noise}
        )


FAMILIES: dict[str, ClusterFamily] = {
    f.name: f for f in (KMeansFamily(), GaussianMixtureFamily(), HDBSCANFamily())
}
