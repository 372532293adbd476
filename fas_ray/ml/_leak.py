"""Target leaks: a feature column that is the target under another name.

A column that gives the target exactly in every row (the same values, a one-to-one relabelling
of the classes, or for a numeric target an exact linear function of it) would not be known at
prediction time: a model trained with it only copies it, and scores perfectly in CV while being
useless. :func:`target_copies` finds such columns, so a run can stop with a clear error instead.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fas_ray.exceptions import InputError

__all__ = [
    "MIN_LEAK_ROWS",
    "check_learnable",
    "leak_error",
    "only_target_error",
    "target_copies",
]

# fewer rows than this can match by chance (a binary column equal to a binary target)
MIN_LEAK_ROWS = 20


def _relabels(feature: pl.Series, target: pl.Series) -> bool:
    """Whether ``feature`` and ``target`` map one to one over their rows."""
    pairs = pl.DataFrame({"f": feature.cast(pl.String), "t": target.cast(pl.String)})
    n_pairs = pairs.n_unique()
    return n_pairs == pairs["f"].n_unique() == pairs["t"].n_unique()


def _linear(feature: pl.Series, target: pl.Series) -> bool:
    """Whether numeric ``feature`` is ``a * target + b`` in every row (``a != 0``)."""
    x = feature.cast(pl.Float64).to_numpy()
    y = target.cast(pl.Float64).to_numpy()
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))) or np.ptp(x) == 0 or np.ptp(y) == 0:
        return False
    slope, intercept = np.polyfit(y, x, 1)
    return bool(np.max(np.abs(slope * y + intercept - x)) <= 1e-9 * (np.ptp(x) + 1e-300))


def target_copies(
    df: pl.DataFrame, columns: list[str], target: str, *, classification: bool
) -> list[str]:
    """The ``columns`` of ``df`` that give ``target`` exactly in every row.

    A column counts when it has a value in every row where the target has one, over at least
    ``MIN_LEAK_ROWS`` such rows, and those values map one to one to the target's (any column,
    for a class target) or are an exact linear function of it (a numeric column, for a
    numeric target).

    Example:
        >>> df = pl.DataFrame({"x": list(range(30)), "y": [i % 3 for i in range(30)]})
        >>> target_copies(df.with_columns(c=pl.col("y") * 10), ["x", "c"], "y", classification=True)
        ['c']
    """
    rows = df.filter(pl.col(target).is_not_null())
    if rows.height < MIN_LEAK_ROWS:
        return []
    y = rows[target]
    classes = y.n_unique()
    found: list[str] = []
    for name in columns:
        if name == target or name not in rows.columns:
            continue
        feature = rows[name]
        if feature.null_count() or feature.dtype == pl.Null:
            continue
        if classification:
            if feature.n_unique() == classes and _relabels(feature, y):
                found.append(name)
        elif feature.dtype.is_numeric() and y.dtype.is_numeric() and _linear(feature, y):
            found.append(name)
    return found


def leak_error(copies: list[str], target: str) -> InputError:
    """The one-line error for the columns ``copies`` that give ``target`` exactly."""
    return InputError(
        f"The column(s) {', '.join(repr(c) for c in copies)} give the target '{target}' "
        "exactly in every row (a leak: a model would only copy them, and they are not known "
        "when predicting); drop them from the data, or name one as the target."
    )


def check_learnable(
    df: pl.DataFrame, target: str, *, classification: bool, test_size: float
) -> None:
    """What a run checks before its ETL, so that it stops before writing anything: a column
    besides the target, enough rows with a target to cross-validate and test, and no column
    that gives the target exactly.

    Raises:
        InputError: too few rows, or a leak.
    """
    from fas_ray.ml._split import check_enough_rows

    if df.columns == [target]:
        raise only_target_error(target)
    check_enough_rows(df[target].drop_nulls().len(), target, test_size)
    copies = target_copies(df, df.columns, target, classification=classification)
    if copies:
        raise leak_error(copies, target)


def only_target_error(target: str) -> InputError:
    """The one-line error for a table that holds nothing but its target."""
    return InputError(
        f"The data has no column besides the target '{target}'; add the columns that predict it."
    )
