"""Tabular features: the same transform at training and at prediction time.

``FeatureBuilder.fit`` looks at training rows only and records, per input column, its kind, its
fill value and (for categoricals) its categories; ``transform`` turns any frame with those columns
into a float matrix. Column names are normalised first, so prediction input may use either the
original or the normalised spelling.

Per kind: numbers and booleans as they are; categoricals as codes (``-1`` for a category not
among the training ones), which LightGBM splits as categories, the linear and MLP learners
one-hot encode and the other tree learners split as numbers (:func:`estimator_options`);
datetimes as year, month, day, day of week and hour; free text, when the builder is fitted
with a target (:meth:`FeatureBuilder.fit_transform` with a :class:`~fas_ray.text.TextTarget`),
as the predictions of the column's text model (:mod:`fas_ray.text`: TF-IDF word and character
n-grams, linear models chosen and blended by inner CV), ``<column>__text__p1`` (binary),
``__p0``.. (every class) or ``__value`` (regression): out-of-fold on the training rows, the
model refitted on all of them for any other rows. Without a target, free text becomes at most
``MAX_TERMS_PER_COLUMN`` dense TF-IDF columns ``<column>__tfidf__<term>``
(:mod:`fas_ray.features._text`), the most frequent terms, which rarely carry a label (issue 15).

Cross-validation fills per fold instead: ``transform(..., fill=False)`` keeps missing values
as NaN and :meth:`FeatureBuilder.fold_fill` fills them from each fold's training rows
(:mod:`fas_ray.features._folds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

from fas_ray.etl import (
    ColumnType,
    apply_types,
    compute_fill_values,
    normalize_column_names,
    standardise_text,
)
from fas_ray.exceptions import InputError
from fas_ray.features._drift import FeatureReference, reference_of
from fas_ray.features._folds import FoldFill
from fas_ray.features._text import fit_tfidf, is_free_text, terms_per_column, tfidf_matrix
from fas_ray.text import TextModel, TextTarget, fit_text_model

__all__ = ["ColumnSpec", "FeatureBuilder", "estimator_options", "to_polars"]

ColumnKind = Literal["numeric", "boolean", "categorical", "datetime", "text"]
_MAX_CATEGORIES = 1000
_DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour")


def to_polars(data: Any) -> pl.DataFrame:
    """Accept a polars / pandas frame, an Arrow table, a dict of columns or a list of records."""
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pa.Table):
        return pl.from_arrow(data)  # type: ignore[return-value]
    if isinstance(data, list):
        if not data:
            raise InputError("No rows given; send at least one record.")
        if not all(isinstance(r, dict) for r in data):
            raise InputError("Rows must be objects mapping column names to values.")
        return pl.from_dicts(data, infer_schema_length=None)
    if isinstance(data, dict):
        return pl.DataFrame(data)
    if type(data).__module__.startswith("pandas"):
        return pl.from_pandas(data)
    raise InputError(
        f"Unsupported input type {type(data).__name__}; pass a polars or pandas DataFrame, an "
        "Arrow table, a dict of columns or a list of records."
    )


@dataclass
class ColumnSpec:
    """How one input column becomes features."""

    name: str
    kind: ColumnKind
    dtype: str
    fill: Any = None
    categories: list[Any] = field(default_factory=list)
    vectorizer: Any = field(default=None, repr=False, compare=False)  # text: fitted TF-IDF
    # text with a target: the column's text model (instead of ``vectorizer``)
    text_model: TextModel | None = field(default=None, repr=False, compare=False)

    def feature_names(self) -> list[str]:
        if self.kind == "datetime":
            return [f"{self.name}__{part}" for part in _DATETIME_PARTS]
        if self.kind == "text" and self.text_model is not None:
            return [f"{self.name}__text__{out}" for out in self.text_model.output_names]
        if self.kind == "text":
            terms = self.vectorizer.get_feature_names_out()
            return [f"{self.name}__tfidf__{term}" for term in terms]
        return [self.name]


def _kind(series: pl.Series) -> ColumnKind | None:
    dtype = series.dtype
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "categorical"
    return None


@dataclass
class FeatureBuilder:
    """Turns a frame into a float feature matrix; fitted on training rows only.

    Args:
        target: normalised name of the target column (never a feature).
        types: the ETL's inferred column types; prediction input is converted the same way
            (numeric, boolean and date text); identifier, constant and empty columns are not
            features, and free-text columns become TF-IDF features. Columns without an ETL type
            are free text by the rule in :mod:`fas_ray.features._text`.
    """

    target: str
    types: dict[str, ColumnType] = field(default_factory=dict)
    columns: list[ColumnSpec] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    # each input column's training distribution, for drift on served models (_drift.py)
    reference: list[FeatureReference] = field(default_factory=list, repr=False, compare=False)

    @property
    def feature_names(self) -> list[str]:
        return [name for spec in self.columns for name in spec.feature_names()]

    @property
    def input_columns(self) -> list[str]:
        return [spec.name for spec in self.columns]

    @property
    def categorical_indices(self) -> list[int]:
        """Positions in the feature matrix of the categorical code columns."""
        positions, start = [], 0
        for spec in self.columns:
            if spec.kind == "categorical":
                positions.append(start)
            start += len(spec.feature_names())
        return positions

    def fit(self, df: pl.DataFrame) -> FeatureBuilder:
        """Learn column kinds, fill values and categories from ``df`` (training rows); free
        text becomes capped TF-IDF columns (see :meth:`fit_transform` for text models).

        A ``target`` given in the input's spelling (``Purchase``) becomes its normalised name
        (``purchase``), so it is never a feature, nor required at prediction time.
        """
        self._fit(df, None)
        return self

    def fit_transform(
        self, df: pl.DataFrame, *, fill: bool = True, text: TextTarget | None = None
    ) -> np.ndarray:
        """Fit on ``df`` (training rows) and return its feature matrix.

        With ``text`` (the encoded target of ``df``'s rows, and the CV folds), each free-text
        column gets a text model (:func:`~fas_ray.text.fit_text_model`) instead of TF-IDF
        columns, and the returned matrix holds its **out-of-fold** predictions: a row's text
        feature never comes from a model fitted on that row's target. :meth:`transform` of
        any rows, these included, uses the model refitted on all of them: stacking.

        Text outputs of rows in no validation fold (time-ordered folds) stay NaN with
        ``fill=False`` (:meth:`fold_fill` fills them per fold), else the column's median.
        """
        oof = self._fit(df, text)
        prepared = self._prepare(df)
        blocks = {name: _median_filled(b) if fill else b for name, b in oof.items()}
        return self._matrix(prepared, fill=fill, text_blocks=blocks)

    def text_models(self) -> list[TextModel]:
        """The fitted text models, one per text column (none without a target)."""
        return [s.text_model for s in self.columns if s.text_model is not None]

    def _fit(self, df: pl.DataFrame, text: TextTarget | None) -> dict[str, np.ndarray]:
        """The work of :meth:`fit`; with ``text``, also each text column's out-of-fold block."""
        if self.target in df.columns:
            normalised = normalize_column_names(df.columns)
            self.target = normalised[df.columns.index(self.target)]
        df = self._prepare(df)
        self.columns, self.dropped = [], {}
        fills = compute_fill_values(df, exclude=[self.target], all_columns=True)
        for name in df.columns:
            if name == self.target:
                continue
            semantic = self.types[name].semantic if name in self.types else None
            if semantic in ("identifier", "constant", "empty"):
                self.dropped[name] = semantic
                continue
            series = df[name]
            if semantic == "text" or (semantic is None and is_free_text(series)):
                self.columns.append(ColumnSpec(name=name, kind="text", dtype=str(series.dtype)))
                continue
            kind = _kind(series)
            if kind is None:
                self.dropped[name] = f"unsupported type {series.dtype}"
                continue
            n_unique = series.drop_nulls().n_unique()
            if n_unique <= 1:
                self.dropped[name] = "constant"
                continue
            if kind == "categorical" and n_unique == df.height and df.height > 20:
                self.dropped[name] = "identifier (unique per row)"
                continue
            spec = ColumnSpec(name=name, kind=kind, dtype=str(series.dtype), fill=fills.get(name))
            if kind == "categorical":
                counts = series.drop_nulls().cast(pl.String).value_counts(name="_n")
                top = counts.sort(["_n", name], descending=[True, False]).head(_MAX_CATEGORIES)
                spec.categories = sorted(top[name].to_list())
                if spec.fill is not None:
                    spec.fill = str(spec.fill)
            self.columns.append(spec)
        oof = self._fit_text(df) if text is None else self._fit_text_models(df, text)
        if not self.columns:
            raise InputError(
                "No usable feature columns remain after dropping the target, constant and "
                f"identifier columns ({', '.join(self.dropped) or 'none'})."
            )
        self.reference = reference_of(self, df)
        return oof

    def fold_fill(self) -> FoldFill:
        """What fills a ``transform(..., fill=False)`` matrix per CV fold (:class:`FoldFill`):
        the positions of number, boolean and category columns."""
        medians: list[int] = []
        integers: list[int] = []
        modes: list[int] = []
        categorical: list[int] = []
        start = 0
        for spec in self.columns:
            if spec.kind == "numeric":
                medians.append(start)
                if "int" in spec.dtype.lower():
                    integers.append(start)
            elif spec.kind == "boolean":
                modes.append(start)
            elif spec.kind == "categorical":
                categorical.append(start)
            elif spec.text_model is not None:  # NaN only where no fold validated the row
                width = len(spec.text_model.output_names)
                medians.extend(range(start, start + width))
            start += len(spec.feature_names())
        return FoldFill(tuple(medians), tuple(integers), tuple(modes), tuple(categorical))

    def transform(self, data: Any, *, fill: bool = True) -> np.ndarray:
        """The float feature matrix of ``data``; unknown categories become -1, missing values
        the training fill values (with ``fill=False`` they stay NaN, for :meth:`fold_fill`).

        Raises:
            InputError: a required column is missing or cannot be read as its training type.
        """
        return self._matrix(self._prepare(to_polars(data)), fill=fill)

    def _matrix(
        self,
        df: pl.DataFrame,
        *,
        fill: bool,
        text_blocks: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """The matrix of prepared rows; ``text_blocks`` replace text models' predictions."""
        missing = [spec.name for spec in self.columns if spec.name not in df.columns]
        if missing:
            raise InputError(
                f"The input lacks the column(s) {', '.join(missing)} the model was trained on."
            )
        numbers = _numeric_block(
            df, [s for s in self.columns if s.kind in _NUMBER_KINDS], fill=fill
        )
        blocks: list[np.ndarray] = []
        for spec in self.columns:
            if spec.name in numbers:
                blocks.append(numbers[spec.name])
            elif text_blocks is not None and spec.name in text_blocks:
                blocks.append(text_blocks[spec.name])
            else:
                blocks.append(_encode(df[spec.name], spec, fill=fill))
        return np.column_stack(blocks) if blocks else np.empty((df.height, 0))

    def _fit_text(self, df: pl.DataFrame) -> dict[str, np.ndarray]:
        """Fit one TF-IDF vectorizer per text column; drop those with no recurring term."""
        text = [spec for spec in self.columns if spec.kind == "text"]
        max_features = terms_per_column(len(text))
        for spec in text:
            spec.vectorizer = fit_tfidf(df[spec.name], max_features)
            if spec.vectorizer is None:
                self.dropped[spec.name] = "free text with no word in two or more rows"
        self.columns = [s for s in self.columns if s.kind != "text" or s.vectorizer is not None]
        return {}

    def _fit_text_models(self, df: pl.DataFrame, target: TextTarget) -> dict[str, np.ndarray]:
        """Fit one text model per text column (the time limit shared evenly); drop those
        with no recurring word. Returns each column's out-of-fold block."""
        import time

        if len(target.y) != df.height:
            raise InputError(
                f"The text target has {len(target.y)} rows but the frame has {df.height}."
            )
        text = [spec for spec in self.columns if spec.kind == "text"]
        started = time.perf_counter()
        oof: dict[str, np.ndarray] = {}
        for i, spec in enumerate(text):
            limit = None
            if target.time_limit is not None:
                left = target.time_limit - (time.perf_counter() - started)
                limit = max(0.0, left / (len(text) - i))
            fitted = fit_text_model(spec.name, _documents(df[spec.name]), target, limit)
            if fitted is None:
                self.dropped[spec.name] = "free text with no word in two or more rows"
                continue
            spec.text_model, oof[spec.name] = fitted
        self.columns = [s for s in self.columns if s.kind != "text" or s.text_model is not None]
        return oof

    def prepare(self, data: Any) -> pl.DataFrame:
        """``data`` as :meth:`transform` reads it: normalised column names and, with ETL
        types, values converted as the ETL did (what a profile of the raw values wants)."""
        return self._prepare(to_polars(data))

    def _prepare(self, df: pl.DataFrame) -> pl.DataFrame:
        """Normalised names; with ETL types, stripped text converted like the ETL did."""
        df = _normalised(df)
        if not self.types:
            return df
        known = {k: v for k, v in self.types.items() if k in df.columns and k != self.target}
        return apply_types(standardise_text(df), known)


def estimator_options(learner: str, builder: FeatureBuilder) -> dict[str, Any]:
    """Keyword arguments for ``make_estimator`` that depend on the features.

    Every learner gets the positions of the category code columns (``categorical=``): the
    linear and MLP learners one-hot encode them, LightGBM splits on them as categories, the
    other tree learners split on the codes as numbers.

    Example:
        >>> est = get_learner(name).make_estimator(
        ...     params, task, seed, **estimator_options(name, builder)
        ... )  # doctest: +SKIP
    """
    del learner  # every learner takes the same options today
    categorical = builder.categorical_indices
    return {"categorical": categorical} if categorical else {}


def _normalised(df: pl.DataFrame) -> pl.DataFrame:
    new = normalize_column_names(df.columns)
    return df.rename(dict(zip(df.columns, new, strict=True))) if new != df.columns else df


_NUMBER_KINDS = ("numeric", "boolean")


def _numeric_block(
    df: pl.DataFrame, specs: list[ColumnSpec], *, fill: bool = True
) -> dict[str, np.ndarray]:
    """Every numeric / boolean column encoded in one polars query (what :func:`_encode` does
    per column, without a query per column: a one-row prediction is ~10x faster); on a cast
    error, nothing, so that :func:`_encode` names the column that failed."""
    if not specs:
        return {}
    exprs = []
    for spec in specs:
        col = pl.col(spec.name).cast(pl.Float64, strict=True).fill_nan(None)
        if fill and spec.fill is not None:
            col = col.fill_null(float(spec.fill))
        exprs.append(col.alias(spec.name))
    try:
        matrix = df.select(exprs).to_numpy().astype(np.float64, copy=False)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        return {}
    return {spec.name: matrix[:, i : i + 1] for i, spec in enumerate(specs)}


def _encode(series: pl.Series, spec: ColumnSpec, *, fill: bool = True) -> np.ndarray:
    try:
        if spec.kind in ("numeric", "boolean"):
            col = series.cast(pl.Float64, strict=True)
            col = col.fill_nan(None)
            if fill and spec.fill is not None:
                col = col.fill_null(float(spec.fill))
            return col.to_numpy().astype(np.float64).reshape(-1, 1)
        if spec.kind == "text" and spec.text_model is not None:
            return spec.text_model.predict(_documents(series))
        if spec.kind == "text":
            return tfidf_matrix(spec.vectorizer, series)
        if spec.kind == "categorical":
            col = series.cast(pl.String, strict=True)
            missing = None if fill else col.is_null().to_numpy()
            if fill and spec.fill is not None:
                col = col.fill_null(spec.fill)
            mapping = pl.DataFrame(
                {"_v": spec.categories, "_i": np.arange(len(spec.categories), dtype=np.float64)},
                schema={"_v": pl.String, "_i": pl.Float64},
            )
            joined = pl.DataFrame({"_v": col}).join(
                mapping, on="_v", how="left", maintain_order="left"
            )
            codes = joined["_i"].fill_null(-1.0).to_numpy()
            if missing is not None:
                codes = codes.copy()
                codes[missing] = np.nan
            return codes.reshape(-1, 1)
        col = series
        if col.dtype == pl.Date:
            col = col.cast(pl.Datetime)
        elif not isinstance(col.dtype, pl.Datetime):
            col = col.cast(pl.String).str.to_datetime(strict=False)
        dt = col.dt
        parts = [dt.year(), dt.month(), dt.day(), dt.weekday(), dt.hour()]
        return np.column_stack(
            [p.cast(pl.Float64).fill_null(np.nan).to_numpy() for p in parts]
        ).astype(np.float64)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        raise InputError(
            f"The column '{spec.name}' cannot be read as {spec.kind} ({spec.dtype}): "
            f"{str(exc).splitlines()[0]}"
        ) from None


def _documents(series: pl.Series) -> list[str]:
    return series.cast(pl.String).fill_null("").to_list()


def _median_filled(block: np.ndarray) -> np.ndarray:
    """``block`` with each column's NaN set to its median (0 for a column of NaN only)."""
    missing = np.isnan(block)
    if not missing.any():
        return block
    medians = np.zeros(block.shape[1])
    for j in range(block.shape[1]):
        present = block[~missing[:, j], j]
        medians[j] = float(np.median(present)) if present.size else 0.0
    return np.where(missing, medians, block)
