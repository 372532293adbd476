"""Task detection from the target column."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from fas_ray.exceptions import InputError
from fas_ray.ml import detect_task
from fas_ray.ml._task import MAX_CLASSES_FOR_INTEGER_TARGET

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize(
    ("values", "dtype", "subtype", "classes"),
    [
        pytest.param([0, 1, 1, 0, None], pl.Int64, "binary", [0, 1], id="binary-ints"),
        pytest.param(
            ["cat", "dog", "bird", "dog", None],
            pl.String,
            "multiclass",
            ["bird", "cat", "dog"],
            id="multiclass-strings",
        ),
        pytest.param([True, False, True], pl.Boolean, "binary", [False, True], id="booleans"),
        pytest.param(
            [1.0, 2.0, 3.0, 2.0, float("nan")],
            pl.Float64,
            "multiclass",
            [1.0, 2.0, 3.0],
            id="integer-valued-floats",
        ),
        pytest.param(
            [float(v % MAX_CLASSES_FOR_INTEGER_TARGET) for v in range(60)],
            pl.Float64,
            "multiclass",
            [float(v) for v in range(MAX_CLASSES_FOR_INTEGER_TARGET)],
            id="integer-valued-floats-at-the-limit",
        ),
        pytest.param(
            list(range(MAX_CLASSES_FOR_INTEGER_TARGET)),
            pl.Int32,
            "multiclass",
            list(range(MAX_CLASSES_FOR_INTEGER_TARGET)),
            id="twenty-ints",
        ),
    ],
)
def test_classification(
    values: list[Any], dtype: pl.DataType, subtype: str, classes: list[Any]
) -> None:
    task = detect_task(pl.Series("y", values, dtype=dtype), "y")
    assert task.kind == "classification" and task.is_classification
    assert task.subtype == subtype
    assert task.classes == classes
    assert task.target == "y"
    assert task.reason


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        pytest.param([0.5, 1.25, 3.0, 2.0], pl.Float64, id="floats"),
        pytest.param(list(range(MAX_CLASSES_FOR_INTEGER_TARGET + 1)), pl.Int64, id="21-ints"),
        pytest.param(
            [float(v) for v in range(MAX_CLASSES_FOR_INTEGER_TARGET + 1)],
            pl.Float64,
            id="21-integer-valued-floats",
        ),
    ],
)
def test_regression(values: list[Any], dtype: pl.DataType) -> None:
    task = detect_task(pl.Series("price", values, dtype=dtype), "price")
    assert (task.kind, task.subtype, task.classes) == ("regression", "regression", [])
    assert not task.is_classification


@pytest.mark.parametrize(
    ("values", "dtype", "needle"),
    [
        pytest.param([3, 3, None, 3], pl.Int64, "single value (3)", id="single-int"),
        pytest.param(["a", "a"], pl.String, "single value ('a')", id="single-string"),
        pytest.param([None, None], pl.Float64, "no values", id="all-null-float"),
        pytest.param([float("nan"), None], pl.Float64, "no values", id="all-nan"),
        pytest.param([None, None], pl.Null, "no values", id="null-dtype"),
    ],
)
def test_unusable_targets_raise_input_error_naming_the_column(
    values: list[Any], dtype: pl.DataType, needle: str
) -> None:
    with pytest.raises(InputError) as info:
        detect_task(pl.Series("label", values, dtype=dtype), "Label Column")
    message = str(info.value)
    assert "'Label Column'" in message
    assert needle in message
    assert "\n" not in message


def test_to_json_is_plain_data() -> None:
    task = detect_task(pl.Series([True, False]), "flag")
    assert task.to_json() == {
        "kind": "classification",
        "subtype": "binary",
        "target": "flag",
        "classes": [False, True],
        "reason": task.reason,
    }
