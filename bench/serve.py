"""Serving: the same model behind fas-ray's Ray Serve model app and behind a bare FastAPI +
uvicorn app, side by side in one run (issue 6).

A LightGBM model is trained on breast_cancer and registered in a temporary data root. Then:

- ``bare``: a FastAPI app in one uvicorn process that loads the model once and answers
  ``POST /models/{id}/predict`` with the same JSON as fas-ray (``predict_both``);
- ``serve``: fas-ray's model app (``serve_apps.model_app:build``) on a local Ray, one variant
  per ``--variants`` entry (``name:key=value,...`` of the app's builder arguments).

For each: single-row latency (sequential requests, p50 / p99), throughput with ``--clients``
concurrent clients (default 16; requests per second over ``--seconds``, p50 / p99 under that
load, errors (connections the server dropped among them), requests shed with 503, and the
server processes' resident memory at the start and at its peak, sampled every 0.5 s from
/proc), and the time to score 1,000 rows in one request (median of 10). The load generator
is this process (asyncio + httpx), the same for all.

    .venv/bin/python bench/serve.py --clients 64 --seconds 60   # issue 17's load check

    .venv/bin/python bench/serve.py
    .venv/bin/python bench/serve.py --variants "default:" "nobatch:max_batch_size=1"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import _sh, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MODEL_ID = "bench-breast-cancer"

BARE_APP = """
import sys
from typing import Any
import numpy as np
from fastapi import Body, FastAPI
from fas_ray.registry import SQLiteRegistry
from fas_ray.storage import DataRoot
from pathlib import Path

root = DataRoot(Path(sys.argv[1]))
model = SQLiteRegistry(root.registry_db, root.layer("models")).load(sys.argv[2])
app = FastAPI()

def jsonable(values):
    return [v.item() if hasattr(v, "item") else v for v in list(values)]

@app.post("/models/{model_id}/predict")
def predict(model_id: str, payload: Any = Body(...)) -> dict[str, Any]:
    rows = payload["rows"] if isinstance(payload, dict) else payload
    pred, proba = model.predict_both(rows)
    out = {"model_id": model_id, "version": 1, "predictions": jsonable(pred)}
    if proba is not None:
        out["classes"] = jsonable(model.classes_)
        out["probabilities"] = np.asarray(proba).tolist()
    return out

@app.get("/healthz")
def healthz():
    return {"status": "ok"}

if __name__ == "__main__":
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _train(root: Path) -> list[dict[str, Any]]:
    """Register a LightGBM model on breast_cancer; returns rows to send."""
    import polars as pl
    from sklearn.datasets import load_breast_cancer

    from fas_ray.automl import AutoML
    from fas_ray.pipeline import registry_for
    from fas_ray.storage import DataRoot

    frame = pl.from_pandas(load_breast_cancer(as_frame=True).frame)
    automl = AutoML(
        "target", max_trials=4, learners=("lightgbm",), use_ray=False, ensemble=False
    ).fit(frame)
    model = automl.model
    model.metadata = {"model_id": MODEL_ID, "run_id": "bench"}
    registry_for(DataRoot(root).ensure()).save(
        MODEL_ID,
        model,
        run_id="bench",
        task="binary",
        target="target",
        learner=model.learner,
        metrics={},
    )
    rows: list[dict[str, Any]] = frame.drop("target").to_dicts()
    return rows


def _wait(url: str, deadline_s: float = 120) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


CLIENTS = 16  # concurrent clients of the throughput phase (--clients)


def _rss_mb(pids: list[int]) -> float:
    """Resident memory of ``pids`` together (MiB), from /proc (0 for a process gone)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _replica_pids() -> list[int]:
    """The model app's Serve replica processes (their command line names the deployment)."""
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if b"ModelServer" in (proc / "cmdline").read_bytes():
                    out.append(int(proc.name))
            except OSError:
                continue
    return out


async def _measure(
    url: str, rows: list[dict[str, Any]], seconds: float, pids: Any = list
) -> dict[str, Any]:
    predict = f"{url}/models/{MODEL_ID}/predict"
    width = max(32, CLIENTS)
    limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        # check + warm up
        first = await client.post(predict, json={"rows": rows[:1]})
        first.raise_for_status()
        for i in range(100):
            (await client.post(predict, json={"rows": [rows[i % len(rows)]]})).raise_for_status()
        # single-row latency, sequential
        lat = []
        for i in range(500):
            t = time.perf_counter()
            r = await client.post(predict, json={"rows": [rows[i % len(rows)]]})
            lat.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
        lat.sort()
        # throughput, CLIENTS concurrent clients
        done = errors = shed = dropped = 0
        under_load: list[float] = []
        stop_at = time.perf_counter() + seconds
        watched = pids()
        rss = [_rss_mb(watched)]

        async def worker(k: int) -> None:
            nonlocal done, errors, shed, dropped
            i = k
            while time.perf_counter() < stop_at:
                t = time.perf_counter()
                try:
                    r = await client.post(predict, json={"rows": [rows[i % len(rows)]]})
                except httpx.TransportError:  # the server dropped the connection: an error
                    under_load.append((time.perf_counter() - t) * 1000)
                    errors += 1
                    dropped += 1
                    i += CLIENTS
                    continue
                under_load.append((time.perf_counter() - t) * 1000)
                if r.status_code == 200:
                    done += 1
                elif r.status_code == 503:
                    shed += 1
                else:
                    errors += 1
                i += CLIENTS

        async def sample() -> None:
            while time.perf_counter() < stop_at:
                await asyncio.sleep(0.5)
                rss.append(_rss_mb(watched))

        start = time.perf_counter()
        await asyncio.gather(sample(), *(worker(k) for k in range(CLIENTS)))
        elapsed = time.perf_counter() - start
        under_load.sort()
        # 1,000-row batch
        batch = [rows[i % len(rows)] for i in range(1000)]
        times = []
        for _ in range(10):
            t = time.perf_counter()
            r = await client.post(predict, json={"rows": batch})
            times.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
            assert len(r.json()["predictions"]) == 1000
    return {
        "p50_ms": lat[len(lat) // 2],
        "p99_ms": lat[int(len(lat) * 0.99) - 1],
        "rps": done / elapsed,
        "errors": errors,
        "dropped": dropped,
        "shed": shed,
        "p50_load_ms": under_load[len(under_load) // 2],
        "p99_load_ms": under_load[int(len(under_load) * 0.99) - 1],
        "rss_start_mb": rss[0],
        "rss_peak_mb": max(rss),
        "batch1000_ms": statistics.median(times),
        "first_prediction": first.json()["predictions"][0],
    }


def _bare(root: Path, rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    port = _free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(BARE_APP)
    proc = subprocess.Popen([sys.executable, fh.name, str(root), MODEL_ID, str(port)])
    try:
        _wait(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}"
        return asyncio.run(_measure(url, rows, seconds, lambda: [proc.pid]))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(fh.name)


def _find_url(ports: list[int], deadline_s: float = 120) -> str:
    """The first port answering ``/models/healthz`` (Serve's proxy; with direct ingress the
    replica itself listens on a port Serve allocates, from 30000)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        for port in ports:
            try:
                url = f"http://127.0.0.1:{port}"
                if httpx.get(f"{url}/models/healthz", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"no Serve endpoint answered on {ports}")


def _parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    name, _, rest = text.partition(":")
    args: dict[str, Any] = {}
    for part in filter(None, rest.split(",")):
        key, _, value = part.partition("=")
        args[key] = json.loads(value)
    return name, args


def _serve(
    root: Path, rows: list[dict[str, Any]], seconds: float, variants: list[str]
) -> dict[str, dict[str, Any]]:
    import ray
    from ray import serve

    from serve_apps.model_app import build

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, object_store_memory=300 << 20)
    port = _free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    out = {}
    try:
        for text in variants:
            name, args = _parse_variant(text)
            app = build({"data_root": str(root), **args})
            serve.run(app, name="models", route_prefix="/models", blocking=False)
            url = _find_url([port, *range(30000, 30010)])
            out[name] = {**asyncio.run(_measure(url, rows, seconds, _replica_pids)), **args}
            serve.delete("models")
    finally:
        serve.shutdown()
        ray.shutdown()
    return out


def render(results: dict[str, dict[str, Any]], command: str, seconds: float) -> str:
    bare = results["bare"]
    lines = [
        f"### Serving: fas-ray model app vs bare FastAPI + uvicorn "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Command: `{command}`",
        "",
        f"Versions: ray {_ray_version()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs. Load before: `{_sh('uptime').strip()}`.",
        "",
        f"Serve settings: RAY_SERVE_THROUGHPUT_OPTIMIZED="
        f"{os.environ.get('RAY_SERVE_THROUGHPUT_OPTIMIZED', '0')}.",
        "",
        "Model: LightGBM on breast_cancer (30 numeric columns), from the registry; the client "
        f"(asyncio + httpx) runs in the benchmark process. Throughput: {CLIENTS} concurrent "
        f"clients for {seconds:g} s, one row per request; memory: the server processes' "
        "resident set (the uvicorn process; the Serve replica), at the start of the load and "
        "its peak.",
        "",
        f"| server | single-row p50 ms | p99 ms | rps @{CLIENTS} | vs bare | p50 @{CLIENTS} ms "
        f"| p99 @{CLIENTS} ms | 1,000 rows ms | errors | shed (503) | RSS start / peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rps']:.0f} | "
            f"{r['rps'] / bare['rps']:.2f}x | {r['p50_load_ms']:.1f} | {r['p99_load_ms']:.1f} | "
            f"{r['batch1000_ms']:.1f} | {r['errors']} ({r.get('dropped', 0)} dropped) | "
            f"{r['shed']} | "
            f"{r['rss_start_mb']:.0f} / {r['rss_peak_mb']:.0f} |"
        )
    lines.append("")
    return "\n".join(lines) + "\n"


def _ray_version() -> str:
    import ray

    return str(ray.__version__)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=15.0, help="throughput window per server")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients under load")
    p.add_argument(
        "--variants",
        nargs="+",
        default=["serve:"],
        help="fas-ray variants: name:key=json,... of ModelAppArgs ('nobatch:max_batch_size=1')",
    )
    p.add_argument(
        "--throughput-optimized",
        action="store_true",
        help="RAY_SERVE_THROUGHPUT_OPTIMIZED=1 (direct ingress: no proxy hop, gRPC routing)",
    )
    p.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    p.add_argument("--section", default="serve")
    args = p.parse_args()
    global CLIENTS
    CLIENTS = args.clients
    if args.throughput_optimized:  # read when Serve's modules are imported: set it first
        os.environ["RAY_SERVE_THROUGHPUT_OPTIMIZED"] = "1"
    command = "python bench/serve.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="fasray-serve-bench-") as tmp:
        root = Path(tmp)
        rows = _train(root)
        results = {"bare": _bare(root, rows, args.seconds)}
        for name, r in _serve(root, rows, args.seconds, args.variants).items():
            results[name] = r
    assert len({json.dumps(r["first_prediction"]) for r in results.values()}) == 1
    text = render(results, command, args.seconds)
    print(text)
    write_section(Path(args.out), args.section, text)


if __name__ == "__main__":
    main()
