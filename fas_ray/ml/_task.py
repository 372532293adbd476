"""Task detection: classification (binary / multiclass) or regression, from the target column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from fas_ray.exceptions import InputError

__all__ = ["MAX_CLASSES_FOR_INTEGER_TARGET", "TaskInfo", "detect_task"]

MAX_CLASSES_FOR_INTEGER_TARGET = 20


@dataclass(frozen=True)
class TaskInfo:
    """The learning task and why it was chosen."""

    kind: Literal["classification", "regression"]
    subtype: Literal["binary", "multiclass", "regression"]
    target: str
    classes: list[Any] = field(default_factory=list)
    reason: str = ""

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
        }


def detect_task(y: pl.Series, target: str) -> TaskInfo:
    """Decide the task from the target's values (nulls ignored).

    Text, boolean and categorical targets, and integer-valued ones with at most
    ``MAX_CLASSES_FOR_INTEGER_TARGET`` distinct values, are classification; other numeric targets
    are regression.

    Raises:
        InputError: the target has no values, or a single distinct value.
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
    dtype = values.dtype
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
    if kind == "regression":
        return TaskInfo("regression", "regression", target, [], reason)
    classes = values.unique().sort().to_list()
    subtype: Literal["binary", "multiclass"] = "binary" if n_unique == 2 else "multiclass"
    return TaskInfo("classification", subtype, target, classes, reason)
