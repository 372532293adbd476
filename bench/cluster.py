"""One node against two (issue 16): the same ``fas-ray run`` on ``cluster/multinode-local.sh``
laid out as one node with 2 CPUs (the worker node started with 0 CPUs, so nothing runs there)
and as two nodes with 1 CPU each. Same total CPUs, same data, same deterministic search
(``--max-trials``): the difference is what crossing the node boundary costs (object transfers
between two object stores, remote scheduling), not more hardware.

For each layout and repeat: ETL on Ray Data (``--engine ray``) and the search, timed from the
run's manifest; configurations per minute and per CPU; where the configurations ran. One JSON
line per run in ``--results``; the table goes to bench/RESULTS.md ("Cluster: one node against
two").

    .venv/bin/python bench/cluster.py              # 100k rows, 24 configurations, 2 repeats
    .venv/bin/python bench/cluster.py --rows 20000 --trials 12 --repeats 1 --no-write   # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import write_section  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SCRIPT = REPO / "cluster" / "multinode-local.sh"
VENV = Path(sys.executable).parent.parent
LAYOUTS = {"one node, 2 CPUs": (2, 0), "two nodes, 1 CPU each": (1, 1)}


def make_data(rows: int, path: Path, seed: int = 0) -> None:
    """Mixed data: 12 numeric columns, 3 categorical, some missing values, a binary target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 12))
    cats = {f"c{i}": rng.choice([f"v{j}" for j in range(8 + 4 * i)], rows) for i in range(3)}
    logit = X[:, 0] - 0.7 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + (cats["c0"] == "v1") * 0.8
    y = (logit + rng.logistic(size=rows) > 0).astype(int)
    frame = pl.DataFrame({f"x{i}": X[:, i] for i in range(12)}).with_columns(
        **{k: pl.Series(v) for k, v in cats.items()}, target=pl.Series(y)
    )
    frame = frame.with_columns(
        pl.when(pl.Series(rng.random(rows) < 0.05)).then(None).otherwise(pl.col("x4")).alias("x4")
    )
    frame.write_csv(path)


def free_ports(n: int) -> list[int]:
    import socket

    ports: list[int] = []
    while len(ports) < n:
        port = int(np.random.default_rng().integers(20000, 30000))
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


def run_layout(name: str, csv: Path, trials: int, work: Path) -> dict[str, Any]:
    head_cpus, worker_cpus = LAYOUTS[name]
    names = ("GCS", "DASHBOARD", "CLIENT", "AGENT", "WORKER_AGENT")
    temp_dir = Path(tempfile.mkdtemp(prefix="fasray-bc-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FAS_RAY_DATA_ROOT")}
    env.update({f"FAS_RAY_{n}_PORT": str(p) for n, p in zip(names, free_ports(5), strict=True)})
    env.update(
        FAS_RAY_TEMP_DIR=str(temp_dir),
        FAS_RAY_VENV=str(VENV),
        FAS_RAY_HEAD_CPUS=str(head_cpus),
        FAS_RAY_WORKER_CPUS=str(worker_cpus),
        RAY_AUTH_MODE="disabled",
        RAY_USAGE_STATS_ENABLED="0",
    )
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
    command = ["bash", str(SCRIPT), "start"]
    started = subprocess.run(command, env=env, capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(started.stdout + started.stderr)
    root = work / f"data-{time.time_ns()}"
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(VENV / "bin" / "fas-ray"), "run", str(csv), "--target", "target",
             "--engine", "ray", "--max-trials", str(trials), "--time-budget", "1800",
             "--learners", "lightgbm,linear,random_forest", "--no-chart-png",
             "--shap-sample", "50", "--data-root", str(root)],
            env={**env, "RAY_ADDRESS": f"127.0.0.2:{env['FAS_RAY_GCS_PORT']}"},
            capture_output=True,
            text=True,
        )  # fmt: skip
        wall = time.perf_counter() - t0
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    [run_dir] = list((root / "runs").iterdir())
    report = json.loads((run_dir / "report.json").read_text())
    timings = report["timings"]
    search = report["search"]
    done = search["configs"]["complete"] + search["configs"]["pruned"]
    cpus = head_cpus + worker_cpus
    return {
        "layout": name,
        "cpus": cpus,
        "workers": len(search["workers"]),
        "etl_s": timings.get("etl"),
        "search_s": timings.get("search"),
        "total_s": timings.get("total"),
        "process_s": round(wall, 2),
        "configs": done,
        "configs_per_min": round(60 * done / timings["search"], 2),
        "configs_per_min_per_cpu": round(60 * done / timings["search"] / cpus, 2),
        "by_node": search["configs_by_node"],
        "cv_best": report["cv_best_score"],
        "load1": round(os.getloadavg()[0], 2),
    }


def render(rows: list[dict[str, Any]], n_rows: int, trials: int) -> str:
    lines = [
        "## Cluster: one node against two (issue 16)",
        "",
        f"`python bench/cluster.py --rows {n_rows} --trials {trials}`: the same `fas-ray run` "
        f"({n_rows:,} generated rows, 16 columns; ETL on Ray Data; a deterministic search of "
        f"{trials} configurations of LightGBM, linear and random forest) on "
        "`cluster/multinode-local.sh`, as one node with 2 CPUs and as two nodes with 1 CPU "
        "each, on this 2-core machine. Median of the repeats; seconds from the run's manifest.",
        "",
        "| layout | repeats | ETL s | search s | configs/min | configs/min per CPU "
        "| configs per node | whole run s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in LAYOUTS:
        mine = [r for r in rows if r["layout"] == name]
        if not mine:
            continue

        def med(key: str, mine: list[dict[str, Any]] = mine) -> float:
            return statistics.median(float(r[key]) for r in mine)

        spread = " / ".join(
            ", ".join(str(v) for v in sorted(r["by_node"].values(), reverse=True)) for r in mine
        )
        lines.append(
            f"| {name} | {len(mine)} | {med('etl_s'):.1f} | {med('search_s'):.1f} "
            f"| {med('configs_per_min'):.1f} | {med('configs_per_min_per_cpu'):.1f} "
            f"| {spread} | {med('process_s'):.1f} |"
        )
    lines += [
        "",
        "Same total CPUs, so the gap is what the node boundary costs: the search moves the "
        "training matrix once to the second object store and then only configurations and "
        "scores, so it runs at the same pace on two nodes; the ETL pays for its blocks crossing "
        "between object stores, and both Ray Data passes are short here. On separate machines "
        "that transfer goes over the network instead of loopback (larger for the ETL, still "
        "once per search for the matrix), the data root must be storage both machines mount, "
        "and the second machine adds its own cores: configurations per minute then grow with "
        "the workers, as the per-CPU rate above stays level from one node to two.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--trials", type=int, default=24)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--results", default=str(BENCH / "results" / "cluster.jsonl"))
    p.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="fasray-bench-cluster-") as tmp:
        work = Path(tmp)
        csv = work / "data.csv"
        make_data(args.rows, csv)
        rows: list[dict[str, Any]] = []
        for repeat in range(args.repeats):
            for name in LAYOUTS:  # alternating, so drift in the machine's load hits both
                row = {**run_layout(name, csv, args.trials, work), "repeat": repeat}
                print(json.dumps(row), flush=True)
                rows.append(row)
    if not args.no_write:
        with open(args.results, "a") as fh:
            for row in rows:
                fh.write(json.dumps({**row, "rows": args.rows, "trials": args.trials}) + "\n")
        write_section(Path(args.out), "cluster", render(rows, args.rows, args.trials))
    print(render(rows, args.rows, args.trials))


if __name__ == "__main__":
    main()
