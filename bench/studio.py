"""The studio's weight and speed (issue 13): how many bytes the page is without plotly.js, and
how long each of the six views takes to draw on loopback with a finished run of 50,000 rows.

One ``fas-ray serve`` on a temporary data root; a generated 50,000-row table (numbers,
categories, missing values, a binary target) is uploaded and trained on over the API (a trial
budget, so the run is the same each time); then Debian's Chromium (Playwright) opens the page and,
``--repeats`` times, selects the run and switches to each view, timing from the click to the
moment the view's content is drawn (its table rows, charts' SVG, model card), measured in the
page with ``performance.now()``. Nothing outside 127.0.0.1 is contacted.

    .venv/bin/python bench/studio.py                      # writes a section of bench/RESULTS.md
    .venv/bin/python bench/studio.py --rows 5000 --no-write
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import _sh, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FAS_RAY = str(Path(sys.executable).with_name("fas-ray"))
sys.path.insert(0, str(REPO))

# view -> the selector whose appearance means the view is drawn
READY = {
    "ingest": "#datasets-table tbody tr.selected",
    "etl": "#profile-table tbody tr",
    "automl": "#history-chart .main-svg",
    "explain": "#chart-beeswarm .main-svg",
    "visualize": "#chart-model .main-svg",
    "export": "#model-card h2",
}
LABEL = {
    "ingest": "1 Ingest",
    "etl": "2 ETL",
    "automl": "3 AutoML",
    "explain": "4 Explain",
    "visualize": "5 Visualize",
    "export": "6 Export",
}


def table(rows: int, seed: int = 0) -> pl.DataFrame:
    """Numbers, categories with missing values and a binary target that depends on both."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 10))
    city = rng.choice(["north", "south", "east", "west", "centre"], size=rows)
    plan = rng.choice(["basic", "plus", "pro"], size=rows, p=[0.6, 0.3, 0.1])
    logit = x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + (plan == "pro") * 1.2
    target = (logit + rng.logistic(size=rows) > 0).astype(int)
    frame = pl.DataFrame({f"x{i}": x[:, i] for i in range(10)}).with_columns(
        city=pl.Series(city), plan=pl.Series(plan), target=pl.Series(target)
    )
    holes = rng.random(rows) < 0.05
    return frame.with_columns(
        pl.when(pl.Series(holes)).then(None).otherwise(pl.col("x4")).alias("x4"),
        pl.when(pl.Series(holes[::-1])).then(None).otherwise(pl.col("city")).alias("city"),
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[str], deadline_s: float = 180) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("fas-ray serve exited early")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                if httpx.get(f"{url}/models/healthz", timeout=2).status_code == 200:
                    return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("fas-ray serve did not become healthy")


def _train(url: str, csv: Path, trials: int) -> tuple[str, float]:
    with httpx.Client(base_url=url, timeout=600) as client:
        with csv.open("rb") as fh:
            up = client.post("/datasets", files={"file": (csv.name, fh, "text/csv")})
        up.raise_for_status()
        started = time.perf_counter()
        run = client.post(
            "/runs",
            json={
                "dataset_id": up.json()["dataset_id"],
                "target": "target",
                "max_trials": trials,
                "learners": ["lightgbm", "linear"],
            },
        )
        run.raise_for_status()
        run_id = run.json()["run_id"]
        while True:
            status = client.get(f"/runs/{run_id}").json()
            if status["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(1.0)  # polling interval while the run's job works
        if status["status"] != "completed":
            raise SystemExit(f"the run {status['status']}: {status.get('error')}")
        return run_id, time.perf_counter() - started


def _measure(url: str, run_id: str, repeats: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from fas_ray.ingest.scrape._browser import CHROMIUM_ARGS, chromium_path

    times: dict[str, list[float]] = {view: [] for view in READY}
    weight: dict[str, Any] = {}
    foreign: list[str] = []
    args = [a for a in CHROMIUM_ARGS if not a.startswith("--proxy")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=args)
        for _ in range(repeats):
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def guard(route: Any) -> None:
                if route.request.url.startswith(url):
                    route.continue_()
                else:
                    foreign.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            started = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_selector("#runs-table tbody button", state="attached", timeout=60_000)
            times.setdefault("page load", []).append(time.perf_counter() - started)
            if not weight:
                weight = page.evaluate(
                    """() => performance.getEntriesByType('resource').concat(
                        performance.getEntriesByType('navigation'))
                        .filter((e) => !e.name.includes('/studio/config'))
                        .map((e) => [e.name.split('/').pop() || 'index.html', e.encodedBodySize])"""
                )
            page.click("#tabs button[data-view=ingest]")
            page.locator("#datasets-table tbody button").first.click()
            page.wait_for_selector(READY["ingest"])
            page.click("#tabs button[data-view=automl]")
            row = page.locator("#runs-table tbody tr", has_text=run_id)
            row.get_by_role("button").click()
            page.wait_for_selector("#leaderboard-card:not([hidden])", timeout=60_000)
            for view in READY:
                page.click("#tabs button[data-view=ingest]")  # a different view first
                page.wait_for_selector("#view-ingest:not([hidden])")
                if view == "ingest":
                    page.click("#tabs button[data-view=etl]")
                    page.wait_for_selector("#view-etl:not([hidden])")
                seconds = page.evaluate(
                    """async ([tab, ready]) => {
                        const t0 = performance.now();
                        document.querySelector(`#tabs button[data-view=${tab}]`).click();
                        for (;;) {
                            const el = document.querySelector(ready);
                            if (el && el.closest('.view:not([hidden])')) break;
                            await new Promise((r) => requestAnimationFrame(r));
                        }
                        return (performance.now() - t0) / 1000;
                    }""",
                    [view, READY[view]],
                )
                times[view].append(float(seconds))
            context.close()
        browser.close()
    if foreign:
        raise SystemExit(f"the page asked for other origins: {foreign[:5]}")
    return times, dict(weight)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="fas-ray-studio-bench-"))
    csv = base / "customers.csv"
    table(args.rows).write_csv(csv)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (base / "serve.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "FAS_RAY_API_TOKEN"}
    proc = subprocess.Popen(
        [FAS_RAY, "serve", "--port", str(port), "--data-root", str(base / "data")],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "RAY_USAGE_STATS_ENABLED": "0"},
        start_new_session=True,
    )
    try:
        _wait_healthy(url, proc)
        run_id, run_s = _train(url, csv, args.trials)
        times, weight = _measure(url, run_id, args.repeats)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    own = {n: b for n, b in weight.items() if n in ("index.html", "app.js", "style.css")}
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"### Studio: page weight and view times ({stamp})",
        "",
        f"Command: `.venv/bin/python bench/studio.py --rows {args.rows} --trials {args.trials} "
        f"--repeats {args.repeats}`",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"{_sh('chromium --version') or 'Chromium ?'}; "
        f"a finished run on {args.rows:,} rows ({args.trials} trials, {run_s:.0f} s).",
        "",
        f"Page weight without plotly.js (the page's own files, as sent): "
        f"**{sum(own.values()) / 1024:.1f} KB** "
        + "("
        + ", ".join(f"{n} {b / 1024:.1f} KB" for n, b in sorted(own.items()))
        + "); "
        f"plotly.js {weight.get('plotly.min.js', 0) / 2**20:.2f} MB from the installed package.",
        "",
        "| view | median s | max s |",
        "| --- | ---: | ---: |",
    ]
    for view, values in times.items():
        lines.append(f"| {view} | {statistics.median(values):.3f} | {max(values):.3f} |")
    lines += [
        "",
        "From the click on the view's tab to its content drawn (tables filled, charts' SVG, "
        "model card), in the page (`performance.now()`); the first view of a run also fetches "
        "its figures (`/runs/{id}/figures`). Page load: from navigation to the run list shown.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(Path(args.out), "studio", text)


if __name__ == "__main__":
    main()
