"""Clustering when there is no target: :class:`Clusterer` searches KMeans, GaussianMixture and
HDBSCAN on scaled features, chooses the number of clusters by silhouette, profiles each
cluster and projects the rows to 2-D; :class:`ClusterModel` labels new rows."""

from fas_ray.clustering._candidates import (
    FAMILIES,
    ClusterFamily,
    FittedCandidate,
    GaussianMixtureFamily,
    HDBSCANFamily,
    KMeansFamily,
)
from fas_ray.clustering._model import (
    MAX_CLUSTERS,
    MIN_ROWS,
    Clusterer,
    ClusterModel,
    cluster_counts,
)
from fas_ray.clustering._profile import cluster_profile
from fas_ray.clustering._search import CandidateScore, graph_distances, silhouette_of
from fas_ray.clustering._space import ClusterSpace

__all__ = [
    "FAMILIES",
    "MAX_CLUSTERS",
    "MIN_ROWS",
    "CandidateScore",
    "ClusterFamily",
    "ClusterModel",
    "ClusterSpace",
    "Clusterer",
    "FittedCandidate",
    "GaussianMixtureFamily",
    "HDBSCANFamily",
    "KMeansFamily",
    "cluster_counts",
    "cluster_profile",
    "graph_distances",
    "silhouette_of",
]
