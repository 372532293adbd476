"""DuckDB fill values over Parquet agree with the in-process ``compute_fill_values``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fas_ray.etl import compute_fill_values, duckdb_fill_values, parquet_source

FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _missing_counts(df: pl.DataFrame, exclude: tuple[str, ...] = ()) -> dict[str, int]:
    counts = {}
    for name in df.columns:
        col = df[name].fill_nan(None) if df[name].dtype.is_float() else df[name]
        if name not in exclude and col.null_count():
            counts[name] = col.null_count()
    return counts


def _assert_parity(df: pl.DataFrame, path: Path, exclude: tuple[str, ...] = ()) -> None:
    values, missing = duckdb_fill_values(path, exclude=exclude)
    expected = compute_fill_values(df, exclude=exclude)
    assert values == expected
    for name, value in values.items():  # same Python types, not only equal values
        assert type(value) is type(expected[name]), name
    assert missing == _missing_counts(df, exclude)


def test_duckdb_matches_polars_on_mixed_columns(tmp_path: Path) -> None:
    nan = float("nan")
    df = pl.DataFrame(
        {
            "f": [1.0, nan, None, 3.0, 2.0, 10.0, nan],
            "i_even": [1, 2, 3, 4, 5, 6, None],  # six values: median 3.5 → 4
            "i_half_even": [1, 2, None, 3, 4, None, None],  # median 2.5 → 2 (half to even)
            "i32": pl.Series([7, None, 9, 9, 1, 2, 3], dtype=pl.Int32),
            "u8": pl.Series([None, 250, 3, 3, 3, 255, 1], dtype=pl.UInt8),
            "s_tie": ["b", "a", None, "a", "b", "Z", None],  # a/b tie, "Z" sorts first but once
            "b": [True, None, False, True, False, None, None],
            "all_null": pl.Series([None] * 7, dtype=pl.Float64),
            "null_type": pl.Series([None] * 7),
            "no_nulls": [1, 2, 3, 4, 5, 6, 7],
            'we"ird name': ["x", None, "y", "y", "x", "y", None],
            "target": [0, 1, None, 1, 0, 1, 0],
        }
    )
    path = tmp_path / "data.parquet"
    df.write_parquet(path)

    values, _ = duckdb_fill_values(path, exclude=["target"])
    assert values["f"] == 2.5 and values["i_even"] == 4 and values["i_half_even"] == 2
    assert values["s_tie"] == "a" and values["b"] is False
    assert values["all_null"] is None and values["null_type"] is None
    assert "no_nulls" not in values and "target" not in values
    _assert_parity(df, path, exclude=("target",))


def test_duckdb_reads_a_folder_of_parts_with_a_quote_in_its_path(tmp_path: Path) -> None:
    folder = tmp_path / "it's silver"
    (folder / "sub").mkdir(parents=True)
    part1 = pl.DataFrame({"x": [1, None, 5], "s": ["a", None, "b"]})
    part2 = pl.DataFrame({"x": [7, 9, None], "s": ["b", "c", "c"]})
    part1.write_parquet(folder / "part-0.parquet")
    part2.write_parquet(folder / "sub" / "part-1.parquet")
    assert "it''s silver" in parquet_source(folder)
    _assert_parity(pl.concat([part1, part2]), folder)


quarter = st.integers(-40, 40).map(lambda k: k / 4)  # exact under any median interpolation
parity_rows = st.lists(
    st.tuples(
        st.none() | st.integers(-50, 50),
        st.none() | st.just(float("nan")) | quarter,
        st.none() | st.sampled_from(["a", "b", "c", "B"]),
        st.none() | st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


@FAST
@given(parity_rows)
def test_duckdb_matches_polars_property(tmp_path: Path, rows: list[tuple[Any, ...]]) -> None:
    df = pl.DataFrame(
        rows,
        schema={"i": pl.Int64, "f": pl.Float64, "s": pl.String, "b": pl.Boolean},
        orient="row",
    )
    path = tmp_path / "prop.parquet"
    df.write_parquet(path)
    _assert_parity(df, path)


def test_duckdb_float64_median_is_bit_identical(tmp_path: Path) -> None:
    df = pl.DataFrame({"f": [-5.406895265955298, 5.526852878837914, None]})
    df.write_parquet(tmp_path / "f64.parquet")
    values, _ = duckdb_fill_values(tmp_path / "f64.parquet")
    assert values == compute_fill_values(df)  # 0.05997880644130804 vs 0.059978806441308485


def test_duckdb_float32_median_matches_polars(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {"f": pl.Series("f", [-8.59454379761434, -4.107228764045416, None], pl.Float32)}
    )
    df.write_parquet(tmp_path / "f32.parquet")
    values, _ = duckdb_fill_values(tmp_path / "f32.parquet")
    expected = compute_fill_values(df)
    assert math.isclose(values["f"], expected["f"], rel_tol=1e-12)  # -6.3508863449 vs -6.3508861065


def test_nan_written_by_numpy_counts_as_missing_in_parquet(tmp_path: Path) -> None:
    import numpy as np

    values = np.arange(1000, dtype=np.float64)
    values[::10] = np.nan
    df = pl.DataFrame({"f": values})
    df.write_parquet(tmp_path / "nan.parquet")
    fills, missing = duckdb_fill_values(tmp_path / "nan.parquet")
    assert missing == {"f": 100}
    assert fills == compute_fill_values(df)


def test_staged_rows_count_each_duplicated_row_once(tmp_path: Path) -> None:
    from fas_ray.etl import (
        StagedRows,
        add_row_hash,
        distinct_duplicates,
        duplicate_hashes,
        plan_fills,
    )

    rows = pl.DataFrame({"a": [1, 1, 1, 2, 3, 3, None], "b": ["x", "x", "x", "y", "z", "z", "w"]})
    staged_frame = add_row_hash(rows)
    stage = tmp_path / "stage"
    stage.mkdir()
    staged_frame.head(4).write_parquet(stage / "part-0.parquet")
    staged_frame.tail(3).write_parquet(stage / "part-1.parquet")

    hashes, total = duplicate_hashes(stage)
    assert total == 7
    assert len(hashes) == 2  # (1, x) three times, (3, z) twice
    staged = StagedRows(stage, hashes)
    copies = pl.concat(list(distinct_duplicates(staged)))
    assert sorted(copies.select("a", "b").rows()) == [(1, "x"), (3, "z")]
    plan = plan_fills(staged)
    assert plan.rows == 4  # (1,x), (2,y), (3,z), (None,w)
    assert plan.values == {"a": 2} and plan.missing == {"a": 1}
