"""The training schema of a model's input, and a check of JSON records against it.

Served predictions take JSON records; before any of them reaches the feature builder, each
field is checked against the columns the model was trained on, so a client learns every
problem at once (``missing``, ``unknown``, ``wrong_type``) with the field it concerns, instead
of a failure deep in a transform.

Column names may use the original spelling or the normalised one (``mean radius`` or
``mean_radius``). Columns the feature builder dropped at training time (identifiers, constant
columns) and the target are accepted and ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fas_ray.etl import normalize_name
from fas_ray.features import FeatureBuilder

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FieldError", "check_frame", "check_records", "input_schema", "normalise_records"]

# JSON value types each feature kind accepts (None is always accepted: a missing value).
_ACCEPTS: dict[str, tuple[type, ...]] = {
    "numeric": (int, float, bool),
    "boolean": (bool, int),
    "categorical": (str, int, float, bool),
    "datetime": (str, date, datetime),
    "text": (str,),
}
_EXPECTED = {
    "numeric": "a number",
    "boolean": "true/false (or 0/1)",
    "categorical": "a string (or number)",
    "datetime": "an ISO-8601 date or datetime string",
    "text": "a string",
}
_MAX_ERRORS = 50
MAX_LISTED_CATEGORIES = 200


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of the input."""

    field: str
    problem: str  # missing | unknown | wrong_type
    message: str
    row: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "problem": self.problem, "msg": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


def input_schema(builder: FeatureBuilder) -> list[dict[str, Any]]:
    """The input columns a model needs: name, feature kind, the training dtype, what a value
    should look like, the fill value used for a missing one and, for a categorical column,
    its training categories (the first :data:`MAX_LISTED_CATEGORIES`)."""
    out = []
    for spec in builder.columns:
        column: dict[str, Any] = {
            "name": spec.name,
            "kind": spec.kind,
            "dtype": spec.dtype,
            "expects": _EXPECTED[spec.kind],
            "fill": _plain(spec.fill),
        }
        if spec.kind == "categorical":
            column["categories"] = [_plain(c) for c in spec.categories[:MAX_LISTED_CATEGORIES]]
        out.append(column)
    return out


def _plain(value: Any) -> Any:
    """A JSON-safe scalar: numpy scalars as Python ones, NaN as None, others as text."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _value_ok(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and not math.isfinite(value) and kind == "numeric":
        return True
    if kind == "boolean" and isinstance(value, int) and not isinstance(value, bool):
        return value in (0, 1)
    if kind in ("numeric", "categorical") and isinstance(value, (dict, list)):
        return False
    return isinstance(value, _ACCEPTS[kind])


def normalise_records(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows with every key in its normalised spelling (``mean radius`` → ``mean_radius``),
    so rows spelled differently can be predicted together. Check them first: a row with two
    spellings of one column keeps the last."""
    names: dict[str, str] = {}
    out = []
    for row in rows:
        renamed = {}
        for key, value in row.items():
            name = names.get(key)
            if name is None:
                name = names[key] = normalize_name(str(key))
            renamed[name] = value
        out.append(renamed)
    return out


def check_records(builder: FeatureBuilder, rows: Sequence[Any]) -> list[FieldError]:
    """Every field problem in ``rows`` (at most 50, in row order); empty when they all fit.

    Missing columns are reported once (the first row lacking each); unknown columns once;
    wrongly-typed values once per column (the first row with one); two keys of one row that
    name the same column (``age`` and ``Age``) as ``duplicate``.

    Example:
        >>> errors = check_records(model.features, [{"age": "old"}])  # doctest: +SKIP
        >>> errors[0].to_json()  # doctest: +SKIP
        {'field': 'age', 'problem': 'wrong_type', 'msg': "expected a number, got 'old'", 'row': 0}
    """
    specs = {spec.name: spec for spec in builder.columns}
    ignored = {builder.target, *builder.dropped}
    errors: list[FieldError] = []
    missing_seen: set[str] = set()
    unknown_seen: set[str] = set()
    typed_seen: set[str] = set()
    normalised: dict[str, str] = {}  # rows repeat their keys: normalise each spelling once
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors.append(
                FieldError("<row>", "wrong_type", "each row must be an object of fields", i)
            )
            continue
        present: dict[str, str] = {}
        for key in row:
            name = normalised.get(key) or normalised.setdefault(key, normalize_name(str(key)))
            if name in present:
                errors.append(
                    FieldError(
                        str(key),
                        "duplicate",
                        f"names the same column as {present[name]!r}; send it once",
                        i,
                    )
                )
                continue
            present[name] = str(key)
            if name in specs or name in ignored:
                continue
            if key not in unknown_seen:
                unknown_seen.add(str(key))
                errors.append(
                    FieldError(str(key), "unknown", "not a column the model was trained on", i)
                )
        for name, spec in specs.items():
            if name not in present:
                if name not in missing_seen:
                    missing_seen.add(name)
                    errors.append(
                        FieldError(name, "missing", f"required ({_EXPECTED[spec.kind]})", i)
                    )
                continue
            value = row[present[name]]
            if name not in typed_seen and not _value_ok(spec.kind, value):
                typed_seen.add(name)
                errors.append(_wrong_type(present[name], spec.kind, value, i))
        if len(errors) >= _MAX_ERRORS:
            break
    return errors[:_MAX_ERRORS]


def _wrong_type(column: str, kind: str, value: Any, row: int) -> FieldError:
    """A value that cannot be read as its column's training type, shown in at most 40 characters."""
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return FieldError(column, "wrong_type", f"expected {_EXPECTED[kind]}, got {shown}", row)


def check_frame(builder: FeatureBuilder, frame: pl.DataFrame) -> list[FieldError]:
    """The problems :func:`check_records` finds, for a typed table (a file to predict): every
    missing, unknown and duplicate column, and each column whose values cannot be read as
    its training type (after the ETL's conversions, as prediction applies them), with the
    first row that cannot; empty when the table fits.
    """
    import polars as pl

    specs = {spec.name: spec for spec in builder.columns}
    ignored = {builder.target, *builder.dropped}
    errors: list[FieldError] = []
    present: dict[str, str] = {}
    for column in frame.columns:
        name = normalize_name(str(column))
        if name in present:
            errors.append(
                FieldError(
                    column, "duplicate", f"names the same column as {present[name]!r}; keep one"
                )
            )
            continue
        present[name] = column
        if name not in specs and name not in ignored:
            errors.append(FieldError(column, "unknown", "not a column the model was trained on"))
    for name, spec in specs.items():
        if name not in present:
            errors.append(FieldError(name, "missing", f"required ({_EXPECTED[spec.kind]})"))
    if any(e.problem == "duplicate" for e in errors):
        return errors[:_MAX_ERRORS]
    converted = builder._prepare(frame)  # the ETL's conversions, as predict applies them
    for name, spec in specs.items():
        if name not in converted.columns or spec.kind not in ("numeric", "boolean"):
            continue
        values = converted[name]
        if values.dtype.is_numeric() or values.dtype in (pl.Boolean, pl.Null):
            continue
        cast = values.cast(pl.Float64, strict=False)
        bad = (cast.is_null() & values.is_not_null()).arg_true()
        if len(bad):
            row = int(bad[0])
            errors.append(_wrong_type(present[name], spec.kind, frame[present[name]][row], row))
    return errors[:_MAX_ERRORS]
