"""Lower bounds for ETL at a given size: what the framework and SimHash cost before any cleaning.

Measures, on the data ``bench/etl.py`` generated (run it first for the same ``--rows``):

- ``polars copy``: polars reads the part files and writes them back (no work);
- ``ray data copy``: Ray Data reads the part files, passes every block through an identity
  ``map_batches`` and writes them back; ``ray.init`` is timed separately;
- ``ray data copy x2``: the same twice, since a global dedup needs two passes over the data;
- ``simhash``: ``simhash64`` over the whole text column in one process (CPU seconds), and the
  tokenising step alone (polars' regex ``extract_all``), the part no rewrite of the bit counting
  can remove.

Usage::

    .venv/bin/python bench/etl.py --rows 10000000 --engines polars --no-write   # makes the data
    .venv/bin/python bench/etl_floor.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import polars as pl


def _polars_copy(parts: Path, out: Path) -> float:
    t = time.perf_counter()
    pl.scan_parquet(str(parts / "*.parquet")).sink_parquet(out / "copy.parquet")
    return time.perf_counter() - t


def _ray_copy(parts: Path, out: Path, object_store_mb: int) -> dict[str, float]:
    import ray

    t = time.perf_counter()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=object_store_mb << 20,
        log_to_driver=False,
    )
    started = time.perf_counter() - t
    try:
        timings = {"ray.init": started}
        for label in ("ray data copy", "ray data copy (2nd pass)"):
            dest = out / label.replace(" ", "-")
            t = time.perf_counter()
            ray.data.read_parquet(str(parts)).map_batches(
                lambda b: b, batch_format="pyarrow"
            ).write_parquet(str(dest))
            timings[label] = time.perf_counter() - t
        return timings
    finally:
        ray.shutdown()


def _simhash(parts: Path, column: str) -> dict[str, float]:
    from fas_ray.etl._simhash import _TOKEN_PATTERN, simhash64

    texts = pl.read_parquet(str(parts / "*.parquet"), columns=[column])[column]
    cpu = time.process_time()
    t = time.perf_counter()
    simhash64(texts)
    out = {"simhash wall": time.perf_counter() - t, "simhash cpu": time.process_time() - cpu}
    cpu = time.process_time()
    t = time.perf_counter()
    texts.str.to_lowercase().str.extract_all(_TOKEN_PATTERN)
    out["tokenise wall"] = time.perf_counter() - t
    out["tokenise cpu"] = time.process_time() - cpu
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workdir", default="/tmp/fasray-bench")
    p.add_argument("--object-store-mb", type=int, default=2000)
    p.add_argument("--text-column", default="Review Text")
    args = p.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    parts = Path(args.workdir) / f"data-{args.rows}-s{args.seed}" / "parts"
    if not parts.is_dir():
        raise SystemExit(f"no data at {parts}; run bench/etl.py --rows {args.rows} first")
    out = Path(tempfile.mkdtemp(prefix="etl-floor-", dir=args.workdir))
    try:
        result: dict[str, float] = {"polars copy": _polars_copy(parts, out)}
        result.update(_ray_copy(parts, out, args.object_store_mb))
        result.update(_simhash(parts, args.text_column))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({"rows": args.rows, **{k: round(v, 2) for k, v in result.items()}}))


if __name__ == "__main__":
    main()
