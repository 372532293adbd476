"""Every registry backend passes the same checks: SQLiteRegistry (one machine) and
PostgresRegistry (a cluster; against a real PostgreSQL server started for the session).

Like Optuna's ``STORAGE_MODES``, the ``registry`` fixture is parametrized over backends; a new
backend adds one entry to ``BACKENDS`` and must pass every test here unchanged.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_iris

from fas_ray.exceptions import FasRayError, ModelNotFoundError, RegistryError
from fas_ray.ml import FittedModel, detect_task, fit_model
from fas_ray.registry import ModelInfo, PostgresRegistry, Registry, SQLiteRegistry


@dataclass
class Backend:
    registry: Registry
    root: Path  # every file the backend writes lives under here


BACKENDS: dict[str, Callable[[Path, pytest.FixtureRequest], Registry]] = {
    "sqlite": lambda root, _: SQLiteRegistry(root / "registry.sqlite", root / "models"),
    "postgres": lambda root, request: PostgresRegistry(
        request.getfixturevalue("postgres_url"), root / "models"
    ),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return Backend(BACKENDS[request.param](tmp_path, request), tmp_path)


@pytest.fixture
def registry(backend: Backend) -> Registry:
    return backend.registry


@pytest.fixture(scope="module")
def iris_frame() -> pl.DataFrame:
    iris = load_iris(as_frame=True)
    frame = iris.frame.rename(columns={"target": "species"})
    frame["species"] = frame["species"].map(dict(enumerate(iris.target_names)))
    return pl.from_pandas(frame)


@pytest.fixture(scope="module")
def model(iris_frame: pl.DataFrame) -> FittedModel:
    task = detect_task(iris_frame["species"], "species")
    return fit_model("linear", {"regularization": 1.0}, iris_frame, task, seed=0, n_jobs=1)


META: dict[str, Any] = {
    "run_id": "run-1",
    "task": "multiclass",
    "target": "species",
    "learner": "linear",
    "metrics": {"accuracy": 0.96, "log_loss": 0.1},
}


def _save(registry: Registry, model_id: str, model: Any, **overrides: Any) -> ModelInfo:
    return registry.save(model_id, model, **{**META, **overrides})


def _leftovers(root: Path, model_id: str) -> list[Path]:
    return [p for p in root.rglob("*") if model_id in p.name]


def test_save_info_load_round_trip(
    registry: Registry, model: FittedModel, iris_frame: pl.DataFrame
) -> None:
    saved = _save(registry, "iris-1", model, extra={"features": ["a", "b"], "cv": 0.9})
    assert (saved.model_id, saved.version, saved.run_id) == ("iris-1", 1, "run-1")
    assert (saved.task, saved.target, saved.learner) == ("multiclass", "species", "linear")
    assert saved.metrics == META["metrics"]
    assert saved.extra == {"features": ["a", "b"], "cv": 0.9}
    assert registry.info("iris-1") == saved

    loaded = registry.load("iris-1")
    assert isinstance(loaded, FittedModel)
    rows = iris_frame.drop("species")
    np.testing.assert_array_equal(loaded.predict(rows), model.predict(rows))
    np.testing.assert_array_equal(loaded.predict_proba(rows), model.predict_proba(rows))
    assert loaded.classes_ == ["setosa", "versicolor", "virginica"]


def test_save_returns_what_info_returns(registry: Registry) -> None:
    saved = _save(registry, "with-path", {"v": 1}, extra={"source": Path("data.csv")})
    assert registry.info("with-path") == saved


def test_a_saved_model_does_not_follow_the_original_object(registry: Registry) -> None:
    original = {"weights": [1, 2, 3]}
    _save(registry, "m", original)
    original["weights"].append(4)
    assert registry.load("m") == {"weights": [1, 2, 3]}


def test_empty_registry_lists_nothing(registry: Registry) -> None:
    assert registry.list() == []


def test_list_contents_and_order(registry: Registry) -> None:
    infos = [_save(registry, model_id, {"id": model_id}) for model_id in ("m-b", "m-a", "m-c")]
    listed = registry.list()
    assert {i.model_id for i in listed} == {"m-a", "m-b", "m-c"}
    assert sorted(listed, key=lambda i: i.model_id) == sorted(infos, key=lambda i: i.model_id)
    # newest first; ties (same millisecond) by id
    expected = sorted(
        sorted(infos, key=lambda i: i.model_id), key=lambda i: i.created_at, reverse=True
    )
    assert [i.model_id for i in listed] == [i.model_id for i in expected]


def test_duplicate_id_is_refused_and_the_first_model_stays(registry: Registry) -> None:
    first = _save(registry, "dup", {"v": 1})
    with pytest.raises(RegistryError, match="'dup' is already registered"):
        _save(registry, "dup", {"v": 2}, run_id="run-2")
    assert registry.info("dup") == first
    assert registry.load("dup") == {"v": 1}
    assert [i.model_id for i in registry.list()] == ["dup"]


@pytest.mark.parametrize("operation", ["info", "load"])
def test_unknown_id_raises_model_not_found_naming_it(registry: Registry, operation: str) -> None:
    _save(registry, "known", {"v": 1})
    with pytest.raises(ModelNotFoundError, match="'no-such-model'") as info:
        getattr(registry, operation)("no-such-model")
    assert isinstance(info.value, RegistryError)
    assert "\n" not in str(info.value)


def test_unknown_id_on_a_fresh_registry(registry: Registry, backend: Backend) -> None:
    with pytest.raises(ModelNotFoundError, match="'ghost'"):
        registry.info("ghost")
    assert list(backend.root.iterdir()) == [], "reading creates nothing"


@pytest.mark.parametrize(
    "model_id",
    [
        "",
        "a/b",
        "../escape",
        ".hidden",
        "..",
        "a\x00b",
        "a\\b",
        "two words",
    ],
)
def test_invalid_ids_are_rejected(registry: Registry, backend: Backend, model_id: str) -> None:
    with pytest.raises(RegistryError, match="Invalid model id"):
        _save(registry, model_id, {"v": 1})
    assert registry.list() == []
    assert [p for p in backend.root.rglob("*") if p.is_file() and p.suffix == ".pkl"] == []


def test_unpicklable_model_leaves_no_row_and_no_files(registry: Registry, backend: Backend) -> None:
    with pytest.raises((TypeError, pickle.PicklingError, RegistryError)):
        _save(registry, "locked", {"lock": threading.Lock()})
    with pytest.raises(ModelNotFoundError):
        registry.info("locked")
    assert registry.list() == []
    assert _leftovers(backend.root, "locked") == []


def test_a_failed_row_write_leaves_no_model_files(registry: Registry, backend: Backend) -> None:
    with pytest.raises((RegistryError, TypeError, ValueError)):
        _save(registry, "orphan", {"v": 1}, metrics={"accuracy": object()})
    assert registry.list() == []
    assert _leftovers(backend.root, "orphan") == []


def test_numpy_metrics_are_stored_as_plain_numbers(registry: Registry) -> None:
    saved = _save(registry, "np-metrics", {"v": 1}, metrics={"support": np.int64(3)})
    assert saved.metrics == registry.info("np-metrics").metrics == {"support": 3}


def test_non_json_metrics_raise_registry_error(registry: Registry) -> None:
    with pytest.raises(RegistryError, match="cannot be stored as JSON"):
        _save(registry, "odd-metrics", {"v": 1}, metrics={"support": object()})


def test_a_missing_model_file_is_a_registry_error(registry: Registry) -> None:
    info = _save(registry, "gone", {"v": 1})
    Path(info.path).unlink()
    with pytest.raises(RegistryError, match="Cannot load model 'gone'") as err:
        registry.load("gone")
    assert isinstance(err.value, FasRayError)


def test_a_model_file_changed_after_registration_is_refused_unloaded(registry: Registry) -> None:
    info = _save(registry, "signed", {"v": 1})
    assert len(info.sha256) == 64
    path = Path(info.path)
    path.write_bytes(pickle.dumps({"v": 2}))  # a valid pickle, but not the registered one
    with pytest.raises(RegistryError, match="changed after it was registered") as err:
        registry.load("signed")
    assert "\n" not in str(err.value)
    path.write_bytes(b"\x80\x04garbage")  # nor a broken one
    with pytest.raises(RegistryError, match="changed after it was registered"):
        registry.load("signed")


def test_a_registry_written_before_hashes_still_loads(tmp_path: Path) -> None:
    import sqlite3

    db, models = tmp_path / "registry.sqlite", tmp_path / "models"
    (models / "old").mkdir(parents=True)
    (models / "old" / "model.pkl").write_bytes(pickle.dumps({"v": 1}))
    with sqlite3.connect(db) as conn:  # the table as it was before the sha256 column
        conn.execute(
            "CREATE TABLE models (model_id TEXT PRIMARY KEY, version INTEGER NOT NULL DEFAULT 1,"
            " run_id TEXT NOT NULL, task TEXT NOT NULL, target TEXT NOT NULL, learner TEXT NOT"
            " NULL, metrics TEXT NOT NULL, path TEXT NOT NULL, created_at TEXT NOT NULL, extra"
            " TEXT NOT NULL DEFAULT '{}')"
        )
        conn.execute(
            "INSERT INTO models VALUES ('old', 1, 'r', 'regression', 'y', 'linear', '{}', ?, "
            "'2026-01-01T00:00:00Z', '{}')",
            (str(models / "old" / "model.pkl"),),
        )
    registry = SQLiteRegistry(db, models)
    assert registry.info("old").sha256 == "" and registry.load("old") == {"v": 1}
    new = registry.save("new", {"v": 2}, **META)
    assert len(new.sha256) == 64 and registry.load("new") == {"v": 2}


def test_versions_count_the_models_of_one_target_and_task(registry: Registry) -> None:
    assert [_save(registry, f"a-{i}", {"v": i}).version for i in range(3)] == [1, 2, 3]
    assert _save(registry, "b-0", {"v": 0}, target="petal_width", task="regression").version == 1
    assert _save(registry, "a-3", {"v": 3}).version == 4
    assert registry.info("a-1").version == 2


def test_concurrent_saves_lose_nothing_and_one_id_is_taken_once(registry: Registry) -> None:
    """Eight writers at once: eight distinct ids all land, each with its own version; eight of
    one id: exactly one wins, the others are refused, and the winner's file is the one stored
    (none deleted it)."""
    barrier = threading.Barrier(16)
    outcomes: dict[str, list[str]] = {"distinct": [], "same": []}

    def save(kind: str, model_id: str, value: int) -> None:
        barrier.wait()
        try:
            _save(registry, model_id, {"v": value})
            outcomes[kind].append(f"ok:{value}")
        except RegistryError as exc:
            outcomes[kind].append(f"refused:{exc}")

    threads = [threading.Thread(target=save, args=("distinct", f"m-{i}", i)) for i in range(8)]
    threads += [threading.Thread(target=save, args=("same", "shared", i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes["distinct"]) == sorted(f"ok:{i}" for i in range(8))
    assert {m.model_id for m in registry.list()} == {f"m-{i}" for i in range(8)} | {"shared"}
    wins = [o for o in outcomes["same"] if o.startswith("ok:")]
    assert len(wins) == 1 and len(outcomes["same"]) == 8
    assert all("already registered" in o for o in outcomes["same"] if o not in wins)
    assert registry.load("shared") == {"v": int(wins[0][3:])}
    for i in range(8):
        assert registry.load(f"m-{i}") == {"v": i}
    assert sorted(m.version for m in registry.list()) == list(range(1, 10))
