"""Task detection: the problem family, the target, and the learning task with notes.

:func:`detect_task` decides classification (binary / multiclass) or regression from the target
column alone. :func:`detect_task_from_frame` looks at the whole table: it finds the target,
decides the family from the feature columns' semantic types, and adds recommendations::

    image paths / binary columns present ............................ vision
    text columns >= 30 % of the feature columns ..................... nlp (checked first)
    datetime columns >= 20 % of the feature columns ................. time_series
    otherwise ....................................................... tabular
    no target and ``unsupervised=True`` ............................. clustering
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from fas_ray.exceptions import ConfigError, InputError

__all__ = [
    "MAX_CLASSES_FOR_INTEGER_TARGET",
    "MAX_CLASSES_FOR_OVERRIDE",
    "TaskInfo",
    "detect_task",
    "detect_task_from_frame",
]

MAX_CLASSES_FOR_INTEGER_TARGET = 20
MAX_CLASSES_FOR_OVERRIDE = 200  # a forced classification with more classes is refused
TARGET_NAMES = ("target", "label", "class", "outcome", "y")  # the fallback order
NLP_SHARE, TIME_SERIES_SHARE, IMAGE_SHARE = 0.30, 0.20, 0.80
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
SMALL_DATA_ROWS = 200

TaskKind = Literal["classification", "regression", "clustering"]
TaskOverride = Literal["classification", "regression"]
_NOT_FEATURES = ("identifier", "constant", "empty")


@dataclass(frozen=True)
class TaskInfo:
    """The learning task and why it was chosen.

    Args:
        kind: classification, regression, or clustering (no target).
        subtype: binary / multiclass for classification, else the kind again.
        target: the target column ('' for clustering).
        classes: the sorted class labels (classification).
        reason: why this kind was chosen.
        family: tabular, nlp, vision or time_series (from the feature columns).
        ambiguous: another kind is as plausible (e.g. ratings 1-5); see ``notes``.
        imbalanced: the rarest class has under half its fair share (1 / k) of the rows.
        notes: recommendations and warnings for the person running the task.
    """

    kind: TaskKind
    subtype: Literal["binary", "multiclass", "regression", "clustering"]
    target: str
    classes: list[Any] = field(default_factory=list)
    reason: str = ""
    family: Literal["tabular", "nlp", "vision", "time_series"] = "tabular"
    ambiguous: bool = False
    imbalanced: bool = False
    notes: list[str] = field(default_factory=list)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # models pickled before a field existed get its default
        for f in dataclasses.fields(self):
            if f.name not in state:
                factory = f.default_factory
                state[f.name] = factory() if callable(factory) else f.default
        self.__dict__.update(state)

    @property
    def is_classification(self) -> bool:
        return self.kind == "classification"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subtype": self.subtype,
            "target": self.target,
            "classes": [
                c if isinstance(c, int | float | str | bool) else str(c) for c in self.classes
            ],
            "reason": self.reason,
            "family": self.family,
            "ambiguous": self.ambiguous,
            "imbalanced": self.imbalanced,
            "notes": list(self.notes),
        }


def _check_override(y: pl.Series, target: str, override: str | None, n_unique: int) -> None:
    if override is None:
        return
    if override not in ("classification", "regression"):
        raise ConfigError(
            f"Unknown task override {override!r}; choose 'classification' or 'regression'."
        )
    if override == "regression" and (not y.dtype.is_numeric() or y.dtype == pl.Boolean):
        raise ConfigError(
            f"The target column '{target}' holds {y.dtype} values; regression needs a numeric "
            "target. Drop the regression override or choose another target."
        )
    if override == "classification" and n_unique > MAX_CLASSES_FOR_OVERRIDE:
        raise ConfigError(
            f"The target column '{target}' has {n_unique} distinct values, too many classes "
            f"(at most {MAX_CLASSES_FOR_OVERRIDE}). Drop the classification override or bin it."
        )


def _rating_range(classes: list[Any]) -> tuple[int, int] | None:
    """``(lo, hi)`` when the classes are the integers lo..hi with lo in {0, 1}, 3 to 10 of them."""
    if isinstance(classes[0], bool) or not all(isinstance(c, int | float) for c in classes):
        return None
    lo, hi = int(classes[0]), int(classes[-1])
    ok = (
        3 <= len(classes) <= 10
        and lo in (0, 1)
        and [float(c) for c in classes] == [float(v) for v in range(lo, hi + 1)]
    )
    return (lo, hi) if ok else None


def detect_task(y: pl.Series, target: str, task_override: TaskOverride | None = None) -> TaskInfo:
    """Decide the task from the target's values (nulls ignored).

    Text, boolean and categorical targets, and integer-valued ones with at most
    ``MAX_CLASSES_FOR_INTEGER_TARGET`` distinct values, are classification; other numeric targets
    are regression. Integer ratings (3 to 10 values 0..k or 1..k) are flagged ``ambiguous``.

    Args:
        y: the target column.
        target: its name, for messages.
        task_override: force classification or regression.

    Raises:
        InputError: the target has no values, or a single distinct value.
        ConfigError: the override is impossible (regression on text, too many classes).
    """
    values = y.fill_nan(None).drop_nulls() if y.dtype.is_float() else y.drop_nulls()
    if values.len() == 0:
        raise InputError(f"The target column '{target}' has no values; every row is empty there.")
    n_unique = values.n_unique()
    if n_unique < 2:
        raise InputError(
            f"The target column '{target}' has a single value ({values[0]!r}); "
            "a model needs at least two distinct target values."
        )
    _check_override(values, target, task_override, n_unique)
    dtype = values.dtype
    kind: TaskKind
    if not dtype.is_numeric() or dtype == pl.Boolean:
        kind, reason = "classification", f"the target is {dtype}"
    elif dtype.is_integer() or bool((values.cast(pl.Float64) % 1 == 0).all()):
        if n_unique <= MAX_CLASSES_FOR_INTEGER_TARGET:
            kind = "classification"
            reason = (
                f"integer target with {n_unique} distinct values "
                f"(<= {MAX_CLASSES_FOR_INTEGER_TARGET})"
            )
        else:
            kind, reason = "regression", f"integer target with {n_unique} distinct values"
    else:
        kind, reason = "regression", "the target holds non-integer numbers"
    if task_override is not None and task_override != kind:
        reason = f"forced by the task override (detected {kind}: {reason})"
        kind = task_override
    if kind == "regression":
        return TaskInfo("regression", "regression", target, [], reason)

    classes = values.unique().sort().to_list()
    subtype: Literal["binary", "multiclass"] = "binary" if n_unique == 2 else "multiclass"
    notes: list[str] = []
    rating = _rating_range(classes) if task_override is None else None
    if rating is not None:
        notes.append(
            f"integer target {rating[0]}–{rating[1]} could also be regression; "
            "pass --task regression to override"
        )
    counts = values.value_counts()["count"]
    smallest, largest = int(counts.min()), int(counts.max())  # type: ignore[arg-type]
    if largest < 2 and n_unique > 2 and task_override is None and not dtype.is_numeric():
        raise InputError(
            f"The target column '{target}' has {n_unique} classes, each in a single row: a "
            "classifier can neither learn nor be checked on them. Give at least two rows per "
            "class, or a numeric target (regression)."
        )
    imbalanced = smallest / values.len() < 0.5 / n_unique
    if imbalanced:
        notes.append(
            f"imbalanced classes (rarest {smallest} vs largest {largest} rows); balanced class "
            "weights are searched, and ROC-AUC / F1 say more than accuracy"
        )
    return TaskInfo(
        "classification",
        subtype,
        target,
        classes,
        reason,
        ambiguous=rating is not None,
        imbalanced=imbalanced,
        notes=notes,
    )


# -- the whole frame ------------------------------------------------------------------------------


def _looks_like_images(s: pl.Series) -> bool:
    if s.dtype == pl.Binary:
        return True
    if s.dtype not in (pl.String, pl.Categorical) and not isinstance(s.dtype, pl.Enum):
        return False
    values = s.cast(pl.String).drop_nulls()
    if values.len() == 0:
        return False
    paths = values.str.strip_chars().str.to_lowercase().str.replace(r"[?#].*$", "")
    hits = paths.str.ends_with(IMAGE_SUFFIXES[0])
    for suffix in IMAGE_SUFFIXES[1:]:
        hits = hits | paths.str.ends_with(suffix)
    return float(hits.mean() or 0.0) >= IMAGE_SHARE  # type: ignore[arg-type]


def _infer_semantic(s: pl.Series) -> str:
    """A crude semantic type from the dtype and a look at the values (no ETL types given)."""
    if s.dtype.is_temporal():
        return "datetime"
    values = s.fill_nan(None).drop_nulls() if s.dtype.is_float() else s.drop_nulls()
    if values.len() == 0:
        return "empty"
    n_unique = values.n_unique()
    if n_unique == 1:
        return "constant"
    if s.dtype == pl.Boolean:
        return "boolean"
    if s.dtype.is_integer():
        return "integer"
    if s.dtype.is_float():
        return "float"
    if s.dtype in (pl.String, pl.Categorical) or isinstance(s.dtype, pl.Enum):
        strings = values.cast(pl.String)
        words = float(strings.str.count_matches(r"\S+").mean() or 0.0)  # type: ignore[arg-type]
        if words >= 3 and n_unique / values.len() >= 0.5:
            return "text"
        if n_unique == values.len() and values.len() >= 20:
            return "identifier"
    return "categorical"


def _find_target(df: pl.DataFrame, target: str | None) -> str:
    if target:
        if target not in df.columns:
            raise InputError(
                f"The target column '{target}' is not in the data. "
                f"Columns: {', '.join(df.columns)}."
            )
        return target
    lowered = {c.lower(): c for c in reversed(df.columns)}  # the first spelling wins
    for name in TARGET_NAMES:
        if name in lowered:
            return lowered[name]
    return df.columns[-1]


def _share(columns: list[str], features: list[str]) -> float:
    return len(columns) / len(features) if features else 0.0


def _names(columns: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{c}'" for c in columns[:limit])
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def detect_task_from_frame(
    df: pl.DataFrame,
    target: str | None = None,
    column_types: dict[str, str] | None = None,
    *,
    unsupervised: bool = False,
    task_override: TaskOverride | None = None,
) -> TaskInfo:
    """The family, target and task of a whole table, with recommendations in ``notes``.

    Args:
        df: the data, target included.
        target: the target column; when empty, a column named target / label / class /
            outcome / y (case-insensitive, in that order), else the last column.
        column_types: semantic types from the ETL (``"text"``, ``"datetime"``, ...); columns
            missing there are inferred crudely from their dtype and values.
        unsupervised: with no ``target``, return a clustering task instead of guessing one.
        task_override: force classification or regression.

    Raises:
        InputError: an empty table, an unknown target, or an unusable target column.
        ConfigError: an impossible override, or an override of a clustering task.

    Example:
        >>> df = pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": ["a", "b", "a", "b"]})
        >>> detect_task_from_frame(df).subtype
        'binary'
    """
    if df.width == 0:
        raise InputError("The data has no columns.")
    clustering = unsupervised and not target
    if clustering and task_override is not None:
        raise ConfigError(
            f"A task override ({task_override!r}) needs a target; drop it or name a target."
        )
    name = "" if clustering else _find_target(df, target)
    known = dict(column_types or {})
    semantic = {
        c: known[c] if c in known else _infer_semantic(df[c]) for c in df.columns if c != name
    }
    images = [c for c in semantic if _looks_like_images(df[c])]
    dropped = [c for c, t in semantic.items() if t in _NOT_FEATURES and c not in images]
    features = [c for c in semantic if c not in dropped]
    texts = [c for c in features if semantic[c] == "text" and c not in images]
    temporal = [c for c in features if semantic[c] == "datetime"]

    notes: list[str] = []
    family: Literal["tabular", "nlp", "vision", "time_series"]
    if texts and _share(texts, features) >= NLP_SHARE:
        family = "nlp"
        notes.append(
            f"free-text columns {_names(texts)} dominate; a pretrained text model "
            "(the 'nlp' extra) usually beats trees on raw text"
        )
        if images:
            notes.append(f"image columns {_names(images)} are present too (multimodal data)")
    elif images:
        family = "vision"
        notes.append(
            f"image columns {_names(images)}: the tabular learners cannot read images; "
            "use an image model or precomputed embeddings"
        )
    elif temporal and _share(temporal, features) >= TIME_SERIES_SHARE:
        family = "time_series"
        notes.append(
            f"datetime columns {_names(temporal)}: validate on later rows than you train on "
            "(shuffled k-fold leaks the future) and add lag / calendar features; to forecast "
            "the target's future values instead, give a horizon (--horizon H, horizon=)"
        )
    else:
        family = "tabular"
        notes.append("tabular data: gradient-boosted trees (lightgbm, xgboost) are the strongest")
    if dropped:
        notes.append(f"columns {_names(dropped)} are identifiers, constant or empty; not features")
    if not features and not images:
        notes.append("no usable feature columns besides the target")
    half_empty = [c for c in features if df[c].null_count() > df.height / 2]
    if half_empty:
        notes.append(f"columns {_names(half_empty)} are more than half empty")
    if df.height < SMALL_DATA_ROWS:
        notes.append(
            f"only {df.height} rows: CV scores are noisy; simpler models (linear, random_forest) "
            "and fewer trials overfit the search less"
        )

    if clustering:
        return TaskInfo(
            "clustering",
            "clustering",
            "",
            reason="no target and an unsupervised task was asked for",
            family=family,
            notes=notes,
        )
    y = df[name]
    task = detect_task(y, name, task_override=task_override)
    missing = y.null_count() + (int(y.is_nan().sum()) if y.dtype.is_float() else 0)
    if missing:
        notes.append(f"{missing} rows have no target value; they are dropped before training")
    if known.get(name) == "identifier" or (
        task.is_classification and len(task.classes) > MAX_CLASSES_FOR_INTEGER_TARGET * 5
    ):
        notes.append(
            f"the target '{name}' has {len(task.classes) or 'many'} distinct values; "
            "check that it is the right column"
        )
    if target is None or target == "":
        notes.insert(0, f"no target given; using '{name}'")
    return dataclasses.replace(task, family=family, notes=[*task.notes, *notes])
