"""Clustering quality (issue 15): fas-ray's clusterer, not told the number of clusters, against
KMeans told the true number, by the adjusted Rand index (ARI) with the known labels.

Sets: scikit-learn's iris, wine and digits (the class is the label and is never shown to
either side), generated blobs (``make_blobs(1500, centers=5, n_features=4, cluster_std=1.5,
random_state=0)``: two of the five overlap) and two moons (``make_moons(1000, noise=0.08,
random_state=0)``).

- ``fas-ray``: ``fas_ray.clustering.Clusterer(time_budget=B, seed=0).fit(features)``; its
  training labels (HDBSCAN's noise rows, label ``-1``, count as one more group);
- ``KMeans, true k``: the textbook recipe, ``StandardScaler`` then ``KMeans(n_clusters=true k,
  n_init=10, random_state=0)``.

Prints a Markdown table (it does not edit RESULTS.md).

    .venv/bin/python bench/cluster_quality.py                # ~2 min on 2 cores
    .venv/bin/python bench/cluster_quality.py --sets iris,moons --budget 30
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import polars as pl

SETS = ("iris", "wine", "digits", "blobs", "moons")


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loaders: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
        "iris": lambda: datasets.load_iris(return_X_y=True),
        "wine": lambda: datasets.load_wine(return_X_y=True),
        "digits": lambda: datasets.load_digits(return_X_y=True),
        "blobs": lambda: datasets.make_blobs(
            n_samples=1500, centers=5, n_features=4, cluster_std=1.5, random_state=0
        ),
        "moons": lambda: datasets.make_moons(n_samples=1000, noise=0.08, random_state=0),
    }
    X, y = loaders[name]()
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def fas_ray_labels(X: np.ndarray, budget: float) -> tuple[np.ndarray, str, bool]:
    from fas_ray.clustering import Clusterer

    frame = pl.DataFrame({f"f{i}": X[:, i] for i in range(X.shape[1])})
    clusterer = Clusterer(time_budget=budget, seed=0).fit(frame)
    model = clusterer.model
    return clusterer.labels_, f"{model.learner} k={model.n_clusters}", clusterer.complete_


def kmeans_true_k(X: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    Z = StandardScaler().fit_transform(X)
    return np.asarray(KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(Z))


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--budget", type=float, default=60.0, help="fas-ray's seconds per set")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    lines = [
        "| set | rows | fas-ray model | fas-ray ARI | KMeans true-k ARI | fas-ray s | KMeans s |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    wins = ties = 0
    names = [n for n in args.sets.split(",") if n]
    for name in names:
        X, y = load(name)
        started = time.perf_counter()
        labels, chosen, complete = fas_ray_labels(X, args.budget)
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        baseline = kmeans_true_k(X, len(np.unique(y)))
        theirs_s = time.perf_counter() - started
        ours, theirs = adjusted_rand_score(y, labels), adjusted_rand_score(y, baseline)
        wins += ours > theirs + 0.005
        ties += abs(ours - theirs) <= 0.005
        lines.append(
            f"| {name} | {len(y):,} | {chosen}{'' if complete else ' (budget cut)'} | "
            f"{ours:.3f} | {theirs:.3f} | {ours_s:.1f} | {theirs_s:.2f} |"
        )
    lines += [
        "",
        f"fas-ray (not told k) beats KMeans told the true k on {wins} of {len(names)} sets "
        f"(by more than 0.005 ARI) and ties on {ties}.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
