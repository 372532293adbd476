"""The DuckDB profiler over Parquet: known answers against Polars, quality score, warnings, JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fas_ray.etl._profile import (
    CategoricalStats,
    ColumnProfile,
    NumericStats,
    Profile,
    ProfileWarning,
    profile_parquet,
    quality_score,
)
from fas_ray.exceptions import ConfigError, InputError

FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
NAN = float("nan")


def _write(df: pl.DataFrame, folder: Path, name: str = "data.parquet") -> Path:
    path = folder / name
    df.write_parquet(path)
    return path


def _col(profile: Profile, name: str) -> ColumnProfile:
    return next(c for c in profile.column_profiles if c.name == name)


def _kinds(profile: Profile, column: str) -> set[str]:
    return {w.kind for w in profile.warnings if w.column == column}


def _close(got: float | None, want: float | None, scale: float) -> bool:
    """Equal within 1e-9 relative; rounding in sums scales with the data, so also 1e-9 of it."""
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9 * scale)


def _assert_matches_polars(profile: Profile, df: pl.DataFrame) -> None:
    assert profile.rows == df.height and profile.columns == df.width
    for name, dtype in df.schema.items():
        col = df[name].fill_nan(None) if dtype.is_float() else df[name]
        values = col.drop_nulls()
        got = _col(profile, name)
        assert got.nulls == col.null_count(), name
        assert got.null_pct == pytest.approx(100 * col.null_count() / max(df.height, 1))
        assert got.unique == values.n_unique(), name
        if dtype.is_numeric() and dtype != pl.Boolean:
            stats = got.numeric
            assert stats is not None and got.categorical is None
            scale = float(values.cast(pl.Float64).abs().max() or 0.0)  # type: ignore[arg-type]
            expected = {
                "mean": values.mean(),
                "std": values.std(),  # ddof=1
                "median": values.median(),
                "q1": values.quantile(0.25, interpolation="linear"),
                "q3": values.quantile(0.75, interpolation="linear"),
            }
            for stat, want in expected.items():
                assert _close(getattr(stats, stat), want, scale), (name, stat)  # type: ignore[arg-type]
            assert stats.min == values.min() and stats.max == values.max(), name
            assert type(stats.min) is type(values.min()) or values.len() == 0
        elif dtype in (pl.String, pl.Boolean):
            assert got.numeric is None and got.categorical is not None
            counts = values.value_counts(name="n").sort(["n", name], descending=[True, False])
            assert got.categorical.unique == values.n_unique()
            assert got.categorical.top == list(counts.head(10).iter_rows()), name


def _mixed_frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    floats = rng.normal(50.0, 10.0, n)
    floats[rng.random(n) < 0.1] = np.nan  # NaN in the data, not null
    return pl.DataFrame(
        {
            "i": rng.integers(-1000, 1000, n),
            "f": floats,
            "s": rng.choice(["a", "b", "", "ccc", "é"], n),
            "b": rng.random(n) < 0.3,
            "u8": pl.Series(rng.integers(0, 255, n), dtype=pl.UInt8),
        }
    ).with_columns(
        pl.when(pl.col("i") % 7 == 0).then(None).otherwise(pl.col("i")).alias("i"),
        pl.when(pl.col("u8") < 20).then(None).otherwise(pl.col("f")).alias("f"),
        pl.when(pl.col("u8") > 230).then(None).otherwise(pl.col("s")).alias("s"),
        pl.when(pl.col("u8") == 3).then(None).otherwise(pl.col("b")).alias("b"),
    )


def test_statistics_match_polars(tmp_path: Path) -> None:
    df = _mixed_frame(3000, seed=1)
    assert df["f"].is_nan().sum() > 0 and df["f"].null_count() > 0
    profile = profile_parquet(_write(df, tmp_path))
    _assert_matches_polars(profile, df)
    assert _col(profile, "i").dtype == "BIGINT" and _col(profile, "u8").dtype == "UTINYINT"
    assert profile.null_cells == sum(_col(profile, c).nulls for c in df.columns)
    assert profile.total_cells == 3000 * 5


def test_nan_counts_as_null_although_parquet_statistics_leave_it_out(tmp_path: Path) -> None:
    # Polars (like Arrow) leaves NaN out of Parquet min/max; DuckDB then folds isnan() to false
    # unless its statistics propagation is off.
    values = np.array([1.0, np.nan, 2.0, np.nan, 3.0])
    path = _write(pl.DataFrame({"x": values}), tmp_path)
    stats = pq.ParquetFile(path).metadata.row_group(0).column(0).statistics
    assert stats.has_min_max and math.isfinite(stats.max)
    x = _col(profile_parquet(path), "x")
    assert x.nulls == 2 and x.unique == 3
    assert x.numeric is not None and x.numeric.mean == 2.0 and x.numeric.max == 3.0


row_strategy = st.tuples(
    st.none() | st.integers(-(2**40), 2**40),
    st.none() | st.just(NAN) | st.floats(-1e6, 1e6, allow_nan=False),
    st.none() | st.sampled_from(["a", "b", "", "B", "ab", "ä"]),
    st.none() | st.booleans(),
)


@FAST
@given(st.lists(row_strategy, min_size=0, max_size=30))
def test_statistics_match_polars_property(tmp_path: Path, rows: list[tuple[Any, ...]]) -> None:
    df = pl.DataFrame(
        rows,
        schema={"i": pl.Int64, "f": pl.Float64, "s": pl.String, "b": pl.Boolean},
        orient="row",
    )
    _assert_matches_polars(profile_parquet(_write(df, tmp_path, "prop.parquet")), df)


def _assert_json_close(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            _assert_json_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for j, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_json_close(x, y, f"{path}[{j}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), path
    else:
        assert a == b, path


def test_folder_of_parts_profiles_like_one_file(tmp_path: Path) -> None:
    df = _mixed_frame(1500, seed=2)
    one = profile_parquet(_write(df, tmp_path, "one.parquet"), target="b")
    folder = tmp_path / "parts"
    (folder / "nested").mkdir(parents=True)
    df[:400].write_parquet(folder / "part-0.parquet")
    df[400:1000].write_parquet(folder / "part-1.parquet")
    df[1000:].write_parquet(folder / "nested" / "part-2.parquet")
    parts = profile_parquet(folder, target="b")
    expected_bytes = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
    assert parts.file_bytes == expected_bytes != one.file_bytes
    a, b = one.to_json(), parts.to_json()
    del a["file_bytes"], b["file_bytes"]
    _assert_json_close(a, b)


def test_a_wide_table_profiles_from_memory_like_from_the_file(tmp_path: Path) -> None:
    from fas_ray.etl import _profile

    df = _mixed_frame(300, seed=3)
    wide = df.with_columns(
        [pl.lit(i, dtype=pl.Int64).alias(f"pad_{i}") for i in range(_profile._WIDE_COLUMNS)]
    )
    profile = profile_parquet(_write(wide, tmp_path, "wide.parquet"), target="b")
    narrow = profile_parquet(_write(df, tmp_path, "narrow.parquet"), target="b")
    assert profile.columns == df.width + _profile._WIDE_COLUMNS > _profile._WIDE_COLUMNS
    by_name = {c.name: c.to_json() for c in profile.column_profiles}
    for column in narrow.column_profiles:  # the wide path gives each column the same figures
        _assert_json_close(by_name[column.name], column.to_json())


def test_quality_score_by_hand() -> None:
    # completeness 90 / 100 = 0.9; 30 of 900 cells null: 0.9 * 0.4 + (1 - 1/30) * 0.6 = 0.94
    assert quality_score(100, 90, 30, 900) == pytest.approx(0.94)
    assert quality_score(10, 10, 0, 50) == 1.0
    assert quality_score(0, 0, 0, 0) == 1.0  # both parts guarded
    assert quality_score(4, 0, 0, 0) == pytest.approx(0.6)  # nothing left: completeness 0
    for bad in [(-1, 0, 0, 0), (5, 6, 0, 10), (5, 5, 11, 10)]:
        with pytest.raises(InputError):
            quality_score(*bad)


def test_profile_quality_and_completeness_by_hand(tmp_path: Path) -> None:
    df = pl.DataFrame({"a": [1.0, NAN, 3.0, 4.0], "b": ["x", None, "", "y"]})
    profile = profile_parquet(_write(df, tmp_path), rows_before=5)
    # 2 of 8 cells missing (NaN and None; "" is a value); 4 of 5 rows kept:
    # 0.8 * 0.4 + (1 - 2/8) * 0.6 = 0.32 + 0.45 = 0.77
    assert (profile.null_cells, profile.total_cells) == (2, 8)
    assert profile.completeness == pytest.approx(0.8)
    assert profile.quality == pytest.approx(0.77)
    assert profile_parquet(tmp_path / "data.parquet").completeness == 1.0
    with pytest.raises(InputError, match="rows_after"):
        profile_parquet(tmp_path / "data.parquet", rows_before=3)


def test_empty_string_is_a_value_not_a_null(tmp_path: Path) -> None:
    df = pl.DataFrame({"s": ["", "", "a", None, "", "a", None]})
    s = _col(profile_parquet(_write(df, tmp_path)), "s")
    assert (s.nulls, s.unique) == (2, 2)
    assert s.categorical == CategoricalStats(unique=2, top=[("", 3), ("a", 2)])


def test_top_values_break_ties_by_value_and_keep_top_k(tmp_path: Path) -> None:
    df = pl.DataFrame({"s": ["d", "c", "b", "a", "b", "c", "d", "e"], "flag": [True] * 8})
    profile = profile_parquet(_write(df, tmp_path), top_k=3)
    assert _col(profile, "s").categorical == CategoricalStats(
        unique=5, top=[("b", 2), ("c", 2), ("d", 2)]
    )
    assert _col(profile, "flag").categorical == CategoricalStats(unique=1, top=[(True, 8)])
    none = profile_parquet(tmp_path / "data.parquet", top_k=0)
    assert _col(none, "s").categorical == CategoricalStats(unique=5, top=[])


def test_temporal_nested_and_oddly_named_columns(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "day": [dt.date(2024, 3, 1), None, dt.date(2023, 1, 31)],
            "at": [dt.datetime(2024, 1, 1, 12, 30), dt.datetime(2024, 1, 2), None],
            "tags": [[1, 2], [1, 2], [3]],
            'we"ird name': [1, 2, 3],
        }
    )
    profile = profile_parquet(_write(df, tmp_path))
    day = _col(profile, "day")
    assert day.temporal is not None and day.numeric is None and day.categorical is None
    assert (day.temporal.min, day.temporal.max, day.nulls) == ("2023-01-31", "2024-03-01", 1)
    at = _col(profile, "at").temporal
    assert at is not None and (at.min, at.max) == ("2024-01-01T12:30:00", "2024-01-02T00:00:00")
    tags = _col(profile, "tags")
    assert tags.unique == 2 and tags.numeric is tags.categorical is tags.temporal is None
    assert _col(profile, 'we"ird name').numeric is not None


def test_memory_bytes_is_the_arrow_size_by_hand(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "i": pl.Series([1, None, 3], dtype=pl.Int64),  # 3 * 8 + 1-byte validity bitmap
            "f": [1.0, NAN, 2.0],  # NaN is no Arrow null: 3 * 8, no bitmap
            "i32": pl.Series([1, 2, 3], dtype=pl.Int32),  # 3 * 4
            "s": ["ab", "", None],  # 4 offsets * 4 + 2 bytes + bitmap 1
            "b": [True, False, True],  # 1 byte of bits
            "d": [dt.date(2024, 1, 1)] * 3,  # date32: 3 * 4
            "dec": pl.Series([Decimal("1.25"), None, Decimal("3.5")], dtype=pl.Decimal(10, 2)),
        }  # decimal128: 3 * 16 + bitmap 1
    )
    profile = profile_parquet(_write(df, tmp_path))
    assert profile.memory_bytes == (24 + 1) + 24 + 12 + (16 + 2 + 1) + 1 + 12 + (48 + 1)
    dec = _col(profile, "dec")
    assert dec.dtype == "DECIMAL(10,2)" and dec.numeric is not None
    assert (dec.numeric.min, dec.numeric.max, dec.numeric.mean) == (1.25, 3.5, 2.375)
    assert profile.file_bytes == (tmp_path / "data.parquet").stat().st_size


def test_json_round_trip_has_no_nan(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "all_nan": [NAN, NAN, NAN],
            "inf": [1.0, float("inf"), 2.0],
            "one": [5, None, None],  # std of one value: None
            "day": [dt.date(2024, 1, 1), None, None],
            "s": ["x", "y", None],
            "y": [0, 1, 1],
        }
    )
    profile = profile_parquet(_write(df, tmp_path), target="y")
    data = profile.to_json()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    columns = {c["name"]: c for c in data["column_profiles"]}
    assert columns["all_nan"]["numeric"]["mean"] is None
    assert columns["all_nan"]["nulls"] == 3
    assert columns["inf"]["numeric"]["max"] is None  # infinity is not JSON
    assert _col(profile, "inf").numeric.max == math.inf  # type: ignore[union-attr]
    assert columns["one"]["numeric"]["std"] is None and columns["one"]["numeric"]["min"] == 5
    assert columns["day"]["temporal"] == {"min": "2024-01-01", "max": "2024-01-01"}
    assert columns["s"]["categorical"]["top"] == [["x", 1], ["y", 1]]
    assert all(isinstance(w, dict) for w in data["warnings"])
    assert ProfileWarning("constant", "c", "m", 1.0).to_json()["kind"] == "constant"


def test_summary_lines(tmp_path: Path) -> None:
    df = pl.DataFrame({"num": [1.5, 2.5, None, 4.0], "txt": ["a", "b", "a", None]})
    lines = profile_parquet(_write(df, tmp_path)).summary_lines()
    assert lines[0].startswith("4 rows x 2 columns; quality ")
    assert any(line.strip().startswith("num") and "mean 2.667" in line for line in lines)
    assert any("txt" in line and "'a' (2)" in line for line in lines)
    assert lines[-1] == "no warnings"


def test_empty_table(tmp_path: Path) -> None:
    df = pl.DataFrame(schema={"x": pl.Float64, "s": pl.String, "y": pl.Int64})
    profile = profile_parquet(_write(df, tmp_path), target="y")
    assert (profile.rows, profile.null_cells, profile.total_cells) == (0, 0, 0)
    assert profile.quality == 1.0 and profile.warnings == []
    assert _col(profile, "x").numeric == NumericStats(None, None, None, None, None, None, None)
    json.dumps(profile.to_json(), allow_nan=False)


# --- warnings -------------------------------------------------------------------------------


def test_high_nulls_and_constant_warnings(tmp_path: Path) -> None:
    n = 100
    df = pl.DataFrame(
        {
            "mostly_null": [None if k < 62 else k for k in range(n)],
            "some_null": [None if k < 40 else k for k in range(n)],
            "const": ["same"] * 90 + [None] * 10,
            "empty": pl.Series([None] * n, dtype=pl.Float64),
            "two": [k % 2 for k in range(n)],
        }
    )
    profile = profile_parquet(_write(df, tmp_path))
    assert _kinds(profile, "mostly_null") == {"high_nulls"}
    warning = next(w for w in profile.warnings if w.column == "mostly_null")
    assert warning.value == pytest.approx(0.62)
    assert warning.message == (
        "Column 'mostly_null' is 62% null; consider dropping it or filling it."
    )
    assert _kinds(profile, "some_null") == set()
    assert _kinds(profile, "const") == {"constant"}
    assert _kinds(profile, "empty") == {"high_nulls", "constant"}
    assert _kinds(profile, "two") == set()
    stricter = profile_parquet(tmp_path / "data.parquet", null_warn=0.3)
    assert "high_nulls" in _kinds(stricter, "some_null")


def test_high_cardinality_only_for_text_with_many_values(tmp_path: Path) -> None:
    n = 200
    df = pl.DataFrame(
        {
            "email": [f"user{k}@example.com" for k in range(n)],
            "few_distinct": [f"c{k % 60}" for k in range(n)],  # 60 of 200: 30%
            "small": [f"v{k}" for k in range(40)] + [None] * (n - 40),  # all distinct, only 40
            "number": list(range(n)),
        }
    )
    profile = profile_parquet(_write(df, tmp_path))
    assert _kinds(profile, "email") == {"high_cardinality"}
    assert next(w for w in profile.warnings if w.column == "email").value == 1.0
    for name in ["few_distinct", "number"]:
        assert _kinds(profile, name) == set()
    assert _kinds(profile, "small") == {"high_nulls"}


def test_class_imbalance(tmp_path: Path) -> None:
    n, rng = 1000, np.random.default_rng(5)
    df = pl.DataFrame(
        {  # shuffled independently, so no column predicts another
            "rare": rng.permutation(["yes"] * 50 + ["no"] * (n - 50)),  # 5%
            "balanced": rng.permutation([0, 1] * (n // 2)),
            "float_labels": rng.permutation([1.0] * 30 + [0.0] * (n - 30)),  # integral: classes
            "amount": rng.permutation(np.arange(n) * 1.5),  # regression target
        }
    )
    path = _write(df, tmp_path)
    rare = profile_parquet(path, target="rare")
    assert [w.kind for w in rare.warnings] == ["class_imbalance"]
    assert rare.warnings[0].value == pytest.approx(0.05)
    assert "class_imbalance" not in _kinds(profile_parquet(path, target="balanced"), "balanced")
    assert _kinds(profile_parquet(path, target="float_labels"), "float_labels") == {
        "class_imbalance"
    }
    assert _kinds(profile_parquet(path, target="amount"), "amount") == set()
    assert not any(w.kind == "class_imbalance" for w in profile_parquet(path).warnings)
    assert _kinds(profile_parquet(path, target="rare", imbalance_warn=0.04), "rare") == set()


def _classification_frame(n: int = 2000, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    noisy = np.where(rng.random(n) < 0.01, 1 - y, y)  # the target with 1% noise
    return pl.DataFrame(
        {
            "id": np.arange(n),
            "user": [f"u{k:05d}" for k in range(n)],
            "leak": noisy,
            "leak_text": np.where(noisy == 1, "churned", "active"),
            "leak_float": y + rng.normal(0.0, 0.05, n),
            "random_int": rng.integers(0, 10, n),
            "random_text": rng.choice(["a", "b", "c"], n),
            "random_float": rng.normal(0.0, 1.0, n),
            "y": y,
        }
    )


def test_target_leakage_for_a_class_target(tmp_path: Path) -> None:
    df = _classification_frame()
    profile = profile_parquet(_write(df, tmp_path), target="y")
    leaks = {w.column: w for w in profile.warnings if w.kind == "target_leakage"}
    assert set(leaks) == {"leak", "leak_text", "leak_float"}
    # two big groups: the vote is the row's own value, so the score is the share that agrees
    agree = float((df["leak"] == df["y"]).mean())  # type: ignore[arg-type]
    assert leaks["leak"].value == pytest.approx(agree) and 0.98 <= agree < 1.0
    baseline = float(df["y"].value_counts()["count"].max()) / df.height  # type: ignore[arg-type]
    assert leaks["leak"].message == (
        f"Column 'leak' predicts the target 'y' with {agree:.1%} accuracy (majority class: "
        f"{baseline:.1%}); check that it is not derived from the target."
    )
    clean = profile_parquet(tmp_path / "data.parquet", target="y", leakage_warn=1.0)
    assert not any(w.kind == "target_leakage" for w in clean.warnings)
    untargeted = profile_parquet(tmp_path / "data.parquet")
    assert not any(w.kind == "target_leakage" for w in untargeted.warnings)


def test_no_leakage_when_the_majority_class_alone_scores_as_high(tmp_path: Path) -> None:
    n = 1000
    df = pl.DataFrame({"const": [1] * n, "y": ["a" if k < 990 else "b" for k in range(n)]})
    profile = profile_parquet(_write(df, tmp_path), target="y")
    assert {w.kind for w in profile.warnings} == {"constant", "class_imbalance"}


def test_target_leakage_for_a_numeric_target(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 2000
    y = rng.normal(100.0, 15.0, n)
    df = pl.DataFrame(
        {
            "id": np.arange(n),
            "double_y": 2 * y + rng.normal(0.0, 0.5, n),
            "negated": -y,
            "random": rng.normal(0.0, 1.0, n),
            "text_copy": [f"{v:.3f}" for v in y],  # text features are not checked here
            "y": y,
        }
    )
    profile = profile_parquet(_write(df, tmp_path), target="y")
    leaks = {w.column: w.value for w in profile.warnings if w.kind == "target_leakage"}
    assert set(leaks) == {"double_y", "negated"}
    assert leaks["negated"] == pytest.approx(1.0)


# --- errors ---------------------------------------------------------------------------------


def test_errors_a_person_can_act_on(tmp_path: Path) -> None:
    path = _write(pl.DataFrame({"a": [1], "b": ["x"]}), tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        profile_parquet(tmp_path / "missing.parquet")
    with pytest.raises(InputError, match=r"The 'target' column 'price' .* Columns: a, b\."):
        profile_parquet(path, target="price")
    with pytest.raises(ConfigError, match="null_warn"):
        profile_parquet(path, null_warn=1.5)
    with pytest.raises(ConfigError, match="top_k"):
        profile_parquet(path, top_k=-1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="Cannot profile"):
        profile_parquet(tmp_path / "empty")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="Cannot profile"):
        profile_parquet(tmp_path / "bad.parquet")
