"""End-to-end tier: the real ``fas-ray`` command in subprocesses, each starting its own Ray."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sklearn.datasets import load_breast_cancer, load_diabetes

FAS_RAY = str(Path(sys.executable).with_name("fas-ray"))
SCRIPT = Path(__file__).resolve().parents[2] / "cluster" / "multinode-local.sh"


def free_port() -> int:
    """A free port below the ephemeral range: Ray's own processes take ephemeral ports while
    it starts, and one of them could take a port picked there before Serve binds it."""
    for _ in range(200):
        port = random.randrange(20000, 30000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port found in 20000-29999")


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the installed ``fas-ray`` command."""
    return subprocess.run(
        [FAS_RAY, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass(frozen=True)
class CliRun:
    root: Path
    csv: Path
    run_id: str
    model_id: str
    stdout: str

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.root / "runs" / self.run_id / "report.json").read_text())

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.root / "runs" / self.run_id / "manifest.json").read_text())


def _run(base: Path, name: str, frame: Any, trials: int, *extra: str) -> CliRun:
    csv = base / f"{name}.csv"
    frame.to_csv(csv, index=False)
    root = base / "data"
    proc = cli(
        "run",
        str(csv),
        "--target",
        "target",
        "--max-trials",
        str(trials),
        "--time-budget",
        "300",
        "--data-root",
        str(root),
        *extra,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = re.search(r"^run id:\s+(\S+)$", proc.stdout, re.M)
    model_id = re.search(r"^model id:\s+(\S+)$", proc.stdout, re.M)
    assert run_id and model_id, proc.stdout
    return CliRun(root, csv, run_id.group(1), model_id.group(1), proc.stdout)


@pytest.fixture(scope="session")
def breast_cancer_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    frame = load_breast_cancer(as_frame=True).frame
    return _run(tmp_path_factory.mktemp("bc"), "breast_cancer", frame, trials=12)


@pytest.fixture(scope="session")
def diabetes_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    frame = load_diabetes(as_frame=True).frame
    return _run(tmp_path_factory.mktemp("diabetes"), "diabetes", frame, 16, "--metric", "rmse")


def _wait_healthy(url: str, proc: subprocess.Popen[str], log: Path, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"fas-ray serve exited early:\n{log.read_text()}")
        try:
            if all(
                httpx.get(f"{url}{path}", timeout=2).status_code == 200
                for path in ("/healthz", "/models/healthz")
            ):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)  # polling interval while waiting on the condition above
    raise AssertionError(f"fas-ray serve did not become healthy in time:\n{log.read_text()}")


@contextlib.contextmanager
def serving(base: Path, token: str, **pipeline_args: Any) -> Iterator[tuple[str, Path]]:
    """A real ``fas-ray serve`` (token required) on ``base/data`` with the repository's Serve
    config, the pipeline app's arguments updated by ``pipeline_args``; yields (URL, data root)
    once both apps answer, and stops it (SIGINT, then SIGKILL) afterwards."""
    root = base / "data"
    repo = Path(__file__).resolve().parents[2]
    config = yaml.safe_load((repo / "serve_apps" / "config.yaml").read_text())
    for app in config["applications"]:
        if app["name"] == "pipeline":
            app["args"].update(pipeline_args)
    config_path = base / "serve.yaml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = base / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [FAS_RAY, "serve", "--port", str(port), "--data-root", str(root)]
            + ["--config", str(config_path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "FAS_RAY_API_TOKEN": token},
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, deadline_s=180)
        yield url, root
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def start_two_nodes(extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """``cluster/multinode-local.sh`` (a head on 127.0.0.2, a worker on 127.0.0.3) on free
    ports, in a short private temp dir, stopped afterwards; yields the environment to reach it
    (``RAY_ADDRESS`` set) and to call the script again."""
    import shutil
    import tempfile

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
    env.update(FAS_RAY_TEMP_DIR=str(temp_dir), FAS_RAY_VENV=str(Path(sys.executable).parent.parent))
    env.update(extra_env or {})
    try:
        started = subprocess.run(
            ["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=240
        )
        assert started.returncode == 0, started.stdout + started.stderr
        yield {**env, "RAY_ADDRESS": f"127.0.0.2:{ports['FAS_RAY_GCS_PORT']}"}
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp_dir, ignore_errors=True)


def configurations_done(root: Path) -> int:
    """Configurations a run's search has completed, from its progress file (0 before it exists)."""
    for path in (root / "runs").glob("*/progress.json"):
        try:
            return len(json.loads(path.read_text()).get("history", []))
        except json.JSONDecodeError:  # caught between the write and the rename
            return 0
    return 0
