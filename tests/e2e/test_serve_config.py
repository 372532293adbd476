"""``serve run serve_apps/config.yaml`` (Ray Serve's own CLI) starts both applications, and an
overloaded model app sheds load with 503 + Retry-After instead of queueing without bound."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
FRAME = pl.from_pandas(load_breast_cancer(as_frame=True).frame)

REPO = Path(__file__).resolve().parents[2]
SERVE = str(Path(sys.executable).with_name("serve"))


@contextlib.contextmanager
def serve_run(base: Path, models_args: dict[str, Any]) -> Iterator[str]:
    """``serve run`` of the repository's config on ``base/data``, the model app's arguments
    updated by ``models_args``, with breast_cancer's linear model registered as ``bc``; yields
    the URL once both apps answer, and stops Serve afterwards."""
    config = yaml.safe_load((REPO / "serve_apps" / "config.yaml").read_text())
    port = free_port()
    config["http_options"]["port"] = port
    for app in config["applications"]:
        app["args"]["data_root"] = str(base / "data")
        if app["name"] == "models":
            app["args"].update(models_args)
    task = detect_task(FRAME["target"], "target")
    model = fit_model("linear", {"regularization": 1.0}, FRAME, task, seed=0, n_jobs=1)
    root = DataRoot(base / "data")
    SQLiteRegistry(root.registry_db, root.layer("models")).save(
        "bc", model, run_id="r", task="binary", target="target", learner="linear", metrics={}
    )
    path = base / "serve.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FAS_RAY_API_TOKEN")}
    env.update(RAY_AUTH_MODE="disabled", RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")
    log = base / "serve.log"
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
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_serve_run_starts_both_apps(tmp_path: Path) -> None:
    # one request at a time, one waiting: easy to overload
    overload = {"max_ongoing_requests": 1, "max_queued_requests": 1, "retry_after_s": 2}
    rows = FRAME.drop("target").to_dicts()  # 569 rows a request
    with serve_run(tmp_path, overload) as url:
        assert [m["model_id"] for m in httpx.get(f"{url}/models/").json()] == ["bc"]
        assert httpx.get(f"{url}/runs").json() == []
        assert "/datasets" in httpx.get(f"{url}/openapi.json").json()["paths"]

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


def _replica_pids() -> list[int]:
    """The processes of the model app's Serve replicas (Ray names them ``ray::ServeReplica:``)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "ServeReplica:models" in line]


def test_a_killed_replica_recovers_under_load_without_a_wrong_answer(tmp_path: Path) -> None:
    """SIGKILL the model app's only replica while four clients send requests: Serve starts a
    new one; meanwhile requests fail fast with a 5xx (none hangs), and every 200 carries the
    model's own predictions."""
    rows = FRAME.drop("target").head(8).to_dicts()
    with serve_run(tmp_path, {"num_replicas": 1}) as url:
        expected = httpx.post(f"{url}/models/bc/predict", json={"rows": rows}, timeout=30).json()
        log: list[tuple[float, float, int, Any]] = []  # (sent, answered, status, predictions)
        stop = threading.Event()

        def client() -> None:
            with httpx.Client(timeout=30) as http:
                while not stop.is_set():
                    sent = time.monotonic()
                    try:
                        r = http.post(f"{url}/models/bc/predict", json={"rows": rows})
                        body = r.json() if r.status_code == 200 else None
                        answer = (r.status_code, body and body["predictions"])
                    except httpx.TransportError:
                        answer = (0, None)  # a dropped connection counts as failed
                    log.append((sent, time.monotonic(), *answer))
                    time.sleep(0.05)

        clients = [threading.Thread(target=client) for _ in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(3.0)  # steady load first
        (pid,) = _replica_pids()
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        deadline = killed + 90
        while time.monotonic() < deadline:  # until a new replica answers, and a while after
            replaced = [p for p in _replica_pids() if p != pid]
            answered = any(t > killed and s == 200 for t, _, s, _ in log)
            if replaced and answered and time.monotonic() > killed + 10:
                break
            time.sleep(0.2)  # polling interval while Serve replaces the replica
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in clients), "a request hung"

        assert replaced, "Serve did not start a new replica"
    # the requests under way or sent while no replica ran: how long they took, how they ended
    around = [(sent, done, s) for sent, done, s, _ in log if done > killed]
    longest = max(done - sent for sent, done, _ in around)
    back = min(done for _, done, s in around if s == 200) - killed
    failed = [s for _, _, s in around if s != 200]
    print(
        f"replica killed: answers again after {back:.1f} s; longest request {longest:.1f} s; "
        f"{len(failed)} of {len(around)} failed ({sorted(set(failed))})"
    )
    assert back < 60 and longest < 30, (back, longest)
    assert all(s == 0 or 500 <= s < 600 for s in failed), sorted(set(failed))
    assert all(p == expected["predictions"] for _, _, s, p in log if s == 200)
    assert _replica_pids() == []  # Serve stopped with the test: no replica left behind
