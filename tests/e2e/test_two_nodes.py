"""Two Ray nodes on one machine (``cluster/multinode-local.sh``: a head on 127.0.0.2, a worker on
127.0.0.3): ``fas-ray run`` against it spreads the search's configurations over both nodes, and
the run's report says how many ran on each."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from fas_ray.registry import PostgresRegistry
from tests.e2e.conftest import SCRIPT, configurations_done, start_two_nodes

pytestmark = pytest.mark.slow

VENV = Path(sys.executable).parent.parent


@pytest.fixture
def two_nodes() -> Iterator[dict[str, str]]:
    """The two-node cluster on free ports, in a short private temp dir; stopped afterwards."""
    with start_two_nodes() as env:
        yield env


def test_a_run_spreads_its_search_over_both_nodes(
    two_nodes: dict[str, str], tmp_path: Path
) -> None:
    csv = tmp_path / "breast_cancer.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(csv, index=False)
    data_root = tmp_path / "data"
    env = {**two_nodes, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)  # "0" would refuse the second node
    proc = subprocess.run(
        [str(VENV / "bin" / "fas-ray"), "run", str(csv), "--target", "target",
         "--max-trials", "9", "--time-budget", "180", "--no-chart-png",
         "--data-root", str(data_root)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=400,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = re.search(r"^run id:\s+(\S+)$", proc.stdout, re.M)
    assert run_id, proc.stdout
    report = json.loads((data_root / "runs" / run_id.group(1) / "report.json").read_text())
    search = report["search"]
    assert len(search["workers"]) == 3  # 2 CPUs on the head + 1 on the worker
    spread = search["configs_by_node"]
    assert len(spread) == 2 and all(n > 0 for n in spread.values()), spread
    told = sum(search["configs"][k] for k in ("complete", "pruned", "failed"))
    assert sum(spread.values()) == told


def _fas_ray_run(csv: Path, data_root: Path, *extra: str) -> list[str]:
    return [
        str(VENV / "bin" / "fas-ray"), "run", str(csv), "--target", "target",
        "--no-chart-png", "--data-root", str(data_root), *extra,
    ]  # fmt: skip


def _cluster_env(two_nodes: dict[str, str], registry_url: str) -> dict[str, str]:
    env = {**two_nodes, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)  # "0" would refuse the second node
    env["FAS_RAY_REGISTRY_URL"] = registry_url  # the registry every node can write
    return env


def test_a_run_survives_losing_the_worker_node(
    two_nodes: dict[str, str], tmp_path: Path, postgres_url: str
) -> None:
    """The worker node SIGKILLed mid-search: the run completes on the head, what the lost
    worker held is written off and counted, and the model lands in the cluster registry."""
    csv = tmp_path / "breast_cancer.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(csv, index=False)
    data_root = tmp_path / "data"
    env = _cluster_env(two_nodes, postgres_url)
    command = _fas_ray_run(csv, data_root, "--max-trials", "30", "--time-budget", "150")
    proc = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 240
    while configurations_done(data_root) < 6:  # every worker, the remote one included, busy
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the search did not start"
        time.sleep(0.2)  # polling interval until the search is under way
    killed_at = time.monotonic()
    killed = subprocess.run(
        ["bash", str(SCRIPT), "kill-worker"], env=two_nodes, capture_output=True, text=True
    )
    assert killed.returncode == 0, killed.stdout + killed.stderr
    stdout, stderr = proc.communicate(timeout=300)
    finished_s = time.monotonic() - killed_at
    assert proc.returncode == 0, stdout + stderr
    print(f"run finished {finished_s:.1f} s after the worker node was killed", stdout)

    run_id = re.search(r"^run id:\s+(\S+)$", stdout, re.M)
    assert run_id, stdout
    run_dir = data_root / "runs" / run_id.group(1)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    search = json.loads((run_dir / "report.json").read_text())["search"]
    configs = search["configs"]
    assert len(search["configs_by_node"]) == 2, search  # both nodes ran configurations
    assert configs["lost"] in (0, 1), configs  # what the lost worker held
    # nothing left dangling (a lost configuration not written off stalls its batch until the
    # time budget ends): all 30 configurations are accounted for
    assert configs["handed_out"] == 30, configs
    assert configs["complete"] + configs["pruned"] + configs["failed"] == 30, configs
    stage = next(s for s in manifest["stages"] if s["name"] == "search")
    assert stage["detail"]["configs"] == configs  # the manifest says what was lost
    if configs["lost"]:
        assert any("lost with worker" in e for e in search["errors"]), search["errors"]

    registry = PostgresRegistry(postgres_url, data_root / "models")
    [info] = registry.list()
    assert info.model_id == manifest["model_id"] and info.version == 1
    assert registry.load(info.model_id).predict is not None
    assert not (data_root / "registry.sqlite").exists()  # nothing went to the local file
