"""DataRoot paths, ensure(), and no side effects when fas_ray is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fas_ray.storage import LAYERS, DataRoot

pytestmark = pytest.mark.filterwarnings("error")

MODULES = (
    "fas_ray",
    "fas_ray.etl",
    "fas_ray.ml",
    "fas_ray.features",
    "fas_ray.registry",
    "fas_ray.ingest",
    "fas_ray.explain",
    "fas_ray.storage",
    "fas_ray.manifest",
    "fas_ray.pipeline",
    "fas_ray.cli",
)


def test_paths_under_the_root(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    assert root.bronze("d1") == tmp_path / "bronze" / "d1"
    assert root.silver("r1") == tmp_path / "silver" / "r1"
    assert root.gold("r1") == tmp_path / "gold" / "r1"
    assert root.run_dir("r1") == tmp_path / "runs" / "r1"
    assert root.model_dir("m1") == tmp_path / "models" / "m1"
    assert root.registry_db == tmp_path / "registry.sqlite"
    assert [root.layer(name) for name in LAYERS] == [tmp_path / name for name in LAYERS]
    assert list(tmp_path.iterdir()) == [], "computing paths creates nothing"


def test_unknown_layer(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unknown layer 'platinum'"):
        DataRoot(tmp_path).layer("platinum")


def test_ensure_creates_the_layers_and_is_idempotent(tmp_path: Path) -> None:
    root = DataRoot(tmp_path / "data")
    assert root.ensure() is root
    root.ensure()
    assert sorted(p.name for p in root.root.iterdir()) == sorted(LAYERS)
    assert all((root.root / layer).is_dir() for layer in LAYERS)


@pytest.fixture(scope="module")
def fresh_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """Import every public module in a fresh interpreter whose working folder is empty."""
    cwd = tmp_path_factory.mktemp("import-cwd")
    code = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "from fas_ray import Settings\n"
        "Settings()\n"
        "print(json.dumps({'ray': 'ray' in sys.modules}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FAS_RAY_DATA_ROOT", "RAY_ADDRESS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "importing fas_ray printed to stderr"
    return cwd, json.loads(done.stdout)


def test_importing_fas_ray_creates_nothing(fresh_import: tuple[Path, dict[str, object]]) -> None:
    cwd, _ = fresh_import
    assert list(cwd.iterdir()) == []


def test_importing_fas_ray_does_not_import_ray(
    fresh_import: tuple[Path, dict[str, object]],
) -> None:
    _, result = fresh_import
    assert result == {"ray": False}


def test_csv_text_cells_cannot_run_as_spreadsheet_formulas() -> None:
    import polars as pl

    from fas_ray.storage import csv_safe_text

    frame = pl.DataFrame(
        {
            "label": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "plain", None],
            "score": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    back = pl.read_csv(csv_safe_text(frame).encode())
    assert back["label"].to_list() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        None,
    ]
    assert back["score"].to_list() == frame["score"].to_list()  # numbers stay numbers
