"""Type inference and the conversions it drives."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fas_ray.config import EtlOptions
from fas_ray.etl import (
    apply_types,
    clean_table,
    infer_column,
    infer_schema,
    parse_numeric_text,
    standardise_text,
)
from fas_ray.exceptions import ConfigError

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None)


def test_numeric_text_forms() -> None:
    col = pl.Series("x", ["1,234.5", "$12", "45%", "(3)", " 7 ", "abc", None, "1e3"])
    assert parse_numeric_text(col).to_list() == [1234.5, 12.0, 0.45, -3.0, 7.0, None, None, 1000.0]


@SETTINGS
@given(st.lists(st.integers(-(10**9), 10**9), min_size=25, max_size=60, unique=True))
def test_integers_round_trip_through_text(values: list[int]) -> None:
    text = pl.Series("n", [f"{v:,}" for v in values])
    ctype = infer_column(text)
    assert ctype.semantic == "integer"
    assert apply_types(pl.DataFrame([text]), {"n": ctype})["n"].to_list() == values


@SETTINGS
@given(
    st.lists(
        st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 2)),
        min_size=5,
        max_size=60,
    ).filter(lambda vs: any(v % 1 for v in vs) and len(set(vs)) > 1)
)
def test_floats_round_trip_through_text(values: list[float]) -> None:
    text = pl.Series("f", [f"{v:.2f}" for v in values])
    ctype = infer_column(text)
    assert ctype.semantic == "float"
    out = apply_types(pl.DataFrame([text]), {"f": ctype})["f"].to_list()
    assert out == pytest.approx(values)


@SETTINGS
@given(
    st.lists(st.dates(dt.date(1950, 1, 1), dt.date(2050, 12, 31)), min_size=5, max_size=40).filter(
        lambda ds: len(set(ds)) > 1
    ),
    st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y"]),
)
def test_dates_round_trip_through_text(days: list[dt.date], fmt: str) -> None:
    text = pl.Series("d", [d.strftime(fmt) for d in days])
    ctype = infer_column(text)
    assert ctype.semantic == "datetime"
    out = apply_types(pl.DataFrame([text]), {"d": ctype})["d"].dt.date().to_list()
    assert out == days


@pytest.mark.parametrize(
    ("values", "semantic"),
    [
        (["yes", "no", "Yes", "NO"] * 10, "boolean"),
        (["true", "false"] * 10, "boolean"),
        ([0, 1, 1, 0] * 10, "boolean"),
        (["red", "green", "blue"] * 20, "categorical"),
        ([f"user-{i:05d}" for i in range(100)], "identifier"),
        (list(range(100)), "identifier"),
        ([f"this review number {i} says the product was fine overall" for i in range(50)], "text"),
        (["same"] * 30, "constant"),
        ([None] * 30, "empty"),
        ([1.5, 2.25, 3.0] * 10, "float"),
        ([3, 14, 15, 92, 65] * 10, "integer"),
        ([dt.date(2024, 1, i) for i in range(1, 29)], "datetime"),
    ],
)
def test_semantic_types(values: list[object], semantic: str) -> None:
    assert infer_column(pl.Series("c", values)).semantic == semantic


def test_identifiers_and_constants_are_not_features() -> None:
    schema = infer_schema(pl.DataFrame({"id": list(range(50)), "k": [1] * 50, "x": [1, 2] * 25}))
    assert [c.is_feature for c in schema.values()] == [False, False, True]


def test_boolean_text_converts_and_unknown_becomes_null() -> None:
    col = pl.Series("b", ["yes", "no", "maybe", None])
    ctype = infer_column(pl.Series("b", ["yes", "no"] * 10))
    assert apply_types(pl.DataFrame([col]), {"b": ctype})["b"].to_list() == [
        True,
        False,
        None,
        None,
    ]


def test_standardise_text_strips_lowercases_and_nulls_empty_strings() -> None:
    df = pl.DataFrame({"s": ["  A ", "", "b", None], "n": [1, 2, 3, 4]})
    assert standardise_text(df)["s"].to_list() == ["A", None, "b", None]
    assert standardise_text(df, lowercase=True)["s"].to_list() == ["a", None, "b", None]


def test_clean_table_converts_types_and_keeps_the_target_as_is() -> None:
    raw = pl.DataFrame(
        {
            "Price": ["$1,000", "$2,500", "$3,000", None, "$1,000"],
            "Member": ["yes", "no", "yes", "no", "yes"],
            "label": ["1", "2", "3", "1", "1"],
        }
    )
    out, summary = clean_table(raw, exclude=["label"])
    assert out.schema == pl.Schema({"price": pl.Int64, "member": pl.Boolean, "label": pl.String})
    assert summary.schema["label"]["semantic"] == "integer"
    assert summary.fill_values == {"price": 2500}  # median of 1000, 2500, 3000 after dedup
    assert summary.duplicates_removed == 1


def test_missing_strategies() -> None:
    raw = pl.DataFrame({"x": [1.0, None, 3.0, 10.0], "c": ["a", None, "b", "b"], "y": [0, 1, 0, 1]})
    out, s = clean_table(
        raw, ["y"], EtlOptions(missing="fill_mean", missing_per_column={"c": "drop"})
    )
    assert s.missing_rows_dropped == 1 and out.height == 3
    assert s.strategies == {"x": "fill_mean", "c": "drop"}
    out, s = clean_table(raw, ["y"], EtlOptions(missing="keep"))
    assert out["x"].null_count() == 1 and s.fill_values == {}
    out, s = clean_table(
        raw, ["y"], EtlOptions(missing_per_column={"x": "fill_mode", "c": "fill_mode"})
    )
    assert s.fill_values == {"x": 1.0, "c": "b"}


def test_mean_on_text_column_is_a_config_error() -> None:
    raw = pl.DataFrame({"c": ["a", None, "b"], "y": [0, 1, 0]})
    with pytest.raises(ConfigError, match="needs a numeric column, but 'c'"):
        clean_table(raw, ["y"], EtlOptions(missing="fill_mean", infer_types=False))
