"""ETL cleaning functions: names, duplicates, fill values and the canonical row order."""

from __future__ import annotations

import math
import re
import statistics
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fas_ray.etl import (
    HASH_COLUMN,
    add_row_hash,
    canonical_order,
    clean_table,
    compute_fill_values,
    dedup_rows,
    fill_missing,
    normalize_column_names,
    normalize_name,
    numeric_fill,
)

pytestmark = pytest.mark.filterwarnings("error")

FAST = settings(max_examples=50, deadline=None, derandomize=True, database=None)
SNAKE_ASCII = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

names_lists = st.lists(st.text(max_size=12), max_size=8)
rows_strategy = st.lists(
    st.tuples(
        st.none() | st.integers(-3, 3),
        st.none() | st.sampled_from(["a", "b", "c"]),
    ),
    max_size=30,
)
ROW_SCHEMA = {"a": pl.Int64, "b": pl.String}


def _frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row")


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mean Radius (mm)", "mean_radius_mm"),
        ("meanRadius", "mean_radius"),
        ("  Café Crème ", "cafe_creme"),
        ("数量", "shu_liang"),
        ("Größe ø", "grosse_o"),
        ("Температура, °C", "temperatura_deg_c"),
        ("2nd place", "c_2nd_place"),
        ("%%%", "column"),
        ("", "column"),
        ("already_snake", "already_snake"),
    ],
)
def test_normalize_name_examples(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@FAST
@given(st.text(max_size=20))
def test_normalize_name_is_ascii_snake_case_and_idempotent(raw: str) -> None:
    name = normalize_name(raw)
    assert SNAKE_ASCII.match(name), name
    assert normalize_name(name) == name


@FAST
@given(names_lists)
def test_normalize_column_names_unique_snake_and_idempotent(names: list[str]) -> None:
    out = normalize_column_names(names)
    assert len(out) == len(names)
    assert len(set(out)) == len(out)
    assert all(SNAKE_ASCII.match(n) for n in out), out
    assert normalize_column_names(out) == out


def test_normalize_column_names_suffixes_clashes_in_order() -> None:
    assert normalize_column_names(["A b", "a_b", "a-b", "a_b_2"]) == [
        "a_b",
        "a_b_2",
        "a_b_3",
        "a_b_2_2",
    ]


# -- duplicates ---------------------------------------------------------------------------------


@FAST
@given(rows_strategy)
def test_dedup_rows_keeps_first_of_each_distinct_row(rows: list[tuple[Any, ...]]) -> None:
    out = dedup_rows(_frame(rows)).rows()
    assert len(set(out)) == len(out), "two equal rows remain"
    assert set(out) == set(rows), "an original row is not represented"
    assert out == list(dict.fromkeys(rows)), "first occurrences, in input order"


def test_dedup_rows_treats_nan_rows_as_equal() -> None:
    df = pl.DataFrame({"x": [float("nan"), float("nan"), 1.0], "y": ["a", "a", "a"]})
    assert dedup_rows(df).height == 2


def test_add_row_hash_is_a_function_of_the_row_values() -> None:
    df = pl.DataFrame({"a": [1, 2, 1], "b": ["x", "y", "x"]})
    hashes = add_row_hash(df)[HASH_COLUMN].to_list()
    assert hashes[0] == hashes[2]
    assert hashes[0] != hashes[1]
    assert add_row_hash(df[::-1])[HASH_COLUMN].to_list() == hashes[::-1]


# -- fill values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("median", "is_integer", "expected"),
    [
        (None, False, None),
        (float("nan"), True, None),
        (2.5, False, 2.5),
        (2.5, True, 2),  # half to even, like DuckDB's path through the same function
        (3.5, True, 4),
        (-2.5, True, -2),
        (7.0, True, 7),
    ],
)
def test_numeric_fill(median: float | None, is_integer: bool, expected: Any) -> None:
    value = numeric_fill(median, is_integer=is_integer)
    assert value == expected
    if expected is not None:
        assert type(value) is (int if is_integer else float)


def test_compute_fill_values_examples() -> None:
    df = pl.DataFrame(
        {
            "f": [1.0, float("nan"), None, 3.0, 2.0, 10.0],
            "i": [1, 2, None, 3, 4, None],  # median 2.5 → 2
            "j": [1, 2, 3, 4, 5, None],  # median 3
            "s": ["b", "a", None, "a", "b", "c"],  # a/b tie → a
            "b": [True, None, False, True, False, None],  # tie → False
            "full": [1, 2, 3, 4, 5, 6],
            "empty": pl.Series([None] * 6, dtype=pl.Float64),
            "target": [0, None, 1, 0, 1, 0],
        }
    )
    assert compute_fill_values(df, exclude=["target"]) == {
        "f": 2.5,
        "i": 2,
        "j": 3,
        "s": "a",
        "b": False,
        "empty": None,
    }


def test_fill_values_ignore_the_hash_column() -> None:
    df = add_row_hash(pl.DataFrame({"a": [1, None, 3]}))
    assert set(compute_fill_values(df)) == {"a"}


fill_rows = st.lists(
    st.tuples(
        st.none() | st.integers(-1000, 1000),
        st.none() | st.just(float("nan")) | st.floats(-1e6, 1e6, allow_nan=False),
        st.none() | st.sampled_from(["a", "b", "c", "d"]),
    ),
    min_size=1,
    max_size=30,
)


def _present(values: list[Any]) -> list[Any]:
    return [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


@FAST
@given(fill_rows)
def test_fill_missing_leaves_no_missing_cells(rows: list[tuple[Any, ...]]) -> None:
    df = pl.DataFrame(rows, schema={"i": pl.Int64, "f": pl.Float64, "s": pl.String}, orient="row")
    fills = compute_fill_values(df)
    out = fill_missing(df, fills)
    assert out.schema == df.schema
    for name in df.columns:
        before, after = df[name].to_list(), out[name].to_list()
        present = _present(before)
        if not present:
            assert fills.get(name) is None
            continue
        if len(present) == len(before):
            assert name not in fills
        else:
            assert name in fills
        assert _present(after) == after, f"missing cells left in {name}"
        for old, new in zip(before, after, strict=True):
            if _present([old]):
                assert new == old, "a present value changed"
            else:
                assert new == fills[name]
        if name not in fills:
            continue
        if name == "i":
            assert fills[name] == round(statistics.median(present))
        elif name == "f":
            assert math.isclose(
                fills[name], statistics.median(present), rel_tol=1e-12, abs_tol=1e-9
            )
        else:
            counts = {v: present.count(v) for v in present}
            top = max(counts.values())
            assert fills[name] == min(v for v, n in counts.items() if n == top)


def test_fill_missing_skips_none_values_and_unknown_columns() -> None:
    df = pl.DataFrame({"a": [1, None], "b": [None, "x"]})
    out = fill_missing(df, {"a": None, "b": "y", "zzz": 1})
    assert out["a"].to_list() == [1, None]
    assert out["b"].to_list() == ["y", "x"]


# -- canonical order ----------------------------------------------------------------------------


@FAST
@given(rows_strategy, st.data())
def test_canonical_order_does_not_depend_on_input_order(
    rows: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    df = _frame(rows)
    perm = data.draw(st.permutations(range(len(rows))))
    shuffled = df[list(perm)] if rows else df
    a, b = canonical_order(df), canonical_order(shuffled)
    assert a.equals(b)
    assert sorted(a.rows(), key=repr) == sorted(rows, key=repr)


def test_canonical_order_of_an_empty_frame() -> None:
    assert canonical_order(pl.DataFrame()).shape == (0, 0)


# -- clean_table --------------------------------------------------------------------------------


def test_clean_table_summary_counts() -> None:
    raw = pl.DataFrame(
        {
            "Mean Radius": [1.0, 1.0, None, 4.0, float("nan"), 2.0],
            "Colour Name": ["red", "red", "blue", None, "blue", "red"],
            "Empty": pl.Series([None] * 6, dtype=pl.Float64),
            "Target": [0, 0, 1, None, 0, 1],
        }
    )
    out, summary = clean_table(raw, exclude=["target"])

    assert summary.rows_in == 6
    assert summary.duplicates_removed == 1
    assert summary.rows_out == out.height == 5
    assert summary.renamed == {
        "Mean Radius": "mean_radius",
        "Colour Name": "colour_name",
        "Empty": "empty",
        "Target": "target",
    }
    # the fill values come from the de-duplicated rows: radius 1, 4, 2 → 2; red/blue tie → blue
    assert summary.fill_values == {"mean_radius": 2.0, "colour_name": "blue", "empty": None}
    assert summary.filled == {"mean_radius": 2, "colour_name": 1}

    assert out.columns == ["mean_radius", "colour_name", "empty", "target"]
    assert out["mean_radius"].null_count() == 0 and not out["mean_radius"].is_nan().any()
    assert out["colour_name"].null_count() == 0
    assert out["target"].null_count() == 1, "the excluded target is not filled"
    assert sorted(out.select("mean_radius", "colour_name", "target").rows(), key=repr) == sorted(
        [(1.0, "red", 0), (2.0, "blue", 1), (4.0, "blue", None), (2.0, "blue", 0), (2.0, "red", 1)],
        key=repr,
    )


def test_clean_table_output_order_is_canonical() -> None:
    raw = pl.DataFrame({"A": [3, 1, 2, 1, None], "B": ["x", "y", "z", "y", "x"]})
    out1, _ = clean_table(raw)
    out2, _ = clean_table(raw.reverse())
    assert out1.equals(out2)
