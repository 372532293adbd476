"""``ray job submit -- fas-ray run ...`` against a real local Ray head (``ray start --head``).

The head runs in its own session and temp dir, on free ports, so it cannot collide with other
Ray clusters on the machine; teardown stops exactly its processes (never ``ray stop``, which
kills every Ray on the machine) and checks that none survives.

The job runs in a copy of ``--working-dir`` (``<temp dir>/session_*/runtime_resources/
working_dir_files/_ray_pkg_<hash>``), which is also its cwd and the head of its PYTHONPATH: the
job imports the shipped ``fas_ray``, and relative paths would resolve inside that throwaway copy.
So the CSV and ``--data-root`` are given as absolute paths.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sklearn.datasets import load_breast_cancer, load_iris

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RAY = str(VENV_BIN / "ray")
START_DEADLINE_S = 120.0
JOB_TIMEOUT_S = 360.0
STOP_DEADLINE_S = 15.0


def _free_ports(n: int) -> list[int]:
    """``n`` distinct ports that are free on 127.0.0.1 right now."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


def _worker_port_range(size: int = 100) -> tuple[int, int]:
    """A free run of ports below the ephemeral range and above Ray's default (10002-19999)."""
    for _ in range(50):
        low = random.randrange(20000, 30000 - size)
        if all(_port_is_free(p) for p in range(low, low + size)):
            return low, low + size - 1
    pytest.fail("no free range of worker ports found")


def _proc_info(pid: int) -> tuple[str, str, int, int, str] | None:
    """(command line, comm, parent pid, session id, state) of a process; None if it is gone."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, UnicodeDecodeError):
        return None
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    state, ppid, _pgrp, sid = stat[stat.rindex(")") + 2 :].split()[:4]
    return cmdline, comm, int(ppid), int(sid), state


def _our_processes(session_id: int, markers: list[str]) -> dict[int, str]:
    """Live processes (pid: comm; zombies left out) of our head's session, or whose command line
    names one of our own temp paths, or descending from those (job drivers start new sessions)."""
    me = os.getpid()
    info = {
        pid: got
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (pid := int(entry.name)) != me
        if (got := _proc_info(pid)) is not None
    }
    ours = {
        pid
        for pid, (cmd, _, _, sid, _) in info.items()
        if sid == session_id or any(m in cmd for m in markers)
    }
    while extra := {pid for pid, i in info.items() if i[2] in ours and pid not in ours}:
        ours |= extra
    return {pid: info[pid][1] for pid in ours if info[pid][4] != "Z"}


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_gone(pids: list[int], deadline_s: float) -> list[int]:
    """Wait until the processes exit (or turn zombie); returns those still alive."""
    end = time.monotonic() + deadline_s
    while True:
        alive = [p for p in pids if (i := _proc_info(p)) is not None and i[4] != "Z"]
        if not alive or time.monotonic() >= end:
            return alive
        time.sleep(0.2)  # polling interval while waiting on the condition above


@dataclass(frozen=True)
class Head:
    dashboard_url: str
    gcs_address: str
    temp_dir: Path
    env: dict[str, str]


def _stop_head(proc: subprocess.Popen[bytes], markers: list[str]) -> list[str]:
    """Stop the head the way ``ray stop`` orders it (raylet, others, GCS), SIGKILL on a deadline.

    Returns a description of the processes that needed SIGKILL.
    """
    sid = proc.pid  # start_new_session=True: the `ray start` process leads its own session
    killed: list[str] = []
    found = _our_processes(sid, markers)
    phases = [
        [p for p, c in found.items() if c == "raylet"],
        [p for p, c in found.items() if c not in ("raylet", "gcs_server")],
        [p for p, c in found.items() if c == "gcs_server"],
    ]
    for pids in phases:
        _signal(pids, signal.SIGTERM)
        left = _wait_gone(pids, STOP_DEADLINE_S)
        if left:
            killed += [f"{p} ({found[p]})" for p in left]
            _signal(left, signal.SIGKILL)
    try:
        os.killpg(sid, signal.SIGKILL)  # anything of the group that appeared meanwhile
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
    # Leftovers that escaped the session (e.g. reparented workers), matched by our temp paths.
    left = _our_processes(sid, markers)
    if left:
        killed += [f"{p} ({c})" for p, c in left.items()]
        _signal(list(left), signal.SIGKILL)
    still = _wait_gone(list(_our_processes(sid, markers)), STOP_DEADLINE_S)
    assert not still, f"processes of the test head survive SIGKILL: {still}"
    return killed


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[Head]:
    """A real single-node Ray head on 127.0.0.1, token auth off, in a short private temp dir."""
    # Unix socket paths must stay under ~107 characters: a short dir, not pytest's tmp_path.
    temp_dir = Path(tempfile.mkdtemp(prefix="fasray-job-", dir="/tmp"))
    gcs, dashboard, client, agent = _free_ports(4)
    min_worker, max_worker = _worker_port_range()
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FAS_RAY_DATA_ROOT")}
    env.update(
        RAY_AUTH_MODE="disabled",
        RAY_USAGE_STATS_ENABLED="0",
        # Without this Ray swaps --node-ip-address=127.0.0.1 for the eth0 address.
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
        # A job's python and fas-ray are whatever was on PATH when `ray start` ran.
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(VENV_BIN.parent),
    )
    cmd = [
        RAY,
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={gcs}",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}",
        f"--ray-client-server-port={client}",
        f"--dashboard-agent-listen-port={agent}",
        "--metrics-export-port=0",
        f"--min-worker-port={min_worker}",
        f"--max-worker-port={max_worker}",
        "--num-cpus=2",
        "--object-store-memory=300000000",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]
    log_path = temp_dir / "ray-start.log"
    markers = [str(temp_dir), str(tmp_path)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=temp_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{dashboard}"
    try:
        _wait_for_dashboard(proc, url, log_path)
        yield Head(url, f"127.0.0.1:{gcs}", temp_dir, env)
    finally:
        killed = _stop_head(proc, markers)
        if killed:
            warnings.warn(f"test head needed SIGKILL for: {', '.join(killed)}", stacklevel=1)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_for_dashboard(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    """Poll the dashboard (version, then the Jobs API) until it answers or the deadline passes."""
    end = time.monotonic() + START_DEADLINE_S
    last = "no answer yet"
    for path in ("/api/version", "/api/jobs/"):
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"`ray start --head` exited with {proc.returncode}:\n"
                    + log_path.read_text(errors="replace")
                )
            try:
                if httpx.get(url + path, timeout=2.0).status_code == 200:
                    break
                last = "not ready"
            except httpx.HTTPError as exc:
                last = repr(exc)
            if time.monotonic() >= end:
                pytest.fail(
                    f"Ray dashboard {url}{path} not answering after {START_DEADLINE_S:.0f} s "
                    f"({last}); `ray start` output:\n" + log_path.read_text(errors="replace")
                )
            try:  # the pause between polls, cut short if `ray start` dies
                proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass


def test_ray_job_submit_runs_the_pipeline(ray_head: Head, tmp_path: Path) -> None:
    csv = tmp_path / "breast_cancer.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(csv, index=False)
    data_root = tmp_path / "data"
    cmd = [
        RAY,
        "job",
        "submit",
        "--address",
        ray_head.dashboard_url,
        "--working-dir",
        str(REPO),
        "--",
        "fas-ray",
        "run",
        str(csv),
        "--target",
        "target",
        "--max-trials",
        "4",
        "--time-budget",
        "60",
        "--data-root",
        str(data_root),
    ]
    try:
        # cwd is not the repo: the job's code must come from --working-dir, not from cwd.
        proc = subprocess.run(
            cmd,
            env=ray_head.env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=JOB_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        pytest.fail(f"`ray job submit` still running after {JOB_TIMEOUT_S:.0f} s:\n{out}")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "model id:" in output, output
    assert re.search(r"Job 'raysubmit_\w+' succeeded", output), output

    manifests = list(data_root.glob("runs/*/manifest.json"))
    assert len(manifests) == 1, (manifests, output)
    manifest = json.loads(manifests[0].read_text())
    assert manifest["status"] == "completed", manifest
    assert manifest["source"] == str(csv)

    # The working dir was shipped as a package: code yes; .gitignore'd .venv / fas_data, no.
    packages = [
        p
        for p in ray_head.temp_dir.glob(
            "session_latest/runtime_resources/working_dir_files/_ray_pkg_*"
        )
        if p.is_dir()
    ]
    assert len(packages) == 1, packages
    shipped = {p.name for p in packages[0].iterdir()}
    assert {"fas_ray", "pyproject.toml"} <= shipped, shipped
    assert not shipped & {".venv", "fas_data", ".git"}, shipped
    size = sum(f.stat().st_size for f in packages[0].rglob("*") if f.is_file())
    assert size < 50 * 1024 * 1024, f"working_dir package is {size / 2**20:.0f} MiB"


def test_eight_runs_at_once_share_one_data_root(ray_head: Head, tmp_path: Path) -> None:
    """Eight ``fas-ray run`` at once on one cluster and one data root: unique ids, every
    manifest completed, the registry intact and every model loadable."""
    from fas_ray.pipeline import registry_for
    from fas_ray.storage import DataRoot

    csv = tmp_path / "iris.csv"
    load_iris(as_frame=True).frame.to_csv(csv, index=False)
    data_root = tmp_path / "data"
    env = {**ray_head.env, "RAY_ADDRESS": ray_head.gcs_address}
    fas_ray = str(VENV_BIN / "fas-ray")
    procs = [
        subprocess.Popen(
            [
                fas_ray,
                "run",
                str(csv),
                "--target",
                "target",
                "--max-trials",
                "2",
                "--time-budget",
                "120",
                "--seed",
                str(seed),
                "--no-chart-png",
                "--data-root",
                str(data_root),
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for seed in range(8)
    ]
    outputs = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=JOB_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            pytest.fail("eight concurrent runs did not finish in time")
        outputs.append(out)
        assert proc.returncode == 0, out

    def found(label: str, text: str) -> str:
        match = re.search(rf"^{label}:\s+(\S+)$", text, re.M)
        assert match, text
        return match.group(1)

    run_ids = {found("run id", o) for o in outputs}
    model_ids = {found("model id", o) for o in outputs}
    assert len(run_ids) == 8 and len(model_ids) == 8
    for run_id in run_ids:
        manifest = json.loads((data_root / "runs" / run_id / "manifest.json").read_text())
        assert manifest["status"] == "completed" and manifest["model_id"] in model_ids
    registry = registry_for(DataRoot(data_root))
    assert {m.model_id for m in registry.list()} == model_ids
    rows = load_iris(as_frame=True).frame.drop(columns="target").head(3)
    for model_id in model_ids:
        assert len(registry.load(model_id).predict(rows)) == 3
