"""The Ray Data ETL path gives exactly what the single-process path gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fas_ray.distributed import run_etl
from fas_ray.etl import canonical_order, clean_table

pytestmark = pytest.mark.integration


def _messy_frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    base = pl.DataFrame(
        {
            "Customer Age": pl.Series(rng.integers(18, 80, n)).cast(pl.Int64),
            "Plan Type": rng.choice(["basic", "pro", "team"], n),
            "Monthly $": np.round(rng.normal(50, 10, n), 2),
            "churned?": rng.integers(0, 2, n),
        }
    )
    mask = rng.random(n) < 0.1
    base = base.with_columns(
        pl.when(pl.Series(mask)).then(None).otherwise(pl.col("Customer Age")).alias("Customer Age"),
        pl.when(pl.Series(rng.random(n) < 0.1))
        .then(None)
        .otherwise(pl.col("Plan Type"))
        .alias("Plan Type"),
        pl.when(pl.Series(rng.random(n) < 0.05))
        .then(float("nan"))
        .otherwise(pl.col("Monthly $"))
        .alias("Monthly $"),
    )
    dupes = base.sample(n // 20, seed=seed)  # ~5 % exact duplicates
    return pl.concat([base, dupes]).sample(fraction=1.0, shuffle=True, seed=seed)


def test_ray_data_etl_matches_single_process(ray_local: None, tmp_path: Path) -> None:
    raw = _messy_frame(5000, seed=1)
    bronze = tmp_path / "bronze.parquet"
    raw.write_parquet(bronze)

    summary = run_etl(bronze, tmp_path / "silver", exclude=["churned"], num_blocks=4)
    on_ray = canonical_order(pl.read_parquet(tmp_path / "silver"))
    expected, ref = clean_table(raw, exclude=["churned"])

    assert on_ray.columns == ["customer_age", "plan_type", "monthly", "churned"]
    assert on_ray.equals(expected)
    assert summary.rows_in == ref.rows_in == raw.height
    assert summary.duplicates_removed == ref.duplicates_removed > 0
    assert summary.fill_values == ref.fill_values
    assert summary.filled == ref.filled
    assert on_ray.null_count().row(0)[:3] == (0, 0, 0)


def test_failed_etl_leaves_no_silver(ray_local: None, tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(Exception):  # noqa: B017 - Ray's own error type for a missing path
        run_etl(missing, tmp_path / "silver", exclude=[])
    assert not (tmp_path / "silver").exists()
    assert [p.name for p in tmp_path.iterdir()] == []
