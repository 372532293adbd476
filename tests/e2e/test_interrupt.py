"""A driver killed in the middle of its search: nothing half-written, and the same command then
runs cleanly.

``SIGTERM`` (what ``kill`` and ``ray job stop`` send) unwinds like Ctrl+C: the manifest ends
``failed`` with the reason ``interrupted`` and the command exits 130. ``SIGKILL`` gives the process
no chance to write anything: its manifest keeps ``running`` until it is read (``fas-ray runs``,
the pipeline API), which finds its process gone and records ``interrupted``. In both cases no
registry entry, model file, report or hidden temporary entry is left, and the same command then
completes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from fas_ray.registry import SQLiteRegistry
from tests.e2e.conftest import FAS_RAY, cli, configurations_done

pytestmark = pytest.mark.slow


def _manifest(root: Path) -> dict[str, object] | None:
    found = list((root / "runs").glob("*/manifest.json")) if (root / "runs").is_dir() else []
    if not found:
        return None
    try:
        return json.loads(found[0].read_text())
    except json.JSONDecodeError:  # caught between the write and the rename: read again
        return None


def _searching(manifest: dict[str, object] | None) -> bool:
    stages = manifest.get("stages", []) if manifest else []
    return any(
        s["name"] == "search" and s["status"] == "running"  # type: ignore[index]
        for s in stages  # type: ignore[union-attr]
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_killed_run_leaves_nothing_half_written(sig: signal.Signals, tmp_path: Path) -> None:
    csv = tmp_path / "bc.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(csv, index=False)
    root = tmp_path / "data"
    command = ["run", str(csv), "--target", "target", "--data-root", str(root)]
    proc = subprocess.Popen(
        [FAS_RAY, *command, "--time-budget", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    # the search under way, with at least one configuration finished, when the signal comes
    while not (_searching(_manifest(root)) and configurations_done(root) >= 1):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, _manifest(root)
        time.sleep(0.2)  # polling interval until the search has finished a configuration
    if sig == signal.SIGKILL:
        os.killpg(proc.pid, sig)  # the driver and the Ray processes it started
    else:
        proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)

    manifest = _manifest(root)
    assert manifest is not None
    if sig == signal.SIGTERM:
        assert proc.returncode == 130, stderr[-3000:]
        assert "fas-ray: interrupted" in stderr
        assert manifest["status"] == "failed" and manifest["error"] == "interrupted"
    else:
        assert proc.returncode == -signal.SIGKILL
        assert manifest["status"] == "running" and _searching(manifest)  # it could not write
        listed = cli("runs", "--data-root", str(root), timeout=60)  # reading it settles it
        assert listed.returncode == 0 and "interrupted" in listed.stdout, listed.stdout
        manifest = _manifest(root)
        assert manifest is not None and manifest["status"] == "failed"
    registry = SQLiteRegistry(root / "registry.sqlite", root / "models")
    assert registry.list() == []
    assert not list((root / "models").iterdir())
    assert not list((root / "runs").glob("*/report.json"))
    layers = ("bronze", "silver", "gold", "features", "models")
    hidden = [p for layer in layers for p in (root / layer).rglob(".*")]  # temporary entries
    assert hidden == [], hidden

    again = cli(*command, "--max-trials", "2", "--time-budget", "120", timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    model_id = re.search(r"^model id:\s+(\S+)$", again.stdout, re.M)
    assert model_id and [m.model_id for m in registry.list()] == [model_id.group(1)]
