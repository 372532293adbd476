"""End-to-end tier: the real ``fas-ray`` command in subprocesses, each starting its own Ray."""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

FAS_RAY = str(Path(sys.executable).with_name("fas-ray"))


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
