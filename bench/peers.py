"""fas-ray against the AutoML peers (issue 12): FLAML, AutoGluon-tabular (medium_quality),
H2O AutoML and a LightGBM-defaults baseline, on the real data sets of ``bench/datasets.py``.

For every (data set, seed): one 80/20 split of the rows (stratified for classification, seeded
by the seed), written to Parquet. For every budget and system: one subprocess with the system's
own Python (``bench/.venvs/<peer>``, built by ``bench/peers/setup.sh``; the project's ``.venv``
for fas-ray and lgbm-default) running ``bench/peers/run_<system>.py``: it reads the train rows
and the test rows without their target, fits with the time budget, ``--threads`` threads, the
seed and the task's metric as its own objective, and writes test predictions. This driver scores
every system with one implementation: ROC-AUC (binary), log-loss (multiclass; probabilities
clipped at 1e-15 and renormalised), RMSE (regression). A crash or a timeout (2 x budget + 120 s)
is recorded and the run goes on.

Every cell (system, set, seed, budget) is one JSON line in ``--results`` (default
``bench/out/peers.jsonl``, git-ignored); cells already there are skipped, so a long run can be
split across sessions and merged. The report (mean ± std over seeds, fit and process seconds,
overruns, mean ranks, fas-ray vs the best peer and vs lgbm-default) is rendered from the whole
file into a section of ``bench/RESULTS.md`` per budget.

    bench/peers/setup.sh                                    # once: the three peer venvs
    .venv/bin/python bench/peers.py --budgets 60 --seeds 0,1,2          # all sets, all systems
    .venv/bin/python bench/peers.py --budgets 10 --seeds 0 --datasets oj,wine,diabetes  # smoke
    .venv/bin/python bench/peers.py --systems h2o --datasets tv16       # fill in one system
    .venv/bin/python bench/peers.py --budgets 60 --report-only          # re-render the report
    .venv/bin/python bench/automl.py --peers ...                        # the same

Run fas-ray from a checkout nobody edits while it runs: ``--fasray-path /tmp/bench-wt`` puts
that worktree first on fas-ray's ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import NAMES, load  # noqa: E402
from etl import _sh, write_section  # noqa: E402
from peers_report import PEERS, SYSTEMS, _key, _rel, read_results, render  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RUNNER = {
    "fas-ray": "run_fasray.py",
    "lgbm-default": "run_lgbm.py",
    "flaml": "run_flaml.py",
    "autogluon": "run_autogluon.py",
    "h2o": "run_h2o.py",
}
METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
KEEP_FILES = ("job.json", "log.txt", "result.json")


def python_of(system: str) -> Path:
    if system in PEERS:
        return BENCH / ".venvs" / system / "bin" / "python"
    return REPO / ".venv" / "bin" / "python"


def split(df: pl.DataFrame, target: str, task: str, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """80/20 rows, stratified by class for classification, seeded by ``seed``."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(df.height)
    strata = df[target].cast(pl.String).to_numpy() if task != "regression" else None
    train, test = train_test_split(idx, test_size=0.2, random_state=seed, stratify=strata)
    return df[np.sort(train)], df[np.sort(test)]


def score(
    task: str, y: np.ndarray, pred: np.ndarray, classes: list[str] | None, labels: list[str]
) -> dict[str, float]:
    """The task's metric (and two more for the raw file), the same code for every system.

    ``labels`` is the data set's class order; a system's columns are matched by label, a class
    it never predicts gets probability 0 (then 1e-15 after clipping).
    """
    if task == "regression":
        pred = pred.reshape(-1)
        err = y.astype(np.float64) - pred
        rmse = float(np.sqrt(np.mean(err**2)))
        r2 = 1.0 - float(np.sum(err**2) / np.sum((y - y.mean()) ** 2))
        return {"rmse": rmse, "r2": r2}
    if classes is None or pred.ndim != 2:
        raise ValueError("a classifier must return probabilities and their classes")
    column = {c: i for i, c in enumerate(classes)}
    if set(labels) - set(column):  # every class is in the training rows (stratified split)
        raise ValueError(f"classes {classes} do not name the labels {labels}")
    proba = np.zeros((len(y), len(labels)))
    for j, label in enumerate(labels):
        if label in column:
            proba[:, j] = pred[:, column[label]]
    truth = np.array([labels.index(v) for v in y])
    clipped = np.clip(proba, 1e-15, 1.0)
    clipped /= clipped.sum(axis=1, keepdims=True)
    out = {
        "log_loss": float(-np.mean(np.log(clipped[np.arange(len(y)), truth]))),
        "accuracy": float(np.mean(proba.argmax(axis=1) == truth)),
    }
    if task == "binary":
        from sklearn.metrics import roc_auc_score

        out["roc_auc"] = float(roc_auc_score(truth == 1, proba[:, 1]))
    return out


def _env(system: str, threads: int, fasray_path: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    no_proxy = ",".join(filter(None, [env.get("no_proxy", ""), "127.0.0.1,localhost"]))
    env.update(
        RAY_USAGE_STATS_ENABLED="0",
        no_proxy=no_proxy,
        NO_PROXY=no_proxy,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        PYTHONWARNINGS="ignore",
    )
    if system == "fas-ray" and fasray_path:
        env["PYTHONPATH"] = fasray_path
    return env


def run_cell(
    system: str,
    files: dict[str, str],
    meta: dict[str, Any],
    cell: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One system on one split: run its runner in a fresh process, score what it wrote."""
    budget = meta["budget"]
    if cell.exists():
        shutil.rmtree(cell)
    cell.mkdir(parents=True)
    job = {
        **files,
        "target": meta["target"],
        "task": meta["task"],
        "metric": meta["metric"],
        "budget": budget,
        "seed": meta["seed"],
        "threads": args.threads,
        "out": str(cell),
    }
    (cell / "job.json").write_text(json.dumps(job))
    python = python_of(system)
    row: dict[str, Any] = {
        "system": system,
        **{k: meta[k] for k in ("dataset", "seed", "budget", "task", "metric")},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "threads": args.threads,
        "load1": round(os.getloadavg()[0], 2),
    }
    if system == "fas-ray":  # the code under test changes between runs: record which
        row["commit"] = _commit(Path(args.fasray_path or REPO))
    if not python.exists():
        hint = "bench/peers/setup.sh" if system in PEERS else "./setup.sh"
        return {**row, "status": "error", "error": f"{python} is missing; run {hint}"}
    limit = 2 * budget + 120
    cmd = [str(python), str(BENCH / "peers" / RUNNER[system]), str(cell / "job.json")]
    t = time.perf_counter()
    with open(cell / "log.txt", "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=cell,
            env=_env(system, args.threads, args.fasray_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills JVM / Ray too
        )
        try:
            rc = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
    row["process_s"] = round(time.perf_counter() - t, 2)
    tail = (cell / "log.txt").read_text(errors="replace").strip().splitlines()[-15:]
    if rc is None:
        row.update(status="timeout", error=f"killed after {limit:.0f} s", log_tail=tail)
    elif rc != 0 or not (cell / "result.json").exists():
        row.update(status="error", error=f"exit code {rc}", log_tail=tail)
    else:
        result = json.loads((cell / "result.json").read_text())
        pred = np.load(cell / "pred.npy")
        try:
            metrics = score(meta["task"], meta["y_test"], pred, result["classes"], meta["labels"])
        except Exception as exc:  # a malformed prediction is that system's error
            row.update(status="error", error=f"scoring: {exc!r}")
        else:
            row.update(
                status="ok",
                score=metrics[meta["metric"]],
                metrics=metrics,
                fit_s=round(result["fit_seconds"], 2),
                predict_s=round(result["predict_seconds"], 3),
                versions=result["versions"],
                info=result["info"],
            )
    if not args.keep:
        for path in cell.iterdir():
            if path.name not in KEEP_FILES:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    return row


def _commit(checkout: Path) -> str:
    head = _sh(f"git -C {checkout} rev-parse --short HEAD") or "?"
    dirty = _sh(f"git -C {checkout} status --porcelain -- fas_ray")
    return head + ("+dirty" if dirty else "")


def run(args: argparse.Namespace) -> None:
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    done = {
        _key(r): r["status"]
        for r in read_results(results)
        if r["status"] == "ok" or not args.retry_failed
    }
    work = Path(args.workdir)
    for name in args.datasets:
        df, target, task = load(name)
        labels = (
            sorted(df[target].cast(pl.String).unique().to_list()) if task != "regression" else []
        )
        for seed in args.seeds:
            todo = [
                (budget, system)
                for budget in args.budgets
                for system in args.systems
                if (system, name, seed, float(budget)) not in done
            ]
            if not todo:
                continue
            train, test = split(df, target, task, seed)
            data = work / "data" / f"{name}-s{seed}"
            data.mkdir(parents=True, exist_ok=True)
            files = {"train": str(data / "train.parquet"), "test": str(data / "test_X.parquet")}
            train.write_parquet(files["train"])
            test.drop(target).write_parquet(files["test"])
            y_test = test[target].cast(pl.String if task != "regression" else pl.Float64)
            for budget, system in todo:
                meta = {
                    "dataset": name,
                    "seed": seed,
                    "budget": budget,
                    "task": task,
                    "metric": METRIC[task],
                    "target": target,
                    "labels": labels,
                    "y_test": y_test.to_numpy(),
                }
                cell = work / "cells" / f"{system}-{name}-s{seed}-b{budget:g}"
                row = run_cell(system, files, meta, cell, args)
                row.update(rows_train=train.height, rows_test=test.height)
                with open(results, "a") as fh:
                    fh.write(json.dumps(row, default=str) + "\n")
                shown = f"{row['score']:.4f}" if row["status"] == "ok" else row["error"]
                print(
                    f"{system:>12} {name:>13} seed {seed} budget {budget:g}: {row['status']} "
                    f"{row['metric']} {shown}; fit {row.get('fit_s', float('nan')):.1f} s, "
                    f"process {row['process_s'] if 'process_s' in row else float('nan'):.1f} s",
                    flush=True,
                )


def _csv(kind: type, choices: tuple[str, ...] | None = None):  # noqa: ANN202
    def parse(text: str) -> list[Any]:
        items = [kind(t) for t in text.split(",") if t.strip()]
        if choices is not None:
            bad = [i for i in items if i not in choices]
            if bad:
                raise argparse.ArgumentTypeError(
                    f"unknown {', '.join(map(str, bad))}; choose from {', '.join(choices)}"
                )
        return items

    return parse


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--systems", type=_csv(str, SYSTEMS), default=list(SYSTEMS))
    p.add_argument("--datasets", type=_csv(str, NAMES), default=list(NAMES))
    p.add_argument("--seeds", type=_csv(int), default=[0, 1, 2])
    p.add_argument("--budgets", type=_csv(float), default=[60.0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--results", default=str(BENCH / "out" / "peers.jsonl"))
    p.add_argument("--workdir", default=str(BENCH / "out" / "peers"))
    p.add_argument("--fasray-path", help="a fas-ray checkout to import instead of the venv's")
    p.add_argument("--retry-failed", action="store_true", help="run failed cells again")
    p.add_argument("--keep", action="store_true", help="keep models and predictions per cell")
    p.add_argument(
        "--also",
        action="append",
        default=[],
        help="another results file for the report; its cells replace --results' ones",
    )
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--note", default="", help="a line for the report (what this run is)")
    args = p.parse_args(argv)
    if not args.report_only:
        run(args)
    merged = {_key(r): r for f in [args.results, *args.also] for r in read_results(Path(f))}
    rows = list(merged.values())
    if args.also:
        also = ", ".join(f"`{_rel(Path(f))}`" for f in args.also)
        args.note = f"{args.note} Cells from {also} replace the main file's same cells.".strip()
    for budget in args.budgets:
        chosen = [r for r in rows if float(r["budget"]) == float(budget)]
        if not chosen:
            print(f"no results for budget {budget:g} s in {args.results}")
            continue
        body = render(chosen, budget, Path(args.results), args.note)
        print(body)
        if not args.no_write:
            write_section(Path(args.out), f"peers-{budget:g}s", body)


if __name__ == "__main__":
    main()
