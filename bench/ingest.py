"""Ingest throughput (issue 4): a >1 GB CSV to bronze Parquet, with peak memory of the process.

Runs, each in a fresh subprocess whose process tree is sampled every 0.2 s (RSS / PSS):

- ``fas-ray ingest CSV`` (sniffing, validation, streaming conversion, SHA-256, meta.json);
- polars ``scan_csv(...).sink_parquet(...)`` (streaming engine) as a baseline;
- pyarrow ``open_csv`` → ``ParquetWriter`` with 8 MiB blocks (the plain streaming copy).

The CSV is the one ``bench/etl_stream.py`` writes (``bench/etl.py``'s generated data)::

    .venv/bin/python bench/ingest.py --rows 10000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from etl import MiB, TreeSampler, _sh, _versions, generate, write_section  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

_POLARS = "import polars as pl, sys; pl.scan_csv(sys.argv[1]).sink_parquet(sys.argv[2])"
_PYARROW = """
import sys, pyarrow.csv as c, pyarrow.parquet as pq
r = c.open_csv(sys.argv[1], read_options=c.ReadOptions(block_size=8 << 20))
with pq.ParquetWriter(sys.argv[2], r.schema, compression="snappy") as w:
    for b in r:
        w.write_batch(b)
"""


def _measure(cmd: list[str]) -> tuple[float, TreeSampler, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = TreeSampler(proc.pid, 0.2, abort_mib=20_000)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{output}")
    return wall, sampler, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", default="/tmp/fasray-bench")
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    work = Path(args.workdir)
    csv = work / f"stream-{args.rows}-s{args.seed}.csv"
    if not csv.exists():
        meta = generate(work, args.rows, args.seed)
        pl.scan_parquet(meta["file"]).sink_csv(csv)
    size_mib = csv.stat().st_size / MiB
    root = work / "ingest-root"
    out = work / "ingest-baseline.parquet"
    python = sys.executable
    runs = {
        "fas-ray ingest": [
            str(Path(python).with_name("fas-ray")), "ingest", str(csv), "--data-root", str(root),
        ],
        "polars sink_parquet": [python, "-c", _POLARS, str(csv), str(out)],
        "pyarrow open_csv → ParquetWriter": [python, "-c", _PYARROW, str(csv), str(out)],
    }  # fmt: skip
    load_before = _sh("uptime")
    lines = []
    for name, cmd in runs.items():
        subprocess.run(["rm", "-rf", str(root), str(out)], check=True)
        wall, sampler, output = _measure(cmd)
        lines.append(
            f"| {name} | {wall:.1f} | {args.rows / wall:,.0f} | {size_mib / wall:,.1f} "
            f"| {sampler.peak_rss / MiB:,.0f} | {sampler.peak_pss / MiB:,.0f} |"
        )
        print(lines[-1], flush=True)
        if name == "fas-ray ingest":
            print(output)
    subprocess.run(["rm", "-rf", str(root), str(out)], check=True)
    body = (
        f"### Ingest: {size_mib:,.0f} MiB CSV, {args.rows:,} rows "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
        f"Command: `.venv/bin/python bench/ingest.py --rows {args.rows}`\n\n"
        f"Versions: {_versions()}. Load before: `{load_before}`.\n\n"
        "| run | wall s | rows/s | MiB/s | tree peak RSS MiB | tree peak PSS MiB |\n"
        "|---|---:|---:|---:|---:|---:|\n" + "\n".join(lines) + "\n\n"
        "fas-ray's time includes sniffing (encoding, delimiter, header), the SHA-256 of the "
        "file and writing `meta.json`; it converts in 512 KiB blocks so memory stays flat.\n\n"
    )
    print(body)
    if not args.no_write:
        write_section(Path(args.out), f"ingest-{args.rows}", body)


if __name__ == "__main__":
    main()
