"""FeatureBuilder: fitted on training rows, the same transform at prediction time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from fas_ray.exceptions import InputError
from fas_ray.features import FeatureBuilder, to_polars

N = 30


@pytest.fixture
def train() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Mean Radius": [None, *[float(i) for i in range(1, N)]],  # median of 1..29 = 15
            "Colour": [None, *(["red", "blue", "green"] * 10)[1:]],
            "Row ID": [f"id-{i}" for i in range(N)],
            "Constant": [7] * N,
            "Seen At": [dt.datetime(2024, 1, 1, 3) + dt.timedelta(days=i) for i in range(N)],
            "Is Member": [True, False] * (N // 2),
            "Target": [0, 1] * (N // 2),
        }
    )


@pytest.fixture
def builder(train: pl.DataFrame) -> FeatureBuilder:
    return FeatureBuilder(target="target").fit(train)


def test_fit_records_kinds_drops_and_feature_names(builder: FeatureBuilder) -> None:
    assert builder.input_columns == ["mean_radius", "colour", "seen_at", "is_member"]
    assert {s.name: s.kind for s in builder.columns} == {
        "mean_radius": "numeric",
        "colour": "categorical",
        "seen_at": "datetime",
        "is_member": "boolean",
    }
    assert builder.dropped == {"row_id": "identifier (unique per row)", "constant": "constant"}
    assert builder.feature_names == [
        "mean_radius",
        "colour",
        "seen_at__year",
        "seen_at__month",
        "seen_at__day",
        "seen_at__dayofweek",
        "seen_at__hour",
        "is_member",
    ]
    assert "target" not in builder.feature_names


def test_fill_values_come_from_the_training_rows(builder: FeatureBuilder) -> None:
    spec = {s.name: s for s in builder.columns}
    assert spec["mean_radius"].fill == 15.0
    assert spec["colour"].fill == "blue"  # blue, green, red: 10, 10, 9 → tie → blue
    # prediction rows with a very different distribution still get the training fill
    X = builder.transform(
        pl.DataFrame(
            {
                "Mean Radius": [None, 1000.0, 2000.0],
                "Colour": [None, "red", "red"],
                "Seen At": [dt.datetime(2030, 1, 1)] * 3,
                "Is Member": [True] * 3,
            }
        )
    )
    assert X[0, 0] == 15.0
    assert X[0, 1] == builder.columns[1].categories.index("blue")


def test_transform_accepts_original_or_normalised_names(
    builder: FeatureBuilder, train: pl.DataFrame
) -> None:
    original = builder.transform(train)
    renamed = train.rename({c: c.lower().replace(" ", "_") for c in train.columns})
    assert renamed.columns != train.columns
    np.testing.assert_array_equal(builder.transform(renamed), original)
    assert original.shape == (N, len(builder.feature_names))
    assert original.dtype == np.float64


def test_unknown_category_becomes_minus_one(builder: FeatureBuilder) -> None:
    X = builder.transform(
        [
            {
                "mean_radius": 1.0,
                "colour": "purple",
                "seen_at": dt.datetime(2024, 1, 1),
                "is_member": True,
            }
        ]
    )
    assert X[0, builder.feature_names.index("colour")] == -1.0


def test_missing_required_column_is_named(builder: FeatureBuilder, train: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="colour") as info:
        builder.transform(train.drop("Colour"))
    assert "\n" not in str(info.value)


def test_unreadable_value_names_the_column(builder: FeatureBuilder, train: pl.DataFrame) -> None:
    bad = train.with_columns(pl.lit("not a number").alias("Mean Radius"))
    with pytest.raises(InputError, match="'mean_radius' cannot be read as numeric"):
        builder.transform(bad)


def test_datetime_column_becomes_five_parts(builder: FeatureBuilder) -> None:
    when = dt.datetime(2025, 3, 4, 5, 6)  # a Tuesday
    row = {"mean_radius": 1.0, "colour": "red", "seen_at": when, "is_member": False}
    X = builder.transform([row])
    parts = X[0, 2:7]
    assert parts.tolist() == [2025.0, 3.0, 4.0, float(when.isoweekday()), 5.0]
    # the same instant sent as text (as JSON callers do) gives the same parts
    np.testing.assert_array_equal(builder.transform([{**row, "seen_at": when.isoformat()}]), X)


def test_date_column_becomes_five_parts() -> None:
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(10)]
    train = pl.DataFrame({"day": days, "x": list(range(10)), "y": [0, 1] * 5})
    builder = FeatureBuilder(target="y").fit(train)
    X = builder.transform(train)
    assert X.shape == (10, 6)
    assert X[0, :4].tolist() == [2024.0, 1.0, 1.0, 1.0]  # 2024-01-01 is a Monday


def test_identifier_needs_more_than_twenty_rows() -> None:
    small = pl.DataFrame({"code": [f"c{i}" for i in range(20)], "y": [0, 1] * 10})
    builder = FeatureBuilder(target="y").fit(small)
    assert builder.input_columns == ["code"]
    assert builder.dropped == {}


def test_no_usable_columns_raises() -> None:
    df = pl.DataFrame({"same": [1, 1, 1], "y": [0, 1, 0]})
    with pytest.raises(InputError, match="No usable feature columns") as info:
        FeatureBuilder(target="y").fit(df)
    assert "same" in str(info.value)


def test_fit_forgets_a_previous_fit(train: pl.DataFrame) -> None:
    builder = FeatureBuilder(target="target").fit(train)
    builder.fit(pl.DataFrame({"other": [1.0, 2.0, 3.0], "target": [0, 1, 0]}))
    assert builder.input_columns == ["other"]
    assert builder.dropped == {}


# -- input types (a fixture over frame libraries, like skrub's df_module) ----------------------

ROWS = {"a": [1.5, None, 3.0, 4.0], "b": ["x", "y", None, "x"], "c": [True, False, True, True]}

FRAME_MAKERS: dict[str, Callable[[dict[str, list[Any]]], Any]] = {
    "polars": pl.DataFrame,
    "pandas": pd.DataFrame,
    "arrow": pa.table,
    "records": lambda cols: [
        dict(zip(cols, vals, strict=True)) for vals in zip(*cols.values(), strict=True)
    ],
    "dict": dict,
}


@pytest.fixture(params=sorted(FRAME_MAKERS))
def make_frame(request: pytest.FixtureRequest) -> Callable[[dict[str, list[Any]]], Any]:
    return FRAME_MAKERS[request.param]


def test_to_polars_accepts_every_input_type(make_frame: Callable[..., Any]) -> None:
    df = to_polars(make_frame(ROWS))
    assert isinstance(df, pl.DataFrame)
    assert df.columns == ["a", "b", "c"]
    assert df["a"].to_list() == ROWS["a"]
    assert df["b"].to_list() == ROWS["b"]
    assert df["c"].to_list() == ROWS["c"]


def test_transform_is_the_same_for_every_input_type(make_frame: Callable[..., Any]) -> None:
    train = pl.DataFrame({**ROWS, "y": [0, 1, 0, 1]})
    builder = FeatureBuilder(target="y").fit(train)
    expected = builder.transform(pl.DataFrame(ROWS))
    np.testing.assert_array_equal(builder.transform(make_frame(ROWS)), expected)


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        (np.zeros((2, 2)), "Unsupported input type ndarray"),
        ("a,b\n1,2", "Unsupported input type str"),
        (42, "Unsupported input type int"),
        ([], "No rows given"),
        ([{"a": 1}, [1]], "Rows must be objects"),
    ],
)
def test_to_polars_rejects_other_types(bad: Any, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as info:
        to_polars(bad)
    assert "\n" not in str(info.value)


# -- free text: TF-IDF features ----------------------------------------------------------------


def _reviews(n: int = 40) -> pl.DataFrame:
    """A free-text column whose words reveal the label, and a categorical one."""
    labels = [i % 2 for i in range(n)]
    text = [
        f"the {'great' if y else 'awful'} parcel {i} came on {['monday', 'friday'][i % 3 == 0]}"
        for i, y in enumerate(labels)
    ]
    return pl.DataFrame(
        {"Review": text, "Shop": ["north", "south", "east", "west"] * (n // 4), "Label": labels}
    )


def test_free_text_becomes_tfidf_columns() -> None:
    train = _reviews()
    builder = FeatureBuilder(target="label").fit(train)
    assert [(s.name, s.kind) for s in builder.columns] == [
        ("review", "text"),
        ("shop", "categorical"),
    ]
    names = builder.feature_names
    assert "review__tfidf__great" in names and "review__tfidf__awful" in names
    assert "review__tfidf__the great" in names, "bigrams too"
    assert not any(name.startswith("review__tfidf__1") for name in names), "seen in one row only"
    X = builder.transform(train)
    assert X.shape == (train.height, len(names)) and X.dtype == np.float64
    great = X[:, names.index("review__tfidf__great")]
    np.testing.assert_array_equal(great > 0, train["Label"].to_numpy() == 1)


def test_etl_text_type_makes_a_column_text() -> None:
    from fas_ray.etl import ColumnType

    notes = ["ok fine", "bad one", "ok two", "bad fine"] * 5  # too short for the text rule
    train = pl.DataFrame({"note": notes, "y": [0, 1] * 10})
    types = {"note": ColumnType("note", "text", "String", "String")}
    assert FeatureBuilder(target="y").fit(train).columns[0].kind == "categorical"
    builder = FeatureBuilder(target="y", types=types).fit(train)
    assert builder.columns[0].kind == "text"
    assert "note__tfidf__ok" in builder.feature_names


def test_tfidf_transform_of_new_rows_matches_training() -> None:
    train = _reviews()
    builder = FeatureBuilder(target="label").fit(train)
    X = builder.transform(train)
    np.testing.assert_array_equal(builder.transform(train.slice(5, 3).drop("Label")), X[5:8])
    new = builder.transform(
        {"review": [None, "entirely unseen words here"], "shop": ["north", "north"]}
    )
    text_columns = [i for i, n in enumerate(builder.feature_names) if "__tfidf__" in n]
    assert (new[:, text_columns] == 0).all(), "nulls and unseen words give all-zero TF-IDF"


def test_tfidf_builder_survives_pickling() -> None:
    import pickle

    train = _reviews()
    builder = FeatureBuilder(target="label").fit(train)
    loaded = pickle.loads(pickle.dumps(builder))
    assert loaded.feature_names == builder.feature_names
    np.testing.assert_array_equal(loaded.transform(train), builder.transform(train))


def test_tfidf_vocabulary_is_bounded() -> None:
    from fas_ray.features._text import MAX_TERMS_PER_COLUMN, MAX_TERMS_TOTAL, terms_per_column

    words = [f"word{i}" for i in range(300)]
    text = [" ".join(words[j] for j in range(i, 300, 7)) for i in range(14)]
    builder = FeatureBuilder(target="y").fit(pl.DataFrame({"t": text, "y": [0, 1] * 7}))
    assert len(builder.feature_names) == MAX_TERMS_PER_COLUMN
    assert terms_per_column(1) == MAX_TERMS_PER_COLUMN
    assert terms_per_column(10) * 10 <= MAX_TERMS_TOTAL
    assert terms_per_column(10_000) == 1


def test_text_without_recurring_words_is_dropped() -> None:
    text = [f"alpha{i} beta{i} gamma{i}" for i in range(10)]
    df = pl.DataFrame({"t": text, "x": [float(i) for i in range(10)], "y": [0, 1] * 5})
    builder = FeatureBuilder(target="y").fit(df)
    assert builder.input_columns == ["x"]
    assert "t" in builder.dropped


# -- categoricals: one-hot for the linear learner, categories for LightGBM, codes elsewhere -----


def test_categorical_indices_and_estimator_options(builder: FeatureBuilder) -> None:
    from fas_ray.features import estimator_options

    assert builder.categorical_indices == [1]
    assert estimator_options("linear", builder) == {"categorical": [1]}
    assert estimator_options("lightgbm", builder) == {"categorical": [1]}
    numbers_only = FeatureBuilder(target="label").fit(
        pl.DataFrame({"x": [1, 2, 3], "label": [0, 1, 0]})
    )
    assert estimator_options("lightgbm", numbers_only) == {}
    text_builder = FeatureBuilder(target="label").fit(_reviews())
    position = text_builder.feature_names.index("shop")
    assert position > 0 and text_builder.categorical_indices == [position]


def test_linear_learner_one_hot_encodes_categorical_codes() -> None:
    from fas_ray.ml import TaskInfo, get_learner

    task = TaskInfo("classification", "binary", "y", [0, 1])
    codes = np.tile([0.0, 1.0, 2.0], 20)
    X = np.column_stack([np.linspace(0.0, 1.0, 60), codes])
    y = (codes == 1).astype(np.int64)  # not monotone in the code: ordinal can't separate it
    linear = get_learner("linear")
    plain = linear.make_estimator({"regularization": 1e-3}, task, 0).fit(X, y)
    onehot = linear.make_estimator({"regularization": 1e-3}, task, 0, categorical=[1]).fit(X, y)
    assert plain.score(X, y) < 0.9
    assert onehot.score(X, y) == 1.0
    unknown = np.array([[0.5, -1.0], [0.5, 7.0]])
    assert onehot.predict_proba(unknown).shape == (2, 2), "unknown codes encode as all zeros"
    encoded = onehot[:-1].transform(unknown)
    assert (encoded[:, :3] == 0).all()


def test_lightgbm_splits_category_codes_as_categories() -> None:
    """Given ``categorical=``, LightGBM's first split groups codes (``==``) instead of
    thresholding them (``<=``), and survives pickling with it."""
    import pickle

    from fas_ray.ml import TaskInfo, get_learner

    task = TaskInfo("regression", "regression", "y")
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 40, size=4000).astype(float)
    X = np.column_stack([codes, rng.normal(size=4000)])
    y = np.isin(codes, [3, 11, 17, 29, 36]).astype(float) * 5.0 + 0.1 * X[:, 1]
    lightgbm = get_learner("lightgbm")
    params = {**lightgbm.default_params(task), "n_estimators": 1, "learning_rate": 1.0}

    def first_split(est: Any) -> tuple[str, int]:
        root = est.booster_.dump_model()["tree_info"][0]["tree_structure"]
        return root["decision_type"], root["split_feature"]

    as_categories = lightgbm.make_estimator(params, task, 0, categorical=[0]).fit(X, y)
    assert first_split(as_categories) == ("==", 0)
    assert np.mean((as_categories.predict(X) - y) ** 2) < 0.2 * np.var(y)
    assert first_split(pickle.loads(pickle.dumps(as_categories))) == ("==", 0)
    assert first_split(lightgbm.make_estimator(params, task, 0).fit(X, y)) == ("<=", 0)
