"""``serve run serve_apps/config.yaml`` (Ray Serve's own CLI) starts both applications."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SERVE = str(Path(sys.executable).with_name("serve"))


def test_serve_run_starts_both_apps(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "serve_apps" / "config.yaml").read_text())
    port = free_port()
    config["http_options"]["port"] = port
    for app in config["applications"]:
        app["args"]["data_root"] = str(tmp_path / "data")
    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FAS_RAY_API_TOKEN")}
    env.update(RAY_AUTH_MODE="disabled", RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [SERVE, "run", str(path)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        healthy: dict[str, bool] = {}
        while time.monotonic() < deadline and not all(healthy.get(p) for p in ("/", "/models/")):
            assert proc.poll() is None, log.read_text()
            for prefix in ("/", "/models/"):
                try:
                    healthy[prefix] = (
                        httpx.get(f"{url}{prefix}healthz", timeout=2).status_code == 200
                    )
                except httpx.TransportError:
                    healthy[prefix] = False
            time.sleep(0.5)  # polling interval while Serve starts
        assert all(healthy.values()) and len(healthy) == 2, log.read_text()
        assert httpx.get(f"{url}/models/").json() == []  # an empty registry, open on loopback
        assert httpx.get(f"{url}/runs").json() == []
        assert "/datasets" in httpx.get(f"{url}/openapi.json").json()["paths"]
        assert (tmp_path / "data" / "uploads").is_dir()  # the pipeline app made its root
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
