"""Two Ray nodes on one machine (``cluster/multinode-local.sh``: a head on 127.0.0.2, a worker on
127.0.0.3): ``fas-ray run`` against it spreads the search's configurations over both nodes, and
the run's report says how many ran on each."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "cluster" / "multinode-local.sh"
VENV = Path(sys.executable).parent.parent


@pytest.fixture
def two_nodes() -> Iterator[dict[str, str]]:
    """The two-node cluster on free ports, in a short private temp dir; stopped afterwards."""
    temp_dir = Path(tempfile.mkdtemp(prefix="fasray-mn-", dir="/tmp"))  # short socket paths
    ports = {
        "FAS_RAY_GCS_PORT": free_port(),
        "FAS_RAY_DASHBOARD_PORT": free_port(),
        "FAS_RAY_CLIENT_PORT": free_port(),
        "FAS_RAY_AGENT_PORT": free_port(),
        "FAS_RAY_WORKER_AGENT_PORT": free_port(),
    }
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FAS_RAY_DATA_ROOT")}
    env.update({k: str(v) for k, v in ports.items()})
    env.update(FAS_RAY_TEMP_DIR=str(temp_dir), FAS_RAY_VENV=str(VENV))
    try:
        started = subprocess.run(
            ["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=240
        )
        assert started.returncode == 0, started.stdout + started.stderr
        yield {**env, "RAY_ADDRESS": f"127.0.0.2:{ports['FAS_RAY_GCS_PORT']}"}
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp_dir, ignore_errors=True)


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
