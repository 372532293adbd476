"""ETL benchmark (issue 3): the same cleaning of the same generated data with

* ``fasray``       -- ``fas_ray.distributed.etl.run_etl`` on Ray Data (local Ray, 2 CPUs);
* ``fasray-local`` -- ``fas_ray.etl.clean_table`` in one process (same steps, no Ray);
* ``polars``       -- the cleaning written directly in polars (lazy scan, one process);
* ``duckdb``       -- the cleaning written as DuckDB SQL (one process).

Every engine runs in its own fresh subprocess; the parent samples the RSS (and PSS) of the child's
whole process tree (for fas-ray: driver, raylet, GCS, every worker) every 0.2 s.

Usage::

    .venv/bin/python bench/etl.py --rows 1000000 --engines fasray,fasray-local,polars,duckdb

Generated data goes under ``--workdir`` (default /tmp/fasray-bench), never into the repository;
it is reused when a file for the same rows and seed exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

GEN_VERSION = 1
ENGINES = ("fasray", "fasray-local", "polars", "duckdb")
EXTRA = ("fasray-stages",)  # diagnostic, not in the default list
DEFAULT_INPUT = {
    "fasray": "parts",
    "fasray-stages": "parts",
    "fasray-local": "file",
    "polars": "file",
    "duckdb": "file",
}
PAGE = os.sysconf("SC_PAGE_SIZE")
MiB = 1024 * 1024

# --------------------------------------------------------------------------------------------
# data generation
# --------------------------------------------------------------------------------------------

CATEGORIES = [
    "Books",
    "Electronics",
    "Garden",
    "Toys",
    "Grocery",
    "Sports",
    "Health",
    "Beauty",
    "Automotive",
    "Music",
    "Office",
    "Pets",
]


def _word_list(n: int = 2000) -> list[str]:
    import numpy as np

    rng = np.random.default_rng(12345)
    syll = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "de", "bi", "go"]
    words: set[str] = set()
    while len(words) < n:
        k = int(rng.integers(1, 4))
        words.add("".join(syll[int(i)] for i in rng.integers(0, len(syll), k)))
    return sorted(words)


def _chunk(rng: Any, start: int, n: int, words: list[str]) -> Any:
    """``n`` base rows with ids ``start .. start + n - 1`` (a pyarrow table)."""
    import numpy as np
    import polars as pl

    ids = np.arange(start, start + n, dtype=np.int64)
    qty = rng.integers(0, 1000, n)
    qty_null = rng.random(n) < 0.05
    score = rng.normal(50.0, 15.0, n)
    score[rng.random(n) < 0.03] = np.nan
    cat_idx = rng.integers(0, len(CATEGORIES), n)
    cat_null = rng.random(n) < 0.04
    cat_pad = rng.random(n) < 0.01  # surrounding white space: the strip step removes it
    member = rng.random(n) < 0.4
    member_null = rng.random(n) < 0.02
    days = rng.integers(0, 3650, n)
    date_null = rng.random(n) < 0.02
    cents = rng.integers(50, 10_000_000, n)  # $0.50 .. $99,999.99
    price_null = rng.random(n) < 0.015

    n_words = rng.integers(8, 16, n)
    word_idx = rng.integers(0, len(words), (15, n))
    vocab = pl.Series(words)
    word_cols = [
        pl.Series(f"w{j}", vocab.gather(word_idx[j])).set(pl.Series(n_words <= j), None)
        for j in range(15)
    ]
    repost = rng.random(n) < 0.03  # ~3 %: the text of another row, other case and punctuation
    src = np.arange(n)
    src[repost] = rng.integers(0, n, int(repost.sum()))

    frame = pl.DataFrame(
        {
            "id": ids,
            "qty": pl.Series(qty).set(pl.Series(qty_null), None),
            "score": score,
            "cat": pl.Series(np.array(CATEGORIES)[cat_idx]),
            "cat_null": cat_null,
            "cat_pad": cat_pad,
            "member": member,
            "member_null": member_null,
            "date": pl.Series(np.datetime64("2015-01-01") + days.astype("timedelta64[D]")),
            "date_null": date_null,
            "cents": cents,
            "price_null": price_null,
            "repost": repost,
            "src": src,
        }
    ).with_columns(word_cols)
    sentence = pl.concat_str([pl.col(f"w{j}") for j in range(15)], separator=" ", ignore_nulls=True)
    sentence = pl.concat_str(
        [sentence.str.slice(0, 1).str.to_uppercase(), sentence.str.slice(1), pl.lit(".")]
    )
    frame = frame.with_columns(sentence.alias("review"))
    frame = frame.with_columns(pl.col("review").gather(pl.col("src")).alias("review_src"))
    whole = pl.col("cents") // 100
    # thousands group must be zero-padded: "1,005.00" not "1,5.00"
    price = pl.concat_str(
        [
            pl.lit("$"),
            pl.when(whole >= 1000)
            .then(
                pl.concat_str(
                    [
                        (whole // 1000).cast(pl.String),
                        pl.lit(","),
                        (whole % 1000).cast(pl.String).str.zfill(3),
                    ]
                )
            )
            .otherwise(whole.cast(pl.String)),
            pl.lit("."),
            (pl.col("cents") % 100).cast(pl.String).str.zfill(2),
        ]
    )
    out = frame.select(
        pl.concat_str([pl.lit("C"), pl.col("id").cast(pl.String).str.zfill(9)]).alias(
            "Customer ID"
        ),
        pl.col("qty").alias("Qty"),
        pl.col("score").alias("Score"),
        pl.when(pl.col("cat_null"))
        .then(None)
        .when(pl.col("cat_pad"))
        .then(pl.concat_str([pl.lit("  "), pl.col("cat"), pl.lit(" ")]))
        .otherwise(pl.col("cat"))
        .alias("Category"),
        pl.when(pl.col("member_null"))
        .then(None)
        .otherwise(pl.when(pl.col("member")).then(pl.lit("yes")).otherwise(pl.lit("no")))
        .alias("Is Member"),
        pl.when(pl.col("date_null"))
        .then(None)
        .otherwise(pl.col("date").dt.strftime("%Y-%m-%d"))
        .alias("Signup Date"),
        pl.when(pl.col("price_null")).then(None).otherwise(price).alias("Price"),
        pl.when(pl.col("repost"))
        .then(pl.col("review_src").str.to_lowercase().str.replace(r"\.$", "!!"))
        .otherwise(pl.col("review"))
        .alias("Review Text"),
    )
    return out.to_arrow(), int(repost.sum())


def generate(workdir: Path, rows: int, seed: int) -> dict[str, Any]:
    """Write ``rows`` rows (~5 % exact duplicates) as one Parquet file and as part files."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = workdir / f"data-{rows}-s{seed}"
    meta_path = root / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("gen_version") == GEN_VERSION:
            return meta
    shutil.rmtree(root, ignore_errors=True)
    (root / "parts").mkdir(parents=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    words = _word_list()
    dups = rows // 20
    base = rows - dups
    n_chunks = max(8, math.ceil(rows / 500_000))
    base_sizes = [len(a) for a in np.array_split(np.arange(base), n_chunks)]
    dup_sizes = [len(a) for a in np.array_split(np.arange(dups), n_chunks)]
    single = root / "bronze.parquet"
    writer: pq.ParquetWriter | None = None
    pending: pa.Table | None = None
    start = 0
    reposts = 0
    for k in range(n_chunks):
        table, rep = _chunk(rng, start, base_sizes[k], words)
        reposts += rep
        start += base_sizes[k]
        pick = rng.choice(table.num_rows, size=dup_sizes[k], replace=False)
        mine = table.take(pa.array(np.sort(pick)))
        parts = [table] + ([pending] if pending is not None else [])
        if k == n_chunks - 1:
            parts.append(mine)
        else:
            pending = mine
        chunk = pa.concat_tables(parts)
        chunk = chunk.take(pa.array(rng.permutation(chunk.num_rows)))
        if writer is None:
            writer = pq.ParquetWriter(single, chunk.schema)
        writer.write_table(chunk, row_group_size=250_000)
        pq.write_table(chunk, root / "parts" / f"part-{k:04d}.parquet")
        del table, chunk, mine, parts
    assert writer is not None
    writer.close()
    md = pq.ParquetFile(single).metadata
    meta = {
        "gen_version": GEN_VERSION,
        "rows": rows,
        "seed": seed,
        "base_rows": base,
        "exact_duplicates": dups,
        "reposts": reposts,
        "file": str(single),
        "file_mb": round(single.stat().st_size / MiB, 1),
        "file_row_groups": md.num_row_groups,
        "parts": str(root / "parts"),
        "parts_n": n_chunks,
        "parts_mb": round(sum(p.stat().st_size for p in (root / "parts").iterdir()) / MiB, 1),
        "gen_s": round(time.perf_counter() - t0, 1),
    }
    assert md.num_rows == rows
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


# --------------------------------------------------------------------------------------------
# engines (each runs in a child process: ``etl.py --child ENGINE ...``)
# --------------------------------------------------------------------------------------------


def _phase_wrap(module: Any, name: str, phases: dict[str, float]) -> None:
    """Wrap ``module.name`` to add its run time to ``phases[name]``."""
    inner = getattr(module, name, None)
    if inner is None:  # the project's internals moved: no breakdown for this step
        return

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
            phases[f"{name}@end"] = time.perf_counter()

    setattr(module, name, wrapped)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def run_fasray(src: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    from fas_ray.config import Settings
    from fas_ray.distributed import etl as detl
    from fas_ray.distributed.runtime import ray_session
    from fas_ray.etl import _table

    phases: dict[str, float] = {}
    for name in ("read_sample", "infer_types"):
        _phase_wrap(detl, name, phases)
    for name in ("near_duplicates", "plan_fills"):  # called in the driver via _table
        _phase_wrap(_table, name, phases)
    settings = Settings(
        data_root=Path(args.workdir) / "ray-root", num_cpus=2, object_store_mb=args.object_store_mb
    )
    runs = []
    t = time.perf_counter()
    with ray_session(settings):
        ray_start = time.perf_counter() - t
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)
            phases.clear()
            t0 = time.perf_counter()
            summary = detl.run_etl(src, out, exclude=[])
            t1 = time.perf_counter()
            runs.append(t1 - t0)
        t_shut = time.perf_counter()
    shutdown = time.perf_counter() - t_shut
    # phases of the last run, as spans on its timeline
    nd_end, pf_end = phases.get("near_duplicates@end", t1), phases.get("plan_fills@end", t1)
    nd, pf = phases.get("near_duplicates", 0.0), phases.get("plan_fills", 0.0)
    breakdown = {
        "sample+infer": phases.get("read_sample", 0.0) + phases.get("infer_types", 0.0),
        "prepare+shuffle+dedup+write": (nd_end - nd)
        - t0
        - phases.get("read_sample", 0.0)
        - phases.get("infer_types", 0.0),
        "near_duplicates (SimHash)": nd,
        "plan_fills (DuckDB)": pf,
        "fill+write": t1 - pf_end,
    }
    s = summary.to_json()
    near = sum(r.get("removable", 0) for r in s["near_duplicates"])
    return {
        "runs": runs,
        "ray_start_s": ray_start,
        "ray_shutdown_s": shutdown,
        "rows_in": s["rows_in"],
        "rows_dedup": s["rows_in"] - s["duplicates_removed"],
        "rows_out": _parquet_rows(out),
        "near_dups_found": near,
        "breakdown": breakdown,
        "schema": {k: v["semantic"] for k, v in s["schema"].items()},
    }


def run_fasray_stages(src: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Diagnostic: ``run_etl`` cold and warm in one Ray session, then its Ray Data stages run
    one prefix at a time (each from scratch), so the increments show where the time goes."""
    import ray

    from fas_ray.config import EtlOptions, Settings
    from fas_ray.distributed import etl as detl
    from fas_ray.distributed.runtime import ray_session
    from fas_ray.etl import HASH_COLUMN, infer_types, normalize_column_names, standardise_text

    settings = Settings(
        data_root=Path(args.workdir) / "ray-root", num_cpus=2, object_store_mb=args.object_store_mb
    )
    stages: dict[str, float] = {}
    runs = []

    def timed(label: str, fn: Any) -> Any:
        t = time.perf_counter()
        value = fn()
        stages[label] = time.perf_counter() - t
        return value

    t = time.perf_counter()
    with ray_session(settings):
        ray_start = time.perf_counter() - t
        for _ in range(2):
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.perf_counter()
            summary = detl.run_etl(src, out, exclude=[])
            runs.append(time.perf_counter() - t0)
        options = EtlOptions()
        timed(
            "tiny Dataset (range(10).map_batches.materialize)",
            lambda: ray.data.range(10).map_batches(lambda b: b).materialize(),
        )
        ds = ray.data.read_parquet(str(src))
        names = list(ds.schema().names)
        mapping = dict(zip(names, normalize_column_names(names), strict=True))
        sample = detl.read_sample(src, options.type_sample_rows)
        sample = standardise_text(sample.rename(mapping), lowercase=False)
        schema = infer_types(sample, options)
        kw = {"mapping": mapping, "schema": schema, "options": options}
        prep = ds.map_batches(detl._prepare_and_hash, fn_kwargs=kw, batch_format="pyarrow")
        timed("read", lambda: ray.data.read_parquet(str(src)).materialize())
        timed("read+prepare", lambda: prep.materialize())
        shuffled = prep.repartition(2 * detl.cluster_cpus(), keys=[HASH_COLUMN])
        timed("read+prepare+hash shuffle", lambda: shuffled.materialize())
        scratch = Path(args.workdir) / "stages-scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        timed(
            "read+prepare+shuffle+dedup+write",
            lambda: shuffled.map_batches(
                detl._dedup_block, batch_format="pyarrow", batch_size=None
            ).write_parquet(str(scratch)),
        )
        timed(
            "re-read staged + write (no fill)",
            lambda: ray.data.read_parquet(str(scratch)).write_parquet(str(scratch) + "-2"),
        )
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(str(scratch) + "-2", ignore_errors=True)
    s = summary.to_json()
    return {
        "runs": runs,
        "ray_start_s": ray_start,
        "ray_shutdown_s": 0.0,
        "rows_in": s["rows_in"],
        "rows_dedup": s["rows_in"] - s["duplicates_removed"],
        "rows_out": _parquet_rows(out),
        "breakdown": stages,
    }


def run_fasray_local(src: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    import polars as pl

    from fas_ray.etl import _table

    phases: dict[str, float] = {}
    for name in ("dedup_rows", "near_duplicates", "plan_fills", "finish_block"):
        _phase_wrap(_table, name, phases)
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        phases.clear()
        t0 = time.perf_counter()
        df = pl.read_parquet(src)
        t_read = time.perf_counter() - t0
        cleaned, summary = _table.clean_table(df, [])
        t_w = time.perf_counter()
        cleaned.write_parquet(out / "part-0.parquet")
        t_write = time.perf_counter() - t_w
        runs.append(time.perf_counter() - t0)
        del df, cleaned
    s = summary.to_json()
    near = sum(r.get("removable", 0) for r in s["near_duplicates"])
    named = ("dedup_rows", "near_duplicates", "plan_fills", "finish_block")
    breakdown = {
        "read": t_read,
        "prepare (types, hash)": runs[-1] - t_read - t_write - sum(phases.get(n, 0) for n in named),
        "dedup": phases.get("dedup_rows", 0.0),
        "near_duplicates (SimHash)": phases.get("near_duplicates", 0.0),
        "plan_fills (DuckDB)": phases.get("plan_fills", 0.0),
        "fill + canonical sort": phases.get("finish_block", 0.0),
        "write": t_write,
    }
    return {
        "runs": runs,
        "rows_in": s["rows_in"],
        "rows_dedup": s["rows_in"] - s["duplicates_removed"],
        "rows_out": _parquet_rows(out),
        "near_dups_found": near,
        "breakdown": breakdown,
    }


def _polars_clean(src: Path, out: Path) -> tuple[int, dict[str, float]]:
    """The cleaning as a polars user writes it for this data."""
    import polars as pl

    t0 = time.perf_counter()
    lf = pl.scan_parquet(src).rename(
        {
            "Customer ID": "customer_id",
            "Qty": "qty",
            "Score": "score",
            "Category": "category",
            "Is Member": "is_member",
            "Signup Date": "signup_date",
            "Price": "price",
            "Review Text": "review_text",
        }
    )
    strings = [n for n, t in lf.collect_schema().items() if t == pl.String]
    stripped = [pl.col(c).str.strip_chars() for c in strings]
    lf = lf.with_columns(pl.when(e == "").then(None).otherwise(e).name.keep() for e in stripped)
    member = pl.col("is_member").str.to_lowercase()
    lf = lf.with_columns(
        pl.when(member.is_in(["yes", "y", "true"]))
        .then(True)
        .when(member.is_in(["no", "n", "false"]))
        .then(False)
        .otherwise(None)
        .alias("is_member"),
        pl.col("signup_date").str.strptime(pl.Datetime("us"), "%Y-%m-%d", strict=False),
        pl.col("price").str.replace_all(r"[$,]", "").cast(pl.Float64, strict=False),
    ).unique()
    df = lf.collect()
    t_dedup = time.perf_counter() - t0
    rows_dedup = df.height
    # missing values: NaN counts as missing; median for numbers, mode (smallest on ties) otherwise
    df = df.with_columns(pl.col(pl.Float64).fill_nan(None))
    nulls = df.null_count().row(0, named=True)
    missing = [c for c, n in nulls.items() if n]
    numeric = [c for c in missing if df.schema[c].is_numeric()]
    other = [c for c in missing if c not in numeric]
    stats = df.select(
        [pl.col(c).median() for c in numeric]
        + [pl.col(c).drop_nulls().mode().sort().first() for c in other]
    ).row(0, named=True)
    fills = []
    for c in missing:
        value = stats[c]
        if df.schema[c].is_integer():
            value = int(round(value))
        fills.append(pl.col(c).fill_null(pl.lit(value, dtype=df.schema[c])))
    df = df.with_columns(fills)
    t_w = time.perf_counter()
    df.write_parquet(out / "part-0.parquet")
    t_write = time.perf_counter() - t_w
    total = time.perf_counter() - t0
    return rows_dedup, {
        "scan+clean+unique": t_dedup,
        "stats+fill": total - t_dedup - t_write,
        "write": t_write,
    }


def run_polars(src: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        t0 = time.perf_counter()
        rows_dedup, breakdown = _polars_clean(src, out)
        runs.append(time.perf_counter() - t0)
    rows_in = _parquet_rows(src)
    return {
        "runs": runs,
        "rows_in": rows_in,
        "rows_dedup": rows_dedup,
        "rows_out": _parquet_rows(out),
        "breakdown": breakdown,
    }


def _duckdb_clean(src: Path, out: Path) -> tuple[int, dict[str, float]]:
    """The cleaning as DuckDB SQL."""
    import duckdb

    pattern = str(src / "*.parquet") if src.is_dir() else str(src)
    con = duckdb.connect()
    # DuckDB 2.0 folds isnan(x) to false when Parquet statistics leave NaN out (pyarrow writes
    # them so); the cleaned table below is DuckDB's own, but stay on the safe side.
    con.execute("SET disabled_optimizers = 'statistics_propagation'")
    t0 = time.perf_counter()
    con.execute(
        f"""
        CREATE TABLE cleaned AS SELECT DISTINCT
            NULLIF(trim("Customer ID"), '') AS customer_id,
            "Qty" AS qty,
            "Score" AS score,
            NULLIF(trim("Category"), '') AS category,
            CASE lower(trim("Is Member"))
                WHEN 'yes' THEN true WHEN 'y' THEN true WHEN 'true' THEN true
                WHEN 'no' THEN false WHEN 'n' THEN false WHEN 'false' THEN false
            END AS is_member,
            try_strptime(NULLIF(trim("Signup Date"), ''), '%Y-%m-%d') AS signup_date,
            TRY_CAST(regexp_replace(trim("Price"), '[$,]', '', 'g') AS DOUBLE) AS price,
            NULLIF(trim("Review Text"), '') AS review_text
        FROM read_parquet('{pattern}')
        """
    )
    t_dedup = time.perf_counter() - t0
    row = con.execute("SELECT count(*) FROM cleaned").fetchone()
    assert row is not None
    rows_dedup = int(row[0])
    dest = str(out / "part-0.parquet")
    con.execute(
        f"""
        COPY (
            WITH c AS (
                SELECT * REPLACE (CASE WHEN isnan(score) THEN NULL ELSE score END AS score)
                FROM cleaned
            ),
            s AS (
                SELECT
                    CAST(round(median(qty)) AS BIGINT) AS qty,
                    median(score) AS score,
                    median(price) AS price,
                    mode(category) AS category,
                    mode(is_member) AS is_member,
                    mode(signup_date) AS signup_date,
                    mode(customer_id) FILTER (WHERE false) AS customer_id,
                    mode(review_text) FILTER (WHERE false) AS review_text
                FROM c
            )
            SELECT
                coalesce(c.customer_id, s.customer_id) AS customer_id,
                coalesce(c.qty, s.qty) AS qty,
                coalesce(c.score, s.score) AS score,
                coalesce(c.category, s.category) AS category,
                coalesce(c.is_member, s.is_member) AS is_member,
                coalesce(c.signup_date, s.signup_date) AS signup_date,
                coalesce(c.price, s.price) AS price,
                c.review_text
            FROM c, s
        ) TO '{dest}' (FORMAT parquet)
        """
    )
    con.close()
    total = time.perf_counter() - t0
    return rows_dedup, {"clean+distinct (CTAS)": t_dedup, "stats+fill+COPY": total - t_dedup}


def run_duckdb(src: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for _ in range(args.repeat):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        t0 = time.perf_counter()
        rows_dedup, breakdown = _duckdb_clean(src, out)
        runs.append(time.perf_counter() - t0)
    return {
        "runs": runs,
        "rows_in": _parquet_rows(src),
        "rows_dedup": rows_dedup,
        "rows_out": _parquet_rows(out),
        "breakdown": breakdown,
    }


RUNNERS = {
    "fasray": run_fasray,
    "fasray-local": run_fasray_local,
    "fasray-stages": run_fasray_stages,
    "polars": run_polars,
    "duckdb": run_duckdb,
}


def child_main(args: argparse.Namespace) -> None:
    t_import = time.perf_counter()
    src, out = Path(args.src), Path(args.dest)
    result = RUNNERS[args.child](src, out, args)
    result["driver_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["child_s"] = time.perf_counter() - t_import
    Path(args.result).write_text(json.dumps(result))


# --------------------------------------------------------------------------------------------
# parent: process-tree memory sampling
# --------------------------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _rss_pss(pid: int) -> tuple[int, int]:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            rss = int(fh.read().split()[1]) * PAGE
        pss = 0
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
        return rss, pss
    except (OSError, ValueError, IndexError):
        return 0, 0


class TreeSampler(threading.Thread):
    """Peak summed RSS / PSS (and process count) of a process tree, sampled every ``interval``."""

    def __init__(self, pid: int, interval: float, abort_mib: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.abort_mib = pid, interval, abort_mib
        self.peak_rss = self.peak_pss = 0
        self.peak_procs = 0
        self.aborted = False
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = _tree(self.pid)
            rss = pss = 0
            for p in pids:
                r, s = _rss_pss(p)
                rss, pss = rss + r, pss + s
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(pids))
            if pss / MiB > self.abort_mib and not self.aborted:
                self.aborted = True
                for p in reversed(pids):  # only our own child and its descendants
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run_engine(engine: str, src: Path, args: argparse.Namespace, rows: int) -> dict[str, Any]:
    work = Path(args.workdir)
    dest = work / f"out-{engine}-{rows}"
    result_file = work / f"result-{engine}-{rows}.json"
    result_file.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        engine,
        "--src",
        str(src),
        "--dest",
        str(dest),
        "--result",
        str(result_file),
        "--workdir",
        str(work),
        "--repeat",
        str(args.repeat),
        "--object-store-mb",
        str(args.object_store_mb),
    ]
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PYTHONPATH=str(Path.cwd()))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    sampler = TreeSampler(proc.pid, 0.2, args.abort_mib)
    sampler.start()
    rc = proc.wait(timeout=args.timeout)
    sampler.stop()
    wall = time.perf_counter() - t0
    res: dict[str, Any] = {"engine": engine, "rc": rc, "process_s": wall}
    if rc == 0 and result_file.exists():
        res.update(json.loads(result_file.read_text()))
    res.update(
        tree_peak_rss_mib=sampler.peak_rss / MiB,
        tree_peak_pss_mib=sampler.peak_pss / MiB,
        tree_peak_procs=sampler.peak_procs,
        aborted=sampler.aborted,
    )
    shutil.rmtree(dest, ignore_errors=True)
    return res


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def _sh(cmd: str) -> str:
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def _versions() -> str:
    import duckdb
    import polars
    import pyarrow
    import ray

    return (
        f"ray {ray.__version__}, polars {polars.__version__}, duckdb {duckdb.__version__}, "
        f"pyarrow {pyarrow.__version__}, Python {platform.python_version()}"
    )


def render(
    meta_by_rows: dict[int, dict[str, Any]],
    results: list[dict[str, Any]],
    command: str,
    load_before: str,
    load_after: str,
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Run {now}",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: `nproc` = {_sh('nproc')}; "
        f"`free -g`: {_sh('free -g | sed -n 2p')!r}; "
        f"{_versions()}.",
        f"Load average before: `{load_before}`; after: `{load_after}`.",
        "",
        "Input data:",
        "",
    ]
    for rows, m in sorted(meta_by_rows.items()):
        lines.append(
            f"- {rows:,} rows: {m['base_rows']:,} distinct + {m['exact_duplicates']:,} exact "
            f"duplicate rows, ~{m['reposts']:,} review re-posts (case/punctuation only); "
            f"`file` = one Parquet file, {m['file_mb']} MiB, {m['file_row_groups']} row groups; "
            f"`parts` = {m['parts_n']} Parquet files, {m['parts_mb']} MiB; generated in "
            f"{m['gen_s']} s."
        )
    lines += [
        "",
        "| engine | rows | input | wall s | ratio to polars | process s | tree peak RSS MiB "
        "| tree peak PSS MiB | driver peak MiB | rows/s | rows after dedup | rows out |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    polars_wall = {
        r["rows"]: min(r["runs"]) for r in results if r["engine"] == "polars" and r.get("runs")
    }
    for r in results:
        if not r.get("runs"):
            lines.append(
                f"| {r['engine']} | {r['rows']:,} | {r['input']} | FAILED rc={r['rc']} "
                f"aborted={r['aborted']} | | {r['process_s']:.1f} | "
                f"{r['tree_peak_rss_mib']:.0f} | {r['tree_peak_pss_mib']:.0f} | | | | |"
            )
            continue
        wall = min(r["runs"])
        base = polars_wall.get(r["rows"])
        ratio = f"{wall / base:.2f}x" if base else "n/a"
        lines.append(
            f"| {r['engine']} | {r['rows']:,} | {r['input']} | {wall:.2f} | {ratio} "
            f"| {r['process_s']:.1f} | {r['tree_peak_rss_mib']:.0f} | "
            f"{r['tree_peak_pss_mib']:.0f} | {r['driver_peak_mib']:.0f} | "
            f"{r['rows'] / wall:,.0f} | {r['rows_dedup']:,} | {r['rows_out']:,} |"
        )
    lines += ["", "Details (seconds):", ""]
    for r in results:
        if not r.get("runs"):
            continue
        extra = ""
        if r["engine"] in ("fasray", "fasray-stages"):
            extra = f"Ray start {r['ray_start_s']:.1f}, shutdown {r['ray_shutdown_s']:.1f}; "
        if "near_dups_found" in r:
            extra += f"near-duplicate rows found {r['near_dups_found']:,}; "
        parts = ", ".join(f"{k} {v:.2f}" for k, v in r["breakdown"].items())
        runs = ", ".join(f"{x:.2f}" for x in r["runs"])
        lines.append(
            f"- {r['engine']} @ {r['rows']:,}: runs [{runs}]; {extra}{parts}; "
            f"peak processes {r['tree_peak_procs']}."
        )
    return "\n".join(lines) + "\n"


def write_section(out: Path, key: str, body: str) -> None:
    begin, end = f"<!-- bench:etl {key} -->", f"<!-- /bench:etl {key} -->"
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    block = f"{begin}\n{body}{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    out.write_text(text)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, action="append", help="rows (repeatable); default 1M")
    p.add_argument("--engines", default=",".join(ENGINES))
    p.add_argument("--workdir", default="/tmp/fasray-bench")
    p.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--input",
        default="auto",
        choices=["auto", "file", "parts"],
        help="auto: fasray reads the part files (parallel read), the others the single file",
    )
    p.add_argument("--object-store-mb", type=int, default=1000)
    p.add_argument("--abort-mib", type=float, default=16 * 1024, help="kill above this tree PSS")
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--section", default=None, help="key of the RESULTS.md section to replace")
    p.add_argument("--no-write", action="store_true", help="print the table only")
    # child-only options
    p.add_argument("--child", choices=ENGINES + EXTRA, help=argparse.SUPPRESS)
    p.add_argument("--src", help=argparse.SUPPRESS)
    p.add_argument("--dest", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child_main(args)
        return

    rows_list = args.rows or [1_000_000]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ENGINES + EXTRA:
            p.error(f"unknown engine {e!r}; choose from {', '.join(ENGINES + EXTRA)}")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    command = "python bench/etl.py " + " ".join(sys.argv[1:])
    load_before = _sh("uptime")
    metas: dict[int, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for rows in rows_list:
        meta = generate(work, rows, args.seed)
        metas[rows] = meta
        print(f"[data] {rows:,} rows: {json.dumps(meta)}", flush=True)
        for engine in engines:
            kind = DEFAULT_INPUT[engine] if args.input == "auto" else args.input
            src = Path(meta["file"] if kind == "file" else meta["parts"])
            res = run_engine(engine, src, args, rows)
            res.update(rows=rows, input=kind)
            results.append(res)
            runs = res.get("runs")
            print(
                f"[{engine}] rows={rows:,} input={kind} rc={res['rc']} "
                f"wall={min(runs) if runs else float('nan'):.2f}s "
                f"tree_rss={res['tree_peak_rss_mib']:.0f}MiB "
                f"tree_pss={res['tree_peak_pss_mib']:.0f}MiB "
                f"dedup={res.get('rows_dedup')} out={res.get('rows_out')} "
                f"expected_dedup={meta['base_rows']}",
                flush=True,
            )
        dedups = {r["engine"]: r.get("rows_dedup") for r in results if r["rows"] == rows}
        ok = len(set(dedups.values()) | {meta["base_rows"]}) == 1
        print(f"[check] rows after exact dedup at {rows:,}: {dedups} ok={ok}", flush=True)
    body = render(metas, results, command, load_before, _sh("uptime"))
    print(body)
    if not args.no_write:
        key = args.section or "rows=" + ",".join(str(r) for r in rows_list)
        write_section(Path(args.out), key, body)


if __name__ == "__main__":
    main()
