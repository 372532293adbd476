"""Streaming check (issue 3): a >1 GB, 10-million-row CSV through ``fas-ray etl``.

Generates the CSV once (from ``bench/etl.py``'s data generator, streamed with polars'
``sink_csv``), then runs the real ``fas-ray etl`` command in a subprocess while a sampler sums the
RSS / PSS of its whole process tree (driver, raylet, GCS, Ray workers) every 0.2 s. Reports the
wall time, the stage timings from the run's manifest and the peak memory, and writes them to a
section of bench/RESULTS.md.

    .venv/bin/python bench/etl_stream.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import MiB, TreeSampler, _sh, _versions, generate, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", default="/tmp/fasray-bench")
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    work = Path(args.workdir)
    meta = generate(work, args.rows, args.seed)
    csv = work / f"stream-{args.rows}-s{args.seed}.csv"
    if not csv.exists():
        t0 = time.perf_counter()
        pl.scan_parquet(meta["file"]).sink_csv(csv)
        print(f"wrote {csv} in {time.perf_counter() - t0:.1f} s")
    size_mib = csv.stat().st_size / MiB
    root = work / "stream-root"
    subprocess.run(["rm", "-rf", str(root)], check=True)

    load_before = _sh("uptime")
    cmd = [
        str(Path(sys.executable).with_name("fas-ray")),
        "etl",
        str(csv),
        "--data-root",
        str(root),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = TreeSampler(proc.pid, 0.2, abort_mib=20_000)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop()
    if proc.returncode != 0:
        print(output)
        raise SystemExit(f"fas-ray etl failed with status {proc.returncode}")
    manifest_path = next((root / "runs").glob("*/manifest.json"))
    manifest = json.loads(manifest_path.read_text())
    stages = {s["name"]: s["seconds"] for s in manifest["stages"]}
    etl = json.loads((manifest_path.parent / "etl.json").read_text())

    body = (
        f"### Streaming check: {args.rows:,}-row CSV through `fas-ray etl` "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
        f"Command: `.venv/bin/python bench/etl_stream.py --rows {args.rows}`\n\n"
        f"Versions: {_versions()}. Load before: `{load_before}`.\n\n"
        f"| CSV | rows in | rows out | wall s (whole command) | ingest s | etl s | profile s "
        f"| tree peak RSS MiB | tree peak PSS MiB | processes |\n"
        f"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {size_mib:,.0f} MiB | {etl['rows_in']:,} | {etl['rows_out']:,} | {wall:.1f} "
        f"| {stages.get('ingest', 0):.1f} | {stages.get('etl', 0):.1f} "
        f"| {stages.get('profile', 0):.1f} | {sampler.peak_rss / MiB:,.0f} "
        f"| {sampler.peak_pss / MiB:,.0f} | {sampler.peak_procs} |\n\n"
        f"Duplicates removed: {etl['duplicates_removed']:,}; near-duplicate groups found: "
        f"{sum(r['groups'] for r in etl['near_duplicates']):,}. Peak memory is the whole process "
        f"tree (driver + Ray), sampled every 0.2 s; Ray's object store is capped at 400 MiB "
        f"(`Settings.object_store_mb`) and counts only where pages were touched.\n\n"
    )
    print(body)
    if not args.no_write:
        write_section(Path(args.out), f"stream-{args.rows}", body)


if __name__ == "__main__":
    main()
