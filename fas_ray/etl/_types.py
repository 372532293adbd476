"""Type inference: what each column holds, and the conversions that make it so.

Semantic types:

===========  ==============================================================================
integer      whole numbers (also numeric text such as ``"1,234"``)
float        other numbers (also ``"1,234.5"``, ``"$12"``, ``"45%"`` → 0.45, ``"(3)"`` → -3)
boolean      two values such as yes/no, true/false, y/n, t/f or 0/1
categorical  few distinct values (labels, codes)
datetime     dates and timestamps, from temporal types or text in one of several formats
text         free text: long, mostly distinct strings
identifier   one distinct value per row (kept in the data, never a feature)
constant     a single distinct value
empty        no values at all
===========  ==============================================================================

Inference looks at a sample; :func:`apply_types` converts whole tables (block by block) to the
inferred storage types, so every block of a data set gets the same schema.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import polars as pl

__all__ = [
    "DATETIME_FORMATS",
    "ColumnType",
    "SemanticType",
    "apply_types",
    "infer_column",
    "infer_schema",
    "parse_numeric_text",
    "standardise_text",
]

SemanticType = Literal[
    "integer",
    "float",
    "boolean",
    "categorical",
    "datetime",
    "text",
    "identifier",
    "constant",
    "empty",
]

DATETIME_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%d %B %Y",
)
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_NUMERIC_RE = r"^\(?[-+]?[$€£¥]?\s*[-+]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][-+]?\d+)?\s*%?\)?$"
_MATCH_SHARE = 0.95
_MAX_CATEGORIES = 100
_IDENTIFIER_MIN_ROWS = 20
_ID_SHARE = 0.95


@dataclass(frozen=True)
class ColumnType:
    """The inferred type of one column.

    Args:
        name: column name.
        semantic: what the column holds (see the module docstring).
        storage: the polars dtype the column is converted to (``str(dtype)``).
        source: the dtype it was read as.
        datetime_format: the strftime format of datetime text, when parsed from text.
        percent: numeric text that used ``%`` (values divided by 100).
    """

    name: str
    semantic: SemanticType
    storage: str
    source: str
    datetime_format: str | None = None
    percent: bool = False

    @property
    def is_feature(self) -> bool:
        return self.semantic not in ("identifier", "constant", "empty")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnType:
        return cls(**data)


def parse_numeric_text(col: pl.Series) -> pl.Series:
    """Numeric text as Float64: ``"1,234.5"``, ``"$12"``, ``"45%"`` (→ 0.45), ``"(3)"`` (→ -3);
    null where the text is not a number."""
    text = col.cast(pl.String).str.strip_chars()
    matches = text.str.contains(_NUMERIC_RE) & text.str.contains(r"\d")
    negative = text.str.starts_with("(") & text.str.ends_with(")")
    percent = text.str.contains("%")
    cleaned = text.str.replace_all(r"[,$€£¥%()\s]", "")
    values = cleaned.cast(pl.Float64, strict=False)
    frame = pl.DataFrame({"v": values, "m": matches, "n": negative, "p": percent})
    out = frame.select(
        pl.when(~pl.col("m"))
        .then(None)
        .otherwise(
            pl.col("v")
            * pl.when(pl.col("n")).then(-1.0).otherwise(1.0)
            / pl.when(pl.col("p")).then(100.0).otherwise(1.0)
        )
        .alias(col.name)
    )
    return out.to_series()


def _mean(col: pl.Series) -> float:
    value = col.cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0


def _mostly_unique(n_unique: int, non_null: int, rows: int) -> bool:
    """One value per row, allowing for a few repeated rows (exact duplicates not yet removed)."""
    return rows > _IDENTIFIER_MIN_ROWS and non_null == rows and n_unique >= _ID_SHARE * rows


def _share(matched: int, total: int) -> float:
    return matched / total if total else 0.0


def _infer_text(name: str, values: pl.Series, rows: int) -> ColumnType:
    source = str(values.dtype)
    lowered = values.str.strip_chars().str.to_lowercase()
    distinct = set(lowered.unique().to_list())
    two_sided = bool(distinct & _TRUE) and bool(distinct & _FALSE)
    if len(distinct) == 2 and distinct <= (_TRUE | _FALSE) and two_sided:
        return ColumnType(name, "boolean", "Boolean", source)

    numbers = parse_numeric_text(values)
    if _share(numbers.len() - numbers.null_count(), values.len()) >= _MATCH_SHARE:
        percent = bool(values.str.contains("%").any())
        finite = numbers.drop_nulls()
        decimals = bool(values.str.contains(r"\.").any())
        whole = not percent and not decimals and bool((finite % 1 == 0).all())
        if whole:
            return ColumnType(name, "integer", "Int64", source)
        return ColumnType(name, "float", "Float64", source, percent=percent)

    best_format, best = None, 0
    stripped = values.str.strip_chars()
    for fmt in DATETIME_FORMATS:
        parsed = stripped.str.to_datetime(fmt, strict=False)
        ok = parsed.len() - parsed.null_count()
        if ok > best:
            best_format, best = fmt, ok
    if best_format and _share(best, values.len()) >= _MATCH_SHARE:
        return ColumnType(
            name,
            "datetime",
            "Datetime(time_unit='us', time_zone=None)",
            source,
            datetime_format=best_format,
        )

    n_unique = values.n_unique()
    mean_len = _mean(values.str.len_chars())
    mean_words = _mean(values.str.count_matches(r"\S+"))
    if _mostly_unique(n_unique, values.len(), rows) and mean_words < 2:
        return ColumnType(name, "identifier", "String", source)
    if (mean_len >= 30 or mean_words >= 5) and n_unique > 0.5 * values.len():
        return ColumnType(name, "text", "String", source)
    if n_unique <= _MAX_CATEGORIES or n_unique <= 0.5 * values.len():
        return ColumnType(name, "categorical", "String", source)
    return ColumnType(name, "text", "String", source)


def infer_column(col: pl.Series) -> ColumnType:
    """The semantic type of one column (see the module docstring)."""
    name, dtype, rows = col.name, col.dtype, col.len()
    source = str(dtype)
    values = col.fill_nan(None).drop_nulls() if dtype.is_float() else col.drop_nulls()
    if values.len() == 0:
        return ColumnType(name, "empty", source, source)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        values = values.cast(pl.String)
        if values.str.strip_chars().n_unique() <= 1:
            return ColumnType(name, "constant", "String", source)
        return _infer_text(name, values, rows)
    if values.n_unique() <= 1:
        return ColumnType(name, "constant", source, source)
    if dtype == pl.Boolean:
        return ColumnType(name, "boolean", source, source)
    if dtype in (pl.Date,) or isinstance(dtype, pl.Datetime):
        return ColumnType(name, "datetime", source, source)
    if dtype.is_integer():
        if set(values.unique().to_list()) <= {0, 1}:
            return ColumnType(name, "boolean", source, source)
        if _mostly_unique(values.n_unique(), values.len(), rows):
            ordered = values.unique().sort()
            if bool((ordered.diff().drop_nulls() == 1).all()):  # 0..n-1 style row numbers
                return ColumnType(name, "identifier", source, source)
        return ColumnType(name, "integer", source, source)
    if dtype.is_float():
        return ColumnType(name, "float", source, source)
    return ColumnType(name, "categorical", "String", source)


def infer_schema(df: pl.DataFrame) -> dict[str, ColumnType]:
    """Infer every column of ``df`` (pass a sample for large data)."""
    return {name: infer_column(df[name]) for name in df.columns}


def standardise_text(df: pl.DataFrame, lowercase: bool = False) -> pl.DataFrame:
    """Strip surrounding white space from every string column (and lower-case it if asked);
    empty strings become null."""
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.String:
            expr = pl.col(name).str.strip_chars()
            if lowercase:
                expr = expr.str.to_lowercase()
            exprs.append(pl.when(expr == "").then(None).otherwise(expr).alias(name))
    return df.with_columns(exprs) if exprs else df


def _convert(col: pl.Series, ctype: ColumnType) -> pl.Series:
    if ctype.storage == ctype.source:  # nothing to convert (or a column kept as it is)
        return col
    if ctype.semantic in ("integer", "float") and col.dtype == pl.String:
        numbers = parse_numeric_text(col)
        return numbers.cast(pl.Int64, strict=False) if ctype.semantic == "integer" else numbers
    if ctype.semantic == "boolean" and col.dtype == pl.String:
        lowered = col.str.strip_chars().str.to_lowercase()
        return (
            pl.DataFrame({"v": lowered})
            .select(
                pl.when(pl.col("v").is_in(list(_TRUE)))
                .then(True)
                .when(pl.col("v").is_in(list(_FALSE)))
                .then(False)
                .otherwise(None)
                .alias(col.name)
            )
            .to_series()
        )
    if ctype.semantic == "datetime" and col.dtype == pl.String and ctype.datetime_format:
        return col.str.strip_chars().str.to_datetime(ctype.datetime_format, strict=False)
    return col


def apply_types(df: pl.DataFrame, schema: dict[str, ColumnType]) -> pl.DataFrame:
    """Convert each column of ``df`` to its inferred storage type (unparseable values → null)."""
    converted = [
        _convert(df[name], schema[name]) if name in schema else df[name] for name in df.columns
    ]
    return pl.DataFrame(converted)
