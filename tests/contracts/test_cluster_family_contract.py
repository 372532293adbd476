"""Every clustering family passes the same checks, as every learner does
(tests/contracts/test_learner_contract.py): a typed space, labels for every training row
numbered by size, the same fit from the same seed, labels for new rows and a pickle round
trip."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from fas_ray.clustering import FAMILIES, ClusterFamily, FittedCandidate, cluster_counts
from fas_ray.ml import CategoricalDomain

SEED = 0


@cache
def _data() -> tuple[np.ndarray, np.ndarray]:
    X, _ = make_blobs(n_samples=240, centers=3, n_features=2, cluster_std=0.6, random_state=0)
    X_new, _ = make_blobs(n_samples=30, centers=3, n_features=2, cluster_std=0.6, random_state=0)
    return X, X_new


def _configs(family: ClusterFamily) -> list[dict[str, object]]:
    X, _ = _data()
    space = family.search_space(len(X), X.shape[1], cluster_counts(len(X)))
    names = list(space)
    first = {n: space[n].choices[0] for n in names}
    last = {n: space[n].choices[-1] for n in names}
    return [first, last] if first != last else [first]


def _fit(family: ClusterFamily, params: dict[str, object], seed: int = SEED) -> FittedCandidate:
    return family.fit(_data()[0], params, seed)


def check_space_is_typed_and_small(family: ClusterFamily) -> None:
    X, _ = _data()
    space = family.search_space(len(X), X.shape[1], cluster_counts(len(X)))
    assert space and all(isinstance(d, CategoricalDomain) and d.choices for d in space.values())
    grid = int(np.prod([len(d.choices) for d in space.values()]))
    assert grid <= 2 * len(cluster_counts(len(X))), "a small space"


def check_labels_cover_every_row_by_size(family: ClusterFamily) -> None:
    X, _ = _data()
    for params in _configs(family):
        fitted = _fit(family, params)
        labels = fitted.labels
        assert labels.shape == (len(X),) and labels.min() >= -1
        found = labels[labels >= 0]
        assert fitted.n_clusters == (found.max() + 1 if found.size else 0)
        sizes = np.bincount(found, minlength=fitted.n_clusters)
        assert list(sizes) == sorted(sizes, reverse=True), "labels by size, largest first"
        assert fitted.family == family.name and fitted.params == params


def check_same_seed_same_fit(family: ClusterFamily) -> None:
    for params in _configs(family):
        assert np.array_equal(_fit(family, params).labels, _fit(family, params).labels)


def check_new_rows_get_a_cluster(family: ClusterFamily) -> None:
    _, X_new = _data()
    for params in _configs(family):
        fitted = _fit(family, params)
        if fitted.n_clusters == 0:
            continue
        predicted = fitted.predict(X_new)
        assert predicted.shape == (len(X_new),)
        assert predicted.min() >= 0 and predicted.max() < fitted.n_clusters, "never noise"


def check_pickle_round_trip(family: ClusterFamily) -> None:
    X, X_new = _data()
    fitted = _fit(family, _configs(family)[0])
    again = pickle.loads(pickle.dumps(fitted))
    assert np.array_equal(again.predict(X_new), fitted.predict(X_new))
    assert np.array_equal(again.labels, fitted.labels)


def check_three_blobs_are_found(family: ClusterFamily) -> None:
    X, _ = _data()
    space = family.search_space(len(X), X.shape[1], [3])
    params = {n: d.choices[0] for n, d in space.items()}
    assert _fit(family, params).n_clusters == 3


CHECKS: list[Callable[[ClusterFamily], None]] = [
    check_space_is_typed_and_small,
    check_labels_cover_every_row_by_size,
    check_same_seed_same_fit,
    check_new_rows_get_a_cluster,
    check_pickle_round_trip,
    check_three_blobs_are_found,
]


@pytest.mark.parametrize(
    ("name", "check"),
    [
        pytest.param(name, check, id=f"{name}-{check.__name__.removeprefix('check_')}")
        for name in sorted(FAMILIES)
        for check in CHECKS
    ],
)
def test_cluster_family_contract(name: str, check: Callable[[ClusterFamily], None]) -> None:
    family = FAMILIES[name]
    assert family.name == name
    check(family)
