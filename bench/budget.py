"""Does ``fas-ray run --time-budget B`` end within B + 10 %? (issue 12)

Runs the command as a user would (``fas-ray run DATA --target target --time-budget B``), each
run in its own subprocess with its own temporary data root, on scikit-learn's bundled data sets
(breast_cancer, wine, diabetes, digits, written to CSV here), for each budget ``B``. Reports
the command's wall time against ``B`` and ``B + 10 %``, the time each stage took (from the
run's manifest), the time outside the stages (interpreter start and imports, Ray's start and
shutdown, the command's exit), and the reductions the budget made (the report's
``budget_notes``).

The floor: with ``--floor`` (default on), every data set also runs with ``--time-budget 1``,
so every stage is at its minimum (AutoML its minimum search, SHAP its fewest rows, no PNG):
that wall time is what this machine needs whatever the budget.

    .venv/bin/python bench/budget.py                          # B = 30 and 60, 4 data sets, ~10 min
    .venv/bin/python bench/budget.py --budgets 60 --datasets digits --no-floor

Run it from a checkout nobody edits while it runs (``git worktree add /tmp/bench-wt`` and
``PYTHONPATH=/tmp/bench-wt``): Ray Tune's workers import fas-ray when they start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import _sh, _versions, write_section  # noqa: E402

from fas_ray.pipeline import STAGES as PIPELINE_STAGES  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATASETS = ("breast_cancer", "wine", "diabetes", "digits")
STAGES = PIPELINE_STAGES  # the manifest's stages, in order
TOLERANCE = 0.10


def write_csv(name: str, folder: Path) -> tuple[Path, int, int]:
    from sklearn import datasets

    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path, len(frame), frame.shape[1] - 1


def run_once(csv: Path, budget: float, workdir: Path, timeout: float) -> dict[str, Any]:
    """One ``fas-ray run`` in a subprocess with its own data root; wall time and manifest."""
    root = Path(tempfile.mkdtemp(prefix="root-", dir=workdir))
    command = [
        str(Path(sys.executable).with_name("fas-ray")),
        "run",
        str(csv),
        "--target",
        "target",
        "--time-budget",
        f"{budget:g}",
        "--data-root",
        str(root),
    ]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    began = time.time()
    start = time.perf_counter()
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    wall = time.perf_counter() - start
    out: dict[str, Any] = {"wall_s": wall, "returncode": proc.returncode}
    found = re.search(r"^run id:\s+(\S+)$", proc.stdout, re.M)
    if proc.returncode != 0 or not found:
        out["error"] = (proc.stderr.strip().splitlines() or ["?"])[-1][:300]
        return out
    run_dir = root / "runs" / found.group(1)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    report = json.loads((run_dir / "report.json").read_text())
    out["stages"] = {s["name"]: s["seconds"] for s in manifest["stages"]}
    out["gaps"] = gaps(manifest["stages"], began, began + wall)
    out["notes"] = report.get("budget_notes", [])
    out["fit_allotted_s"] = next(
        (s["allotted_s"] for s in report["budget"]["stages"] if s["stage"] == "fit"), None
    )
    out["reserve_s"] = report["budget"].get("reserve_s")
    out["model"] = report["model"].get("learner")
    out["png"] = len(report["charts"]["png"])
    out["shap_rows"] = json.loads((run_dir / "shap.json").read_text())["rows"]
    return out


def gaps(stages: list[dict[str, Any]], began: float, ended: float) -> dict[str, float]:
    """Seconds outside the stages, from the stages' start times: before the first stage
    (interpreter start, imports), between task and etl (Ray's start), between refit and
    evaluate (Ray's shutdown), and after the last stage (printing, exit)."""
    at = {s["name"]: dt.datetime.fromisoformat(s["started_at"]).timestamp() for s in stages}
    end = {s["name"]: at[s["name"]] + s["seconds"] for s in stages}
    return {
        "start": at["ingest"] - began,
        "ray_start": at["etl"] - end["task"],
        "ray_stop": at["evaluate"] - end["refit"],
        "exit": ended - end["report"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budgets", default="30,60", help="comma-separated seconds")
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--workdir", default=None, help="default: a temporary folder")
    p.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    p.add_argument("--no-write", action="store_true", help="print the table only")
    args = p.parse_args()
    budgets = [float(b) for b in args.budgets.split(",") if b]
    names = [d for d in args.datasets.split(",") if d]
    load_before = _sh("uptime")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fasray-budget-") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in names:
            csv, n_rows, n_cols = write_csv(name, workdir)
            for budget in ([1.0] if args.floor else []) + budgets:
                result = run_once(csv, budget, workdir, timeout=max(600.0, 5 * budget))
                row = {"dataset": name, "rows": n_rows, "columns": n_cols, "budget": budget}
                row.update(result)
                rows.append(row)
                print(json.dumps(row), flush=True)
    body = render(rows, budgets, args, load_before, _sh("uptime"))
    print(body)
    if not args.no_write:
        write_section(Path(args.out), "budget", body)


def _other(row: dict[str, Any]) -> float:
    """Seconds outside every stage: interpreter start and imports, Ray start and shutdown,
    the command's printing and exit."""
    return float(row["wall_s"] - sum(row.get("stages", {}).values()))


def summary(rows: list[dict[str, Any]]) -> list[str]:
    """One line per budget (how many runs ended within B and B + 10 %) and the floor."""
    lines = []
    for b in sorted({r["budget"] for r in rows if r["budget"] > 1.0}):
        runs = [r for r in rows if r["budget"] == b]
        within = sum(1 for r in runs if "error" not in r and r["wall_s"] <= b)
        tolerated = sum(1 for r in runs if "error" not in r and r["wall_s"] <= b * (1 + TOLERANCE))
        worst = max(r["wall_s"] for r in runs)
        lines.append(
            f"- B = {b:g} s: {tolerated} of {len(runs)} runs within B + 10 % "
            f"({b * (1 + TOLERANCE):g} s), {within} within B; the longest took {worst:.1f} s."
        )
    floor = [r for r in rows if r["budget"] <= 1.0 and "error" not in r]
    if floor:

        def mean(key: str) -> float:
            return statistics.mean(r["gaps"][key] for r in floor)

        def stages(names: tuple[str, ...]) -> float:
            return statistics.mean(sum(r["stages"].get(s, 0.0) for s in names) for r in floor)

        lines.append(
            f"- The floor (B = 1: every stage at its minimum, mean of {len(floor)} data sets): "
            f"**{statistics.mean(r['wall_s'] for r in floor):.1f} s** = start "
            f"{mean('start'):.1f} + Ray up {mean('ray_start'):.1f} + pre-fit stages "
            f"{stages(STAGES[:4]):.1f} + the minimum fit {stages(STAGES[4:7]):.1f} (Ray Tune's "
            f"start and the first configurations) + Ray down {mean('ray_stop'):.1f} + post-fit "
            f"stages {stages(STAGES[7:]):.1f} + exit {mean('exit'):.1f}. No budget below about "
            f"this floor / 1.1 = {statistics.mean(r['wall_s'] for r in floor) / 1.1:.0f} s can be "
            "met on this machine; the minimum fit is fas-ray's floor for AutoML (`MIN_FIT_S`, "
            "12 s: less can finish no configuration on a busy machine)."
        )
    return lines + [""]


def render(
    rows: list[dict[str, Any]],
    budgets: list[float],
    args: argparse.Namespace,
    load_before: str,
    load_after: str,
) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    argv = " ".join(sys.argv[1:])
    out = [
        f"### The time budget holds for the whole run ({when})\n",
        f"Command: `.venv/bin/python bench/budget.py {argv}`".rstrip() + "\n",
        f"Versions: {_versions()}. Machine: `nproc` = {_sh('nproc')}. "
        f"Load before: `{load_before}`; after: `{load_after}`.\n",
        "Each row is one `fas-ray run DATA --target target --time-budget B` in its own "
        "subprocess and data root. *wall*: the command's wall time. *pre-fit*: ingest, task, "
        "ETL and profile stages; *fit*: AutoML's features, search and refit (*allotted*: the "
        "budget it was given); *post-fit*: evaluate, explain, charts, register, report; "
        "outside the stages: *start* (interpreter start and imports, to the first stage), "
        "*Ray up* / *Ray down* (Ray's start before ETL, its shutdown after the fit), *exit* "
        "(printing and the exit after the last stage). B = 1 is the floor: every stage at its "
        "minimum.\n",
        "| data set | rows x cols | B s | wall s | ≤ B | ≤ B+10 % | start | Ray up | pre-fit "
        "| fit (allotted) | Ray down | post-fit | exit | model | SHAP rows | PNG | reductions |",
        "|---|---|---:|---:|:-:|:-:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in rows:
        if "error" in r:
            out.append(
                f"| {r['dataset']} | {r['rows']} x {r['columns']} | {r['budget']:g} "
                f"| {r['wall_s']:.1f} | | | failed: {r['error']} | | | | | | | | | | |"
            )
            continue
        st = r["stages"]
        pre = sum(st.get(s, 0.0) for s in STAGES[:4])
        fit = sum(st.get(s, 0.0) for s in STAGES[4:7])
        post = sum(st.get(s, 0.0) for s in STAGES[7:])
        b = r["budget"]
        floor = b <= 1.0
        ok = "" if floor else ("yes" if r["wall_s"] <= b else "no")
        ok10 = "" if floor else ("yes" if r["wall_s"] <= b * (1 + TOLERANCE) else "**no**")
        notes = "; ".join(re.split(r"[:(]", n)[0].strip() for n in r["notes"]) or "none"
        g = r["gaps"]
        allotted = r.get("fit_allotted_s")
        label = "1 (floor)" if floor else f"{b:g}"
        out.append(
            f"| {r['dataset']} | {r['rows']} x {r['columns']} | {label} "
            f"| {r['wall_s']:.1f} | {ok} | {ok10} | {g['start']:.1f} | {g['ray_start']:.1f} "
            f"| {pre:.1f} | {fit:.1f} ({allotted:.1f}) | {g['ray_stop']:.1f} | {post:.1f} "
            f"| {g['exit']:.1f} | {r['model']} | {r['shap_rows']} | {r['png']} | {notes} |"
        )
    out.append("")
    out.extend(summary(rows))
    out.append("Seconds per stage (from the manifests; the mean over the data sets):\n")
    out.append("| B s | " + " | ".join(STAGES) + " | outside | wall |")
    out.append("|---:|" + "---:|" * (len(STAGES) + 2))
    for b in sorted({r["budget"] for r in rows}):
        done = [r for r in rows if r["budget"] == b and "error" not in r]
        if not done:
            continue
        cells = [statistics.mean(r["stages"].get(s, 0.0) for r in done) for s in STAGES]
        out.append(
            f"| {'1 (floor)' if b <= 1.0 else f'{b:g}'} | "
            + " | ".join(f"{c:.2f}" for c in cells)
            + f" | {statistics.mean(_other(r) for r in done):.2f} "
            f"| {statistics.mean(r['wall_s'] for r in done):.1f} |"
        )
    out.append("")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
