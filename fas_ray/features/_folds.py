"""Fill values and known categories fitted inside each cross-validation fold.

The search cross-validates on one feature matrix built once (:meth:`FeatureBuilder.transform`
with ``fill=False``): missing numbers, booleans and categories stay NaN there, and a category
has its code whether or not a fold's training rows hold it. :class:`FoldFill` then does, per
fold and from that fold's training rows only, what the builder does from all training rows:
numbers get the median (rounded for integer columns), booleans and categories the mode (ties
to the smallest value, as in :func:`fas_ray.etl.compute_fill_values`), and a category that the
training rows lack becomes ``-1``, the code of a category never seen. The validation rows thus
never shape their own features, and the CV scores that choose the ensemble and calibration are
not optimistic for it.

What stays fitted on all training rows: the column plan (which columns, their kinds and the
categories' code numbers, at most 1,000 per column) and the TF-IDF vocabulary and weights of
text columns. None of them looks at the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["FoldFill"]


@dataclass(frozen=True)
class FoldFill:
    """Per-fold fill values and known categories for a matrix built with ``fill=False``.

    Args:
        medians: column positions filled with the training rows' median.
        integers: of ``medians``, those whose median is rounded (integer columns).
        modes: column positions filled with the training rows' most frequent value (booleans).
        categorical: category-code positions: filled with the most frequent code, and codes
            that the training rows lack become ``-1``.

    Example:
        >>> X = np.array([[1.0, 0.0], [np.nan, 1.0], [3.0, np.nan], [5.0, 2.0]])
        >>> fill = FoldFill(medians=(0,), categorical=(1,))
        >>> train, valid = fill.apply(X, np.array([0, 1, 2]), np.array([3]))
        >>> train.tolist(), valid.tolist()
        ([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]], [[5.0, -1.0]])
    """

    medians: tuple[int, ...] = ()
    integers: tuple[int, ...] = ()
    modes: tuple[int, ...] = ()
    categorical: tuple[int, ...] = ()
    _integer_set: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_integer_set", frozenset(self.integers))

    def apply(
        self, X: np.ndarray, train: np.ndarray, valid: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The fold's training and validation matrices (copies; ``X`` is not changed)."""
        X_train, X_valid = X[train], X[valid]
        for j in self.medians:
            self._fill(X_train, X_valid, j, _median(X_train[:, j], j in self._integer_set))
        for j in self.modes:
            self._fill(X_train, X_valid, j, _mode(X_train[:, j]))
        for j in self.categorical:
            seen = np.unique(X_train[:, j][~np.isnan(X_train[:, j])])
            column = X_valid[:, j]
            unseen = ~np.isnan(column) & ~np.isin(column, seen)
            column[unseen] = -1.0
            self._fill(X_train, X_valid, j, _mode(X_train[:, j]))
        return X_train, X_valid

    def fill_all(self, X: np.ndarray) -> np.ndarray:
        """``X`` filled from all of its rows (what a refit on every row gets)."""
        every = np.arange(X.shape[0])
        return self.apply(X, every, every[:0])[0]

    @staticmethod
    def _fill(X_train: np.ndarray, X_valid: np.ndarray, j: int, value: float | None) -> None:
        if value is None:  # the training rows have no value: it stays missing
            return
        for part in (X_train, X_valid):
            column = part[:, j]
            column[np.isnan(column)] = value


def _median(values: np.ndarray, integer: bool) -> float | None:
    """The median of the non-missing values (``(lo + hi) / 2``, as ETL computes it)."""
    present = np.sort(values[~np.isnan(values)])
    if present.size == 0:
        return None
    n = present.size
    median = float((present[(n - 1) // 2] + present[n // 2]) / 2)
    return float(round(median)) if integer else median


def _mode(values: np.ndarray) -> float | None:
    """The most frequent non-missing value; ties to the smallest."""
    present = values[~np.isnan(values)]
    if present.size == 0:
        return None
    uniques, counts = np.unique(present, return_counts=True)
    return float(uniques[int(np.argmax(counts))])  # np.unique sorts: the first max is smallest
