"""Task detection from the target column, and from a whole frame (family, target, notes)."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import polars as pl
import pytest

from fas_ray.exceptions import ConfigError, InputError
from fas_ray.ml import TaskInfo, detect_task, detect_task_from_frame
from fas_ray.ml._task import MAX_CLASSES_FOR_INTEGER_TARGET, MAX_CLASSES_FOR_OVERRIDE

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
        pytest.param(
            [f"c{i}" for i in range(30)], pl.String, "each in a single row", id="one-row-per-class"
        ),
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
        "family": "tabular",
        "ambiguous": False,
        "imbalanced": False,
        "notes": [],
    }


def test_old_pickles_get_the_new_fields_defaults() -> None:
    task = TaskInfo("classification", "binary", "y", [0, 1], "r")
    state = {k: v for k, v in vars(task).items() if k in ("kind", "subtype", "target", "classes")}
    old = TaskInfo.__new__(TaskInfo)
    old.__setstate__(dict(state, reason="r"))
    assert old == task
    assert pickle.loads(pickle.dumps(task)) == task


# -- ambiguity, imbalance and overrides -----------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "low", "high"),
    [
        pytest.param([1, 2, 3, 4, 5] * 4, 1, 5, id="stars-1-5"),
        pytest.param([0, 1, 2] * 5, 0, 2, id="0-2"),
        pytest.param([float(v) for v in range(1, 11)] * 2, 1, 10, id="float-1-10"),
    ],
)
def test_integer_ratings_are_classification_but_ambiguous(
    values: list[Any], low: int, high: int
) -> None:
    task = detect_task(pl.Series("stars", values), "stars")
    assert task.kind == "classification" and task.ambiguous
    assert any(f"integer target {low}–{high} could also be regression" in n for n in task.notes)
    assert any("--task regression" in n for n in task.notes)


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([0, 1, 0, 1], id="binary"),
        pytest.param([2, 5, 9] * 3, id="not-contiguous"),
        pytest.param([3, 4, 5] * 3, id="not-from-0-or-1"),
        pytest.param(list(range(1, 12)) * 2, id="eleven-values"),
        pytest.param(["1", "2", "3"] * 3, id="strings"),
    ],
)
def test_other_targets_are_not_ambiguous(values: list[Any]) -> None:
    assert not detect_task(pl.Series("y", values), "y").ambiguous


def test_imbalance_is_flagged_with_a_note() -> None:
    task = detect_task(pl.Series("y", [0] * 90 + [1] * 10), "y")
    assert task.imbalanced
    assert any("imbalanced" in n for n in task.notes)
    assert not detect_task(pl.Series("y", [0] * 60 + [1] * 40), "y").imbalanced


def test_override_to_regression() -> None:
    task = detect_task(pl.Series("stars", [1, 2, 3, 4, 5] * 4), "stars", task_override="regression")
    assert (task.kind, task.subtype, task.classes) == ("regression", "regression", [])
    assert "forced" in task.reason and not task.ambiguous


def test_override_to_classification() -> None:
    values = [float(v) for v in range(MAX_CLASSES_FOR_INTEGER_TARGET + 5)]
    task = detect_task(pl.Series("y", values), "y", task_override="classification")
    assert task.kind == "classification" and task.subtype == "multiclass"
    assert task.classes == values


@pytest.mark.parametrize(
    ("values", "override", "needle"),
    [
        pytest.param(["a", "b", "a"], "regression", "numeric target", id="regression-on-text"),
        pytest.param([True, False], "regression", "numeric target", id="regression-on-bool"),
        pytest.param(
            [v / 7 for v in range(MAX_CLASSES_FOR_OVERRIDE + 1)],
            "classification",
            "too many classes",
            id="classification-on-continuous",
        ),
        pytest.param([0, 1], "clustering", "Unknown task override", id="unknown"),
    ],
)
def test_impossible_overrides_raise_config_error(
    values: list[Any], override: Any, needle: str
) -> None:
    with pytest.raises(ConfigError, match=needle):
        detect_task(pl.Series("t", values), "t", task_override=override)


# -- whole frames ---------------------------------------------------------------------------------

N = 40


def _numbers(seed: int = 0) -> list[float]:
    return [((i * 7919 + seed * 104729) % 1000) / 10 for i in range(N)]


def _sentences() -> list[str]:
    return [f"review number {i} says the product was fine overall" for i in range(N)]


def _frame(**columns: Any) -> pl.DataFrame:
    return pl.DataFrame(columns)


@pytest.mark.parametrize(
    ("frame", "family"),
    [
        pytest.param(
            _frame(text=_sentences(), x=_numbers(), label=[i % 2 for i in range(N)]),
            "nlp",
            id="nlp-half-text",
        ),
        pytest.param(
            _frame(
                path=[f"imgs/{i}.JPG" for i in range(N)],
                x=_numbers(),
                label=[i % 2 for i in range(N)],
            ),
            "vision",
            id="vision-paths",
        ),
        pytest.param(
            _frame(
                image=pl.Series([b"\x89PNG" + bytes([i]) for i in range(N)], dtype=pl.Binary),
                label=[i % 3 for i in range(N)],
            ),
            "vision",
            id="vision-binary",
        ),
        pytest.param(
            _frame(
                day=[dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(N)],
                a=_numbers(1),
                b=_numbers(2),
                c=_numbers(3),
                sales=_numbers(4),
            ),
            "time_series",
            id="time-series-25pct",
        ),
        pytest.param(
            _frame(
                day=[dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(N)],
                a=_numbers(1),
                b=_numbers(2),
                c=_numbers(3),
                d=_numbers(5),
                e=_numbers(6),
                sales=_numbers(4),
            ),
            "tabular",
            id="tabular-17pct-dates",
        ),
        pytest.param(
            _frame(
                text=_sentences(),
                a=_numbers(1),
                b=_numbers(2),
                c=_numbers(3),
                label=[i % 2 for i in range(N)],
            ),
            "tabular",
            id="tabular-25pct-text",
        ),
    ],
)
def test_family(frame: pl.DataFrame, family: str) -> None:
    task = detect_task_from_frame(frame)
    assert task.family == family
    assert task.notes


def test_column_types_from_the_etl_take_precedence() -> None:
    df = _frame(note=["a b"] * N, x=_numbers(), y=_numbers(1))
    assert detect_task_from_frame(df).family == "tabular"
    task = detect_task_from_frame(df, column_types={"note": "text", "x": "float"})
    assert task.family == "nlp"
    dates = detect_task_from_frame(df, column_types={"note": "datetime"})
    assert dates.family == "time_series"


def test_identifiers_and_constants_are_not_counted_as_features() -> None:
    df = _frame(
        id=[f"row-{i}" for i in range(N)],
        const=["k"] * N,
        text=_sentences(),
        a=_numbers(1),
        b=_numbers(2),
        c=_numbers(3),
        label=[i % 2 for i in range(N)],
    )
    task = detect_task_from_frame(df)  # text is 1 of 4 features, not 1 of 6
    assert task.family == "tabular"
    assert any("'id', 'const'" in n and "identifiers" in n for n in task.notes)


@pytest.mark.parametrize(
    ("frame", "kind", "subtype"),
    [
        pytest.param(_frame(x=_numbers(), y=[i % 2 for i in range(N)]), "classification", "binary"),
        pytest.param(
            _frame(x=_numbers(), y=["a", "b", "c", "d"] * (N // 4)), "classification", "multiclass"
        ),
        pytest.param(_frame(x=_numbers(), y=_numbers(9)), "regression", "regression"),
    ],
    ids=["binary", "multiclass", "regression"],
)
def test_frame_target_kinds(frame: pl.DataFrame, kind: str, subtype: str) -> None:
    task = detect_task_from_frame(frame, "y")
    assert (task.kind, task.subtype, task.target) == (kind, subtype, "y")
    assert not any(n.startswith("no target given") for n in task.notes)


def test_frame_ratings_are_ambiguous() -> None:
    task = detect_task_from_frame(_frame(x=_numbers(), rating=[1, 2, 3, 4, 5] * (N // 5)))
    assert task.target == "rating" and task.ambiguous
    assert any("1–5 could also be regression" in n for n in task.notes)
    forced = detect_task_from_frame(
        _frame(x=_numbers(), rating=[1, 2, 3, 4, 5] * (N // 5)), task_override="regression"
    )
    assert forced.kind == "regression" and not forced.ambiguous


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        pytest.param(["a", "Y", "Outcome", "CLASS", "Label", "target", "z"], "target", id="target"),
        pytest.param(["a", "Y", "Outcome", "CLASS", "Label", "z"], "Label", id="label"),
        pytest.param(["a", "Y", "Outcome", "CLASS", "z"], "CLASS", id="class"),
        pytest.param(["a", "Y", "Outcome", "z"], "Outcome", id="outcome"),
        pytest.param(["a", "Y", "z"], "Y", id="y"),
        pytest.param(["a", "b", "z"], "z", id="last-column"),
    ],
)
def test_target_fallback_order(columns: list[str], expected: str) -> None:
    df = pl.DataFrame({c: [i % 2 for i in range(N)] for c in columns})
    task = detect_task_from_frame(df)
    assert task.target == expected
    assert task.notes[0] == f"no target given; using '{expected}'"
    assert detect_task_from_frame(df, "").target == expected


def test_unknown_target_names_the_columns() -> None:
    with pytest.raises(InputError, match=r"'price' is not in the data\. Columns: a, b\."):
        detect_task_from_frame(_frame(a=[1, 2], b=[0, 1]), "price")


def test_clustering_when_unsupervised_without_target() -> None:
    df = _frame(a=_numbers(1), b=_numbers(2), label=[i % 2 for i in range(N)])
    task = detect_task_from_frame(df, None, unsupervised=True)
    assert (task.kind, task.subtype, task.target, task.family) == (
        "clustering",
        "clustering",
        "",
        "tabular",
    )
    assert task.to_json()["kind"] == "clustering"
    supervised = detect_task_from_frame(df, "label", unsupervised=True)
    assert supervised.kind == "classification", "a named target wins over unsupervised"
    with pytest.raises(ConfigError, match="needs a target"):
        detect_task_from_frame(df, "", unsupervised=True, task_override="regression")


def test_frame_override_errors_and_data_notes() -> None:
    half = [None] * (N // 2 + 1) + [float(i) for i in range(N // 2 - 1)]
    df = _frame(x=_numbers(), half=half, y=["a", "b"] * (N // 2))
    with pytest.raises(ConfigError, match="numeric target"):
        detect_task_from_frame(df, "y", task_override="regression")
    notes = detect_task_from_frame(df, "y").notes
    assert any("'half'" in n and "half empty" in n for n in notes)
    assert any(f"only {N} rows" in n for n in notes)
    missing = detect_task_from_frame(_frame(x=_numbers(), y=[None, *(_numbers(1)[1:])]), "y")
    assert any(n.startswith("1 rows have no target") for n in missing.notes)
