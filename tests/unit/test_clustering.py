"""The clusterer on data with known groups: blobs (k found, labels recovered), two moons
(HDBSCAN follows their shape), determinism, new rows, the profile, the space and bad input."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import adjusted_rand_score

from fas_ray.clustering import (
    MIN_ROWS,
    Clusterer,
    ClusterSpace,
    cluster_counts,
    graph_distances,
    silhouette_of,
)
from fas_ray.exceptions import ConfigError, InputError
from fas_ray.features import FeatureBuilder

pytestmark = pytest.mark.filterwarnings("error")


def _frame(X: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({f"x{i}": X[:, i] for i in range(X.shape[1])})


@pytest.fixture(scope="module")
def blobs() -> tuple[pl.DataFrame, np.ndarray]:
    X, y = make_blobs(n_samples=500, centers=4, n_features=3, cluster_std=1.0, random_state=3)
    return _frame(X), y


@pytest.fixture(scope="module")
def fitted(blobs: tuple[pl.DataFrame, np.ndarray]) -> Clusterer:
    return Clusterer(time_budget=None, seed=0).fit(blobs[0])


def test_blobs_k_is_found_and_the_labels_recovered(
    fitted: Clusterer, blobs: tuple[pl.DataFrame, np.ndarray]
) -> None:
    df, y = blobs
    assert fitted.model.n_clusters == 4
    assert adjusted_rand_score(y, fitted.labels_) > 0.9
    summary = fitted.summary()
    assert summary["k"] == 4 and summary["complete"] and summary["features"] == ["x0", "x1", "x2"]
    board = fitted.leaderboard()
    assert board["rank"].to_list()[:2] == [1, 2] and board["chosen"].to_list()[0]
    assert {"kmeans", "gmm", "hdbscan"} <= set(board["model"].to_list())
    assert board.filter(pl.col("model") == "gmm")["bic"].is_not_null().all()
    assert board.filter(pl.col("model") == "kmeans")["bic"].is_null().all()
    assert set(board.filter(pl.col("model") == "kmeans")["k"].to_list()) == set(range(2, 13))
    # labels are numbered by size, largest first
    sizes = np.bincount(fitted.labels_)
    assert list(sizes) == sorted(sizes, reverse=True)


def test_two_moons_are_followed_by_hdbscan() -> None:
    X, y = make_moons(n_samples=600, noise=0.07, random_state=0)
    # up to 6 clusters: with 10 to 12, cutting the moons into short segments scores about as
    # well as two clusters by the Euclidean silhouette (the search's known weak spot), and
    # KMeans k=10 wins there
    clusterer = Clusterer(time_budget=None, seed=0, max_clusters=6).fit(_frame(X))
    board = clusterer.leaderboard()
    assert "hdbscan" in board["model"].to_list()
    assert clusterer.model.learner == "hdbscan" and clusterer.model.n_clusters == 2
    assert adjusted_rand_score(y, clusterer.labels_) > 0.9
    # KMeans splits the moons across: its Euclidean silhouette is higher, the graph one lower
    kmeans = board.filter((pl.col("model") == "kmeans") & (pl.col("k") == 2)).row(0, named=True)
    assert kmeans["silhouette"] > board["silhouette"][0]
    assert kmeans["graph_silhouette"] < board["graph_silhouette"][0]
    # new rows of the moons get their moon (nearest clustered rows), never noise
    X_new, y_new = make_moons(n_samples=200, noise=0.07, random_state=1)
    predicted = clusterer.predict(_frame(X_new))
    assert predicted.min() >= 0 and adjusted_rand_score(y_new, predicted) > 0.9


def test_the_same_seed_gives_the_same_clusters(blobs: tuple[pl.DataFrame, np.ndarray]) -> None:
    df, _ = blobs
    runs = [Clusterer(time_budget=None, seed=7).fit(df) for _ in range(2)]
    assert np.array_equal(runs[0].labels_, runs[1].labels_)
    columns = ["model", "k", "silhouette", "bic", "graph_silhouette", "params"]
    assert runs[0].leaderboard().select(columns).equals(runs[1].leaderboard().select(columns))
    assert runs[0].profile_ == runs[1].profile_


def test_new_rows_get_the_cluster_of_their_group(
    fitted: Clusterer, blobs: tuple[pl.DataFrame, np.ndarray]
) -> None:
    df, y = blobs
    assert np.array_equal(fitted.predict(df), fitted.labels_)
    X_new, y_new = make_blobs(n_samples=100, centers=4, n_features=3, random_state=3)
    predicted = fitted.predict(_frame(X_new).to_dicts())  # records work too
    assert adjusted_rand_score(y_new, predicted) > 0.9
    again = pickle.loads(pickle.dumps(fitted.model))
    assert np.array_equal(again.predict(_frame(X_new)), predicted)
    assert again.predict_both(_frame(X_new))[1] is None
    assert fitted.model.project(df).shape == (len(df), 2)
    with pytest.raises(InputError, match="lacks the column"):
        fitted.predict(df.drop("x1"))


def test_the_profile_tells_the_clusters_apart() -> None:
    rng = np.random.default_rng(0)
    n = 300
    group = np.repeat([0, 1], [200, 100])
    df = pl.DataFrame(
        {
            "income": np.where(group == 0, 30.0, 90.0) + rng.normal(0, 3, n),
            "age": rng.normal(40, 10, n),
            "plan": np.where(group == 0, "basic", "premium"),
            "member": np.where(group == 0, rng.random(n) < 0.2, rng.random(n) < 0.9),
        }
    )
    clusterer = Clusterer(time_budget=None, seed=0, families=("kmeans",)).fit(df)
    assert clusterer.model.n_clusters == 2
    assert adjusted_rand_score(group, clusterer.labels_) == 1.0
    profile = clusterer.profile_
    assert profile["rows"] == n
    assert profile["overall"]["means"]["income"] == pytest.approx(df["income"].mean())
    big, small = profile["clusters"]
    assert (big["cluster"], big["size"], big["share"]) == (0, 200, pytest.approx(2 / 3))
    assert big["means"]["income"] == pytest.approx(df["income"][:200].mean())
    assert set(big["means"]) == {"income", "age", "member"}  # booleans as the share true
    assert big["top_categories"]["plan"] == [{"value": "basic", "share": 1.0}]
    apart = {a["feature"]: a for a in small["apart"]}
    # 60 apart, about 2 standard deviations of the whole (two-humped) income column
    assert apart["income"]["direction"] == "higher" and apart["income"]["difference"] > 1.5
    top = [a["feature"] for a in small["apart"]]
    assert set(top[:3]) == {"income", "plan = basic", "plan = premium"}
    assert apart["plan = premium"]["direction"] == "higher"
    assert top[3] == "member" and "age" not in top[:4]


def test_the_space_weighs_each_column_once() -> None:
    rng = np.random.default_rng(0)
    df = pl.DataFrame(
        {
            "x": np.r_[rng.normal(size=199), 1000.0],  # one extreme value
            "city": rng.choice(["a", "b", "c", "d"], size=200),
            "text": [f"id {i}" for i in range(200)],
        }
    )
    builder = FeatureBuilder(target="").fit(df)
    M = builder.transform(df)
    space = ClusterSpace.fit(builder, M)
    Z = space.transform(M)
    assert space.columns == ["x", "city"]
    assert np.abs(Z[:, 0]).max() == pytest.approx(3.0)  # clipped z-score
    assert Z[:, 1:].var(axis=0).sum() == pytest.approx(1.0)  # the category block weighs 1
    assert space.feature_names[1:] == ["city = a", "city = b", "city = c", "city = d"]


def test_the_search_keeps_to_its_budget(blobs: tuple[pl.DataFrame, np.ndarray]) -> None:
    clusterer = Clusterer(time_budget=1e-6, seed=0).fit(blobs[0])
    assert len(clusterer.scores_) == 1 and not clusterer.complete_  # the first one, then no time
    assert cluster_counts(10) == [2, 3] and cluster_counts(10_000) == list(range(2, 13))


def test_silhouettes_leave_noise_out() -> None:
    Z = np.array([[0.0], [0.1], [5.0], [5.1], [50.0]])
    with_noise = silhouette_of(Z, np.array([0, 0, 1, 1, -1]))
    assert with_noise is not None and with_noise == pytest.approx(0.8 * 0.98, abs=0.01)
    assert silhouette_of(Z, np.array([0, 0, 0, 0, -1])) is None
    D = graph_distances(Z, neighbours=1)  # two components: twice the longest path between
    assert D[0, 2] == pytest.approx(2 * D[D < D.max()].max())


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"x": [1.0]}), f"at least {MIN_ROWS} rows"),
        (pl.DataFrame({"x": [1.0] * 20, "c": ["a"] * 20}), "every column is constant"),
        (
            pl.DataFrame(
                {
                    "id": [f"r{i}" for i in range(30)],
                    "note": [
                        f"the parcel {i} came late and the box was {i % 3} times torn"
                        for i in range(30)
                    ],
                }
            ),
            "No number, category, boolean or date column",
        ),
        (pl.DataFrame({"x": [1.0, 2.0] * 10}).with_columns(y=pl.col("x")), None),
    ],
    ids=["one-row", "constant", "no-features", "two-points"],
)
def test_bad_input_is_one_line(frame: pl.DataFrame, message: str | None) -> None:
    if message is None:  # two distinct points are two clusters, not an error
        clusterer = Clusterer(time_budget=None, seed=0).fit(frame)
        assert clusterer.model.n_clusters == 2
        return
    with pytest.raises(InputError, match=message) as info:
        Clusterer(time_budget=None).fit(frame)
    assert "\n" not in str(info.value)


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="time_budget"):
        Clusterer(time_budget=0)
    with pytest.raises(ConfigError, match="Unknown clustering families dbscan"):
        Clusterer(families=("dbscan",))
    with pytest.raises(ConfigError, match="max_clusters"):
        Clusterer(max_clusters=1)
    with pytest.raises(ConfigError, match="not fitted"):
        Clusterer().predict(pl.DataFrame({"x": [1.0]}))
