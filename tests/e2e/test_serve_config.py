"""``serve run serve_apps/config.yaml`` (Ray Serve's own CLI) starts both applications, and an
overloaded model app sheds load with 503 + Retry-After instead of queueing without bound."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl
import pytest
import yaml
from sklearn.datasets import load_breast_cancer

from fas_ray.ml import detect_task, fit_model
from fas_ray.registry import SQLiteRegistry
from fas_ray.storage import DataRoot
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
        if app["name"] == "models":  # one request at a time, one waiting: easy to overload
            app["args"].update(max_ongoing_requests=1, max_queued_requests=1, retry_after_s=2)
    frame = pl.from_pandas(load_breast_cancer(as_frame=True).frame)
    task = detect_task(frame["target"], "target")
    model = fit_model("linear", {"regularization": 1.0}, frame, task, seed=0, n_jobs=1)
    root = DataRoot(tmp_path / "data")
    SQLiteRegistry(root.registry_db, root.layer("models")).save(
        "bc", model, run_id="r", task="binary", target="target", learner="linear", metrics={}
    )
    rows = frame.drop("target").to_dicts()  # 569 rows a request
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
        assert [m["model_id"] for m in httpx.get(f"{url}/models/").json()] == ["bc"]
        assert httpx.get(f"{url}/runs").json() == []
        assert "/datasets" in httpx.get(f"{url}/openapi.json").json()["paths"]
        assert (tmp_path / "data" / "uploads").is_dir()  # the pipeline app made its root

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=60) as client:
                calls = [client.post(f"{url}/models/bc/predict", json=rows) for _ in range(24)]
                return list(await asyncio.gather(*calls))

        answers = asyncio.run(burst())  # 24 at once against 1 running + 1 queued
        codes = sorted({r.status_code for r in answers})
        assert set(codes) <= {200, 503} and 200 in codes and 503 in codes, codes
        shed = next(r for r in answers if r.status_code == 503)
        assert shed.headers.get("retry-after") == "2"
        served = next(r for r in answers if r.status_code == 200).json()
        assert len(served["predictions"]) == len(rows)  # the ones let in are answered in full
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
