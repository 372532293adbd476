"""The report of the peer benchmark (``bench/peers.py``): per budget, mean ± std over seeds per
set and system, fit and process seconds, overruns, mean ranks, fas-ray vs the best peer and vs
LightGBM's defaults. Rendered from the whole results file, so runs split across sessions merge.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from datasets import NAMES
from etl import _sh

REPO = Path(__file__).resolve().parent.parent
SYSTEMS = ("fas-ray", "lgbm-default", "flaml", "autogluon", "h2o")
PEERS = ("flaml", "autogluon", "h2o")
HIGHER_IS_BETTER = {"roc_auc": True, "log_loss": False, "rmse": False}
OVERRUN = 1.1  # a process above 1.1 x budget overran


def _key(row: dict[str, Any]) -> tuple[str, str, int, float]:
    return (row["system"], row["dataset"], int(row["seed"]), float(row["budget"]))


def read_results(path: Path) -> list[dict[str, Any]]:
    """Every cell in the file, the last line of a cell winning (a retried cell)."""
    if not path.exists():
        return []
    latest: dict[tuple[str, str, int, float], dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            latest[_key(row)] = row
    return list(latest.values())


def _rank(values: list[float]) -> list[float]:
    """Average ranks, 1 = smallest; ties share their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def summarise(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (set, system): scores over seeds and their mean, std, times, overruns, failures."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        cells[(r["dataset"], r["system"])].append(r)
    out = {}
    for key, runs in cells.items():
        ok = [r for r in runs if r["status"] == "ok"]
        scores = np.array([r["score"] for r in ok])
        budget = runs[0]["budget"]
        out[key] = {
            "runs": len(runs),
            "ok": len(ok),
            "mean": float(scores.mean()) if len(ok) else None,
            "std": float(scores.std(ddof=1)) if len(ok) > 1 else 0.0,
            "fit_s": float(np.mean([r["fit_s"] for r in ok])) if ok else None,
            "process_s": float(np.mean([r["process_s"] for r in runs if "process_s" in r])),
            "overruns": sum(r.get("process_s", 0) > OVERRUN * budget for r in runs),
            "failures": [r for r in runs if r["status"] != "ok"],
            "metric": runs[0]["metric"],
            "task": runs[0]["task"],
        }
    return out


def render(rows: list[dict[str, Any]], budget: float, results: Path, note: str = "") -> str:
    stats = summarise(rows)
    systems = [s for s in SYSTEMS if any(k[1] == s for k in stats)]
    sets = [d for d in NAMES if any(k[0] == d for k in stats)]
    seeds = sorted({r["seed"] for r in rows})
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    started = min(r["started"] for r in rows)
    ended = max(r["started"] for r in rows)
    loads = [r["load1"] for r in rows]
    versions: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: r["started"]):
        versions.update(r.get("versions") or {})
    commits = sorted({r["commit"] for r in rows if "commit" in r})
    if commits:
        versions["fas-ray"] = f"{versions.get('fas-ray', '?')} (commit {', '.join(commits)})"
    out = [
        f"### AutoML peers, budget {budget:g} s ({when})\n",
        *([f"{note}\n"] if note else []),
        f"{len(sets)} data sets x {len(systems)} systems x seeds {', '.join(map(str, seeds))}: "
        f"{len(rows)} runs from `{_rel(results)}`, started {started} to {ended}. "
        f"Machine: `nproc` = {_sh('nproc')}, Python {platform.python_version()}; load average "
        f"at cell start {min(loads):.1f} to {max(loads):.1f}. Every system: "
        f"{rows[0].get('threads', 2)} threads, the same split, the task's metric as its "
        "objective where it takes one.\n",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + ".\n",
        "Metric: ROC-AUC (binary, higher is better), log-loss (multiclass, lower), RMSE "
        "(regression, lower), on the 20 % test rows; mean ± std over seeds; **bold** = best. "
        "`(k/n)`: only k of n seeds finished.\n",
    ]
    header = "| set | task | metric | " + " | ".join(systems) + " |"
    out += [header, "|---|---|---|" + "---:|" * len(systems)]
    for d in sets:
        present = [stats[(d, s)] for s in systems if (d, s) in stats]
        higher = HIGHER_IS_BETTER[present[0]["metric"]]
        means = [stats[(d, s)]["mean"] for s in systems if (d, s) in stats]
        finite = [m for m in means if m is not None]
        best = (max if higher else min)(finite) if finite else None
        cells = []
        for s in systems:
            st = stats.get((d, s))
            if st is None:
                cells.append("")
            elif st["mean"] is None:
                cells.append(f"failed ({', '.join(sorted({f['status'] for f in st['failures']}))})")
            else:
                text = f"{st['mean']:.4f}" + (f" ± {st['std']:.4f}" if st["ok"] > 1 else "")
                text = f"**{text}**" if st["mean"] == best else text
                cells.append(
                    text + (f" ({st['ok']}/{st['runs']})" if st["ok"] < st["runs"] else "")
                )
        out.append(
            f"| {d} | {present[0]['task']} | {present[0]['metric']} | " + " | ".join(cells) + " |"
        )
    out.append("")
    out.append(
        f"Seconds, mean over seeds: fit (inside the process) / whole process (imports, JVM or "
        f"Ray start, data, fit, prediction). `!n`: the process took more than "
        f"{OVERRUN:g} x budget = {OVERRUN * budget:g} s in n runs.\n"
    )
    out += ["| set | " + " | ".join(systems) + " |", "|---|" + "---:|" * len(systems)]
    for d in sets:
        cells = []
        for s in systems:
            st = stats.get((d, s))
            if st is None:
                cells.append("")
                continue
            fit = f"{st['fit_s']:.1f}" if st["fit_s"] is not None else "-"
            flag = f" !{st['overruns']}" if st["overruns"] else ""
            cells.append(f"{fit} / {st['process_s']:.1f}{flag}")
        out.append(f"| {d} | " + " | ".join(cells) + " |")
    out.append("")
    out += _summary(stats, systems, sets)
    failures = [f for st in stats.values() for f in st["failures"]]
    if failures:
        out.append("Failures:\n")
        for f in sorted(failures, key=_key):
            last = (f.get("log_tail") or [""])[-1][:200].replace("|", "/")
            out.append(
                f"- {f['system']} on {f['dataset']} seed {f['seed']}: {f['error']}; `{last}`"
            )
        out.append("")
    return "\n".join(out) + "\n"


def _summary(
    stats: dict[tuple[str, str], dict[str, Any]], systems: list[str], sets: list[str]
) -> list[str]:
    complete = [d for d in sets if all((d, s) in stats for s in systems)]
    if not complete:
        return []
    ranks: dict[str, list[float]] = defaultdict(list)
    by_task: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for d in complete:
        higher = HIGHER_IS_BETTER[stats[(d, systems[0])]["metric"]]
        losses = [
            math.inf
            if stats[(d, s)]["mean"] is None
            else (-stats[(d, s)]["mean"] if higher else stats[(d, s)]["mean"])
            for s in systems
        ]
        for s, r in zip(systems, _rank(losses), strict=True):
            ranks[s].append(r)
            by_task[stats[(d, s)]["task"]][s].append(r)
    tasks = [t for t in ("binary", "multiclass", "regression") if t in by_task]
    out = [
        f"Mean rank over the {len(complete)} sets every system ran (1 = best; a system that "
        "failed every seed of a set ranks last there):\n",
        "| system | all | "
        + " | ".join(f"{t} ({len(by_task[t][systems[0]])})" for t in tasks)
        + " |",
        "|---|---:|" + "---:|" * len(tasks),
    ]
    for s in sorted(systems, key=lambda s: np.mean(ranks[s])):
        out.append(
            f"| {s} | {np.mean(ranks[s]):.2f} | "
            + " | ".join(f"{np.mean(by_task[t][s]):.2f}" for t in tasks)
            + " |"
        )
    out.append("")
    if "fas-ray" not in systems:
        return out
    peers = [s for s in systems if s in PEERS]
    wins, behind = [], []
    for d in complete:
        f = stats[(d, "fas-ray")]
        higher = HIGHER_IS_BETTER[f["metric"]]
        sign = 1 if higher else -1
        peer_means = [stats[(d, p)]["mean"] for p in peers if stats[(d, p)]["mean"] is not None]
        if (
            f["mean"] is not None
            and peers
            and (not peer_means or sign * (f["mean"] - (max if higher else min)(peer_means)) > 0)
        ):
            wins.append(d)
        if "lgbm-default" in systems:
            b = stats[(d, "lgbm-default")]
            if b["mean"] is not None and (
                f["mean"] is None or sign * (b["mean"] - f["mean"]) > max(f["std"], b["std"])
            ):
                gap = "failed" if f["mean"] is None else f"{abs(b['mean'] - f['mean']):.4f}"
                behind.append(f"{d} ({gap} vs spread {max(f['std'], b['std']):.4f})")
    if peers:
        out.append(
            f"fas-ray beats the best peer ({', '.join(peers)}) on **{len(wins)} of "
            f"{len(complete)}** sets" + (f": {', '.join(wins)}." if wins else ".")
        )
    if "lgbm-default" in systems:
        out.append(
            "fas-ray is worse than lgbm-default by more than the seeds' spread (the larger of "
            "the two std) on "
            + (f"**{len(behind)}** sets: {'; '.join(behind)}." if behind else "no set.")
        )
    out.append("")
    return out


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)
