"""The Ray Data ETL path gives exactly what the single-process path gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fas_ray.config import EtlOptions
from fas_ray.distributed import run_etl
from fas_ray.etl import canonical_order, clean_parquet, clean_table, normalize_column_names

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


def _typed_text_frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    amounts = rng.integers(1, 5000, n)
    frame = pl.DataFrame(
        {
            "Amount ($)": [f"${a:,}.50" if i % 50 else None for i, a in enumerate(amounts)],
            "Share": [f"{a % 100}%" for a in amounts],
            "Active?": rng.choice(["yes", "no", " Yes "], n),
            "Signed Up": [f"{1 + a % 28:02d}.{1 + a % 12:02d}.2024" for a in amounts],
            "Comment": rng.choice(["  fine ", "Great", "", "bad"], n),
            "label": rng.integers(0, 3, n),
        }
    )
    return pl.concat([frame, frame.head(n // 25)])


_WORDS = (
    "fast delivery great price poor packaging friendly support broken screen would buy again "
    "battery lasts long colour faded quickly easy setup noisy fan excellent value late refund"
).split()


def _reviews_frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    reviews = [" ".join(rng.choice(_WORDS, 14)) for _ in range(n)]
    for i in range(0, n, 10):  # every tenth review re-posted with other case and punctuation
        reviews[i + 1] = reviews[i].upper().replace(" ", ", ", 2) + "!"
    return pl.DataFrame(
        {
            "Review": reviews,
            "Stars": rng.integers(1, 6, n),
            "Helpful": [
                None if i % 7 == 0 else int(v) for i, v in enumerate(rng.integers(0, 50, n))
            ],
            "label": rng.integers(0, 2, n),
        }
    )


OPTION_CASES = [
    pytest.param(EtlOptions(), _reviews_frame, id="near-dups-reported"),
    pytest.param(EtlOptions(near_duplicates=True), _reviews_frame, id="near-dups-removed"),
    pytest.param(EtlOptions(), _messy_frame, id="auto"),
    pytest.param(
        EtlOptions(missing="fill_mean", missing_per_column={"plan_type": "drop"}),
        _messy_frame,
        id="mean-and-drop",
    ),
    pytest.param(EtlOptions(missing="keep", lowercase_text=True), _typed_text_frame, id="types"),
    pytest.param(EtlOptions(infer_types=False), _typed_text_frame, id="no-types"),
]


@pytest.mark.parametrize(("options", "make"), OPTION_CASES)
def test_ray_data_etl_matches_single_process(
    ray_local: None, tmp_path: Path, options: EtlOptions, make: Callable[[int, int], pl.DataFrame]
) -> None:
    raw = make(5000, 1)
    target = normalize_column_names(raw.columns)[-1]
    bronze = tmp_path / "bronze.parquet"
    raw.write_parquet(bronze)

    summary = run_etl(bronze, tmp_path / "silver", [target], options=options, num_blocks=4)
    on_ray = canonical_order(pl.read_parquet(tmp_path / "silver"))
    expected, ref = clean_table(raw, exclude=[target], options=options)

    assert on_ray.schema == expected.schema
    assert on_ray.equals(expected)
    assert summary.to_json() == ref.to_json()
    # the local engine (what `engine="auto"` picks for small data) writes the same layer
    local = clean_parquet(bronze, tmp_path / "silver-local", [target], options=options)
    assert pl.read_parquet(tmp_path / "silver-local").equals(expected)
    assert local.to_json() == ref.to_json()
    assert summary.rows_in == raw.height
    assert summary.rows_out == on_ray.height
    if make is _reviews_frame:
        (report,) = summary.near_duplicates
        assert report["column"] == "review" and report["groups"] == 500
        assert summary.near_duplicates_removed == (500 if options.near_duplicates else 0)
        assert on_ray.height == 5000 - summary.near_duplicates_removed
    else:
        assert summary.duplicates_removed > 0


def test_messy_columns_are_cleaned(ray_local: None, tmp_path: Path) -> None:
    raw = _messy_frame(5000, seed=1)
    raw.write_parquet(tmp_path / "bronze.parquet")
    summary = run_etl(tmp_path / "bronze.parquet", tmp_path / "silver", exclude=["churned"])
    out = pl.read_parquet(tmp_path / "silver")
    assert out.columns == ["customer_age", "plan_type", "monthly", "churned"]
    assert out.null_count().row(0)[:3] == (0, 0, 0)
    assert summary.filled.keys() == {"customer_age", "plan_type", "monthly"}


def test_failed_etl_leaves_no_silver(ray_local: None, tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(Exception):  # noqa: B017 - Ray's own error type for a missing path
        run_etl(missing, tmp_path / "silver", exclude=[])
    assert not (tmp_path / "silver").exists()
    assert [p.name for p in tmp_path.iterdir()] == []
