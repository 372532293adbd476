"""The clusterer (search, fit, profile) and the fitted model the registry stores and serves.

>>> from fas_ray.clustering import Clusterer                       # doctest: +SKIP
>>> clusterer = Clusterer(time_budget=30, seed=0).fit(frame)      # doctest: +SKIP
>>> clusterer.labels_, clusterer.leaderboard(), clusterer.profile_  # doctest: +SKIP
>>> clusterer.predict(new_rows)                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from fas_ray.clustering._candidates import FAMILIES, FittedCandidate
from fas_ray.clustering._profile import cluster_profile
from fas_ray.clustering._search import SAMPLE_ROWS, CandidateScore, search_clusters
from fas_ray.clustering._space import ClusterSpace
from fas_ray.etl import ColumnType
from fas_ray.exceptions import ConfigError, InputError
from fas_ray.features import FeatureBuilder, to_polars
from fas_ray.ml import TaskInfo, detect_task_from_frame

__all__ = ["MAX_CLUSTERS", "MIN_ROWS", "ClusterModel", "Clusterer", "cluster_counts"]

MIN_ROWS = 10
MAX_CLUSTERS = 12
_PROJECTION_ROWS = 20_000


def cluster_counts(n_rows: int, max_clusters: int = MAX_CLUSTERS) -> list[int]:
    """The numbers of clusters tried: 2 to ``min(max_clusters, sqrt(n_rows))`` (at least 2)."""
    return list(range(2, max(2, min(max_clusters, math.isqrt(n_rows))) + 1))


@dataclass
class ClusterModel:
    """Raw rows in, cluster labels out: features, clustering space, the chosen fit and a 2-D
    projection (PCA of the clustering space) for charts.

    It answers like :class:`~fas_ray.ml.FittedModel` where a server or the CLI asks
    (``features``, ``task``, ``learner``, ``predict``, ``predict_both``, ``metadata``).
    """

    features: FeatureBuilder
    space: ClusterSpace
    fitted: FittedCandidate
    projector: Any
    task: TaskInfo
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def learner(self) -> str:
        return self.fitted.family

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.fitted.params)

    @property
    def n_clusters(self) -> int:
        return self.fitted.n_clusters

    @property
    def classes_(self) -> list[int]:
        """The cluster labels, ``0..k-1`` (largest training cluster first)."""
        return list(range(self.n_clusters))

    def embed(self, data: Any) -> np.ndarray:
        """Rows of ``data`` in the clustering space."""
        return self.space.transform(self.features.transform(to_polars(data)))

    def predict(self, data: Any) -> np.ndarray:
        """The cluster of each row (new rows are never noise)."""
        return self.fitted.predict(self.embed(data))

    def predict_both(self, data: Any) -> tuple[np.ndarray, None]:
        """Labels and no probabilities (the model app's batch interface)."""
        return self.predict(data), None

    def project(self, data: Any) -> np.ndarray:
        """2-D coordinates of the rows (PCA of the clustering space), for a scatter chart."""
        return np.asarray(self.projector.transform(self.embed(data)))


class Clusterer:
    """Clusters a table without a target: scaled features, KMeans / GaussianMixture / HDBSCAN
    candidates, the number of clusters and the model chosen by silhouette (see
    :mod:`fas_ray.clustering._search`), a per-cluster profile and a 2-D projection.

    Args:
        time_budget: seconds for ``fit`` (``None``: every candidate is tried). Fixed seeds and a
            search that ends within the budget make the result deterministic.
        seed: seed of the samples and every model.
        max_clusters: the most clusters tried (also at most sqrt of the rows).
        families: model families to try (``kmeans``, ``gmm``, ``hdbscan``).
        sample_rows: rows the silhouette is computed on (a seeded sample).
    """

    def __init__(
        self,
        *,
        time_budget: float | None = 60.0,
        seed: int = 0,
        max_clusters: int = MAX_CLUSTERS,
        families: Sequence[str] = ("kmeans", "gmm", "hdbscan"),
        sample_rows: int = SAMPLE_ROWS,
    ) -> None:
        if time_budget is not None and not time_budget > 0:
            raise ConfigError(f"time_budget must be positive, got {time_budget}.")
        if max_clusters < 2:
            raise ConfigError(f"max_clusters must be at least 2, got {max_clusters}.")
        unknown = [f for f in families if f not in FAMILIES]
        if unknown or not families:
            raise ConfigError(
                f"Unknown clustering families {', '.join(unknown) or '(none given)'}; choose "
                f"from {', '.join(FAMILIES)}."
            )
        if sample_rows < 100:
            raise ConfigError(f"sample_rows must be at least 100, got {sample_rows}.")
        self.time_budget = time_budget
        self.seed = seed
        self.max_clusters = max_clusters
        self.families = tuple(families)
        self.sample_rows = sample_rows
        self.model_: ClusterModel | None = None
        self.labels_: np.ndarray = np.zeros(0, dtype=np.int64)
        self.scores_: list[CandidateScore] = []
        self.profile_: dict[str, Any] = {}
        self.complete_ = False
        self.sample_: np.ndarray = np.zeros(0, dtype=np.int64)
        self.fit_seconds_ = 0.0

    def fit(self, data: Any, *, types: dict[str, ColumnType] | None = None) -> Clusterer:
        """Search and fit on every row of ``data`` (a frame, Arrow table or records).

        Args:
            types: ETL column types (the pipeline passes the silver layer's).

        Raises:
            InputError: fewer than ``MIN_ROWS`` rows, or no column to cluster on.
        """
        from sklearn.decomposition import PCA

        started = time.perf_counter()
        deadline = None if self.time_budget is None else started + self.time_budget
        df = to_polars(data)
        if df.height < MIN_ROWS or df.width == 0:
            raise InputError(
                f"Clustering needs at least {MIN_ROWS} rows with at least one column; got "
                f"{df.height} rows and {df.width} columns."
            )
        semantic = {k: str(v.semantic) for k, v in (types or {}).items()}
        task = detect_task_from_frame(df, None, semantic or None, unsupervised=True)
        builder = FeatureBuilder(target="", types=dict(types or {}))
        try:
            builder.fit(df)
        except InputError:
            raise InputError(
                "No column to cluster on: every column is constant, empty or an identifier."
            ) from None
        M = builder.transform(df)
        space = ClusterSpace.fit(builder, M)
        Z = space.transform(M)
        outcome = search_clusters(
            Z,
            ks=cluster_counts(df.height, self.max_clusters),
            families=self.families,
            seed=self.seed,
            deadline=deadline,
            sample_rows=self.sample_rows,
        )
        rows = np.random.default_rng(self.seed).permutation(len(Z))[:_PROJECTION_ROWS]
        projector = PCA(n_components=min(2, Z.shape[1]), random_state=self.seed).fit(Z[rows])
        self.model_ = ClusterModel(builder, space, outcome.best, projector, task)
        self.labels_ = outcome.best.labels.astype(np.int64)
        outcome.best.labels = outcome.best.labels[:0]  # the model needs no training labels
        self.scores_, self.complete_ = outcome.scores, outcome.complete
        self.sample_ = outcome.sample
        self.profile_ = cluster_profile(
            builder.prepare(df), self.labels_, space, space.standardised(M)
        )
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _model(self) -> ClusterModel:
        if self.model_ is None:
            raise ConfigError("This Clusterer is not fitted yet; call fit(data) first.")
        return self.model_

    @property
    def model(self) -> ClusterModel:
        return self._model()

    def predict(self, data: Any) -> np.ndarray:
        """The cluster of each row of ``data``."""
        return self._model().predict(data)

    def leaderboard(self) -> pl.DataFrame:
        """Candidates tried, the chosen one first, then by silhouette: rank, model, k,
        silhouette, BIC (mixtures), noise share, graph silhouette (finalists), seconds,
        params as JSON."""
        import json

        self._model()
        rows = []
        for i, s in enumerate(self.scores_):
            row = s.to_json()
            row["params"] = json.dumps(row["params"], sort_keys=True)
            rows.append({"rank": i + 1, **row})
        return pl.DataFrame(rows, infer_schema_length=None)

    def summary(self) -> dict[str, Any]:
        """The chosen model and the search, JSON-ready."""
        model = self._model()
        chosen = self.scores_[0]
        return {
            "model": model.learner,
            "params": model.params,
            "k": model.n_clusters,
            "silhouette": chosen.to_json()["silhouette"],
            "graph_silhouette": chosen.to_json()["graph_silhouette"],
            "noise_rows": int((self.labels_ < 0).sum()),
            "candidates": len(self.scores_),
            "complete": self.complete_,
            "features": model.space.columns,
            "dropped": dict(model.space.dropped),
            "seconds": round(self.fit_seconds_, 3),
        }
