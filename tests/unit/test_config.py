"""Settings and RunSpec: validated on construction, one-line ConfigError messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fas_ray import ConfigError, RunSpec, Settings

pytestmark = pytest.mark.filterwarnings("error")

GOOD = {"source": "data.csv", "target": "price"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_budget_s": -5}, "time_budget_s"),
        ({"time_budget_s": 0}, "time_budget_s"),
        ({"max_trials": 0}, "max_trials"),
        ({"target": ""}, "target"),
        ({"source": ""}, "source"),
        ({"cv_folds": 1}, "cv_folds"),
        ({"test_size": 0.95}, "test_size"),
        ({"seed": -1}, "seed"),
        ({"learners": ("svm",)}, "learners"),
        ({"learners": ()}, "at least one learner"),
        ({"shap_sample": 5}, "shap_sample"),
        ({"metric": "auc"}, "metric"),
        ({"target": None}, "a target is needed"),
        ({"task": "clustering"}, "clustering takes no target"),
    ],
)
def test_run_spec_rejects_bad_values(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunSpec.create(**{**GOOD, **overrides})
    message = str(info.value)
    assert message.startswith("Invalid run options: ")
    assert field in message
    assert "\n" not in message
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__, "chained traceback"


def test_run_spec_defaults_and_none_means_default() -> None:
    spec = RunSpec.create(**GOOD, max_trials=None, seed=None)
    assert spec.max_trials is None and spec.seed == 0
    assert spec.learners == (
        "lightgbm",
        "xgboost",
        "random_forest",
        "extra_trees",
        "linear",
        "catboost",
        "knn",
    )
    assert RunSpec.create(**GOOD, max_trials=3).max_trials == 3


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"num_cpus": 0}, "num_cpus"),
        ({"object_store_mb": 10}, "object_store_mb"),
        ({"object_store_mb": "lots"}, "object_store_mb"),
    ],
)
def test_settings_reject_bad_values(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.create(**overrides)
    message = str(info.value)
    assert message.startswith("Invalid settings: ") and field in message
    assert "\n" not in message


def test_data_root_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAS_RAY_DATA_ROOT", str(tmp_path / "from-env"))
    settings = Settings.create()
    assert settings.data_root == (tmp_path / "from-env").resolve()
    assert Settings.create(data_root=tmp_path / "explicit").data_root == tmp_path / "explicit"
    assert list(tmp_path.iterdir()) == [], "settings create no folders"


def test_data_root_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAS_RAY_DATA_ROOT", "relative/root")
    assert Settings().data_root == tmp_path.resolve() / "relative" / "root"
    monkeypatch.delenv("FAS_RAY_DATA_ROOT")
    default = Settings().data_root
    assert default.is_absolute() and default == tmp_path.resolve() / "fas_data"
    monkeypatch.setenv("FAS_RAY_DATA_ROOT", "")  # empty means unset
    assert Settings().data_root == default
    assert list(tmp_path.iterdir()) == []


def test_settings_are_frozen() -> None:
    settings = Settings.create(num_cpus=2)
    with pytest.raises(ValueError):
        settings.num_cpus = 3  # type: ignore[misc]


def test_etl_engine_auto_picks_local_for_small_parquet() -> None:
    from fas_ray.config import EtlOptions

    auto = EtlOptions(local_max_mb=2)
    assert auto.engine_for(2 << 20) == "local"
    assert auto.engine_for((2 << 20) + 1) == "ray"
    assert EtlOptions(local_max_mb=0).engine_for(1) == "ray"
    assert EtlOptions(engine="ray").engine_for(0) == "ray"
    assert EtlOptions(engine="local").engine_for(1 << 40) == "local"
    with pytest.raises(ValueError, match="engine"):
        EtlOptions(engine="spark")  # type: ignore[arg-type]


def test_a_training_run_keeps_missing_values_for_the_model() -> None:
    from fas_ray.config import EtlOptions
    from fas_ray.pipeline import training_etl

    auto = EtlOptions(missing_per_column={"city": "drop"})
    kept = training_etl(auto)
    assert kept.missing == "keep" and kept.strategy_for("city") == "drop"
    assert kept.strategy_for("price") == "keep"
    chosen = EtlOptions(missing="fill_median")
    assert training_etl(chosen) is chosen


def test_a_clustering_run_needs_no_target() -> None:
    spec = RunSpec.create(source="data.csv", task="clustering")
    assert spec.is_clustering and spec.target is None
    with pytest.raises(ConfigError, match="no target"):
        _ = spec.target_column
    assert RunSpec.create(**GOOD).target_column == "price"
