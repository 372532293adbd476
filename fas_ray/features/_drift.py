"""Input drift: each feature's training distribution, the distribution of the rows a served
model scores, and the population stability index (PSI) between them.

A number column is cut at its training deciles (plus a bin for missing values); a category
column keeps its training categories' shares, with one bin for every other value and one for
missing values. PSI = sum over bins of (actual - expected) * ln(actual / expected), with both
shares floored at 1e-4 so an empty bin does not make it infinite. The usual reading:
below 0.1 no drift, 0.1 to 0.25 moderate, above 0.25 major.

>>> ref = reference_of(builder, training_frame)          # doctest: +SKIP
>>> monitor = DriftMonitor(ref); monitor.add(records)   # doctest: +SKIP
>>> monitor.report()["features"][0]                      # doctest: +SKIP
{'name': 'age', 'psi': 0.41, 'level': 'major', ...}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from fas_ray.features._tabular import FeatureBuilder

__all__ = ["PSI_MAJOR", "PSI_MODERATE", "DriftMonitor", "FeatureReference", "psi", "reference_of"]

PSI_MODERATE = 0.1
PSI_MAJOR = 0.25
_FLOOR = 1e-4
_DECILES = [i / 10 for i in range(1, 10)]
_MAX_CATEGORIES = 50  # the training's most frequent categories get a bin each
_OTHER, _MISSING = "(other)", "(missing)"


@dataclass(frozen=True)
class FeatureReference:
    """One input column's training distribution.

    Args:
        name: the normalised column name.
        kind: ``numeric`` (bins between ``edges``) or ``categorical`` (one bin per label).
        edges: numeric cut points (a value ``v`` falls in bin ``searchsorted(edges, v)``).
        labels: the bins' names, the missing-value bin last.
        expected: the training rows' share in each bin.
    """

    name: str
    kind: str
    labels: tuple[str, ...]
    expected: tuple[float, ...]
    edges: tuple[float, ...] = ()

    def counts(self, column: pl.Series) -> np.ndarray:
        """How many of ``column``'s values fall in each bin."""
        out = np.zeros(len(self.labels), dtype=np.int64)
        missing = int(column.is_null().sum())
        if self.kind == "numeric":
            values = column.cast(pl.Float64, strict=False)
            missing = int(values.fill_nan(None).is_null().sum())
            present = values.fill_nan(None).drop_nulls().to_numpy()
            if len(present):
                bins = np.searchsorted(np.asarray(self.edges), present, side="right")
                out[: len(self.labels) - 1] += np.bincount(bins, minlength=len(self.labels) - 1)
        else:
            index = {label: i for i, label in enumerate(self.labels[:-2])}
            other = len(self.labels) - 2
            for value in column.drop_nulls().cast(pl.String).to_list():
                out[index.get(value, other)] += 1
        out[-1] += missing
        return out


def psi(expected: np.ndarray | tuple[float, ...], actual_counts: np.ndarray) -> float:
    """The population stability index of observed ``actual_counts`` against ``expected``
    shares (both floored at 1e-4); NaN when nothing was observed.

    Example:
        >>> round(psi((0.5, 0.5), np.array([50, 50])), 6)
        0.0
        >>> psi((0.5, 0.5), np.array([90, 10])) > PSI_MAJOR
        True
    """
    total = float(np.sum(actual_counts))
    if total <= 0:
        return math.nan
    e = np.maximum(np.asarray(expected, dtype=np.float64), _FLOOR)
    a = np.maximum(np.asarray(actual_counts, dtype=np.float64) / total, _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def level_of(value: float) -> str:
    """``none``, ``moderate`` or ``major`` drift for a PSI (``unknown`` for NaN)."""
    if not math.isfinite(value):
        return "unknown"
    return "major" if value > PSI_MAJOR else "moderate" if value > PSI_MODERATE else "none"


def reference_of(builder: FeatureBuilder, df: pl.DataFrame) -> list[FeatureReference]:
    """Each number, boolean and category input column's distribution in ``df`` (the training
    rows, after ``builder.prepare``); dates and free text are not tracked."""
    out: list[FeatureReference] = []
    for spec in builder.columns:
        if spec.name not in df.columns:
            continue
        column = df[spec.name]
        if spec.kind in ("numeric", "boolean"):
            values = column.cast(pl.Float64, strict=False).fill_nan(None).drop_nulls()
            if values.is_empty():
                continue
            edges = np.unique(np.quantile(values.to_numpy(), _DECILES))
            labels = tuple(
                [f"<= {edges[0]:.4g}"]
                + [f"({lo:.4g}, {hi:.4g}]" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
                + [f"> {edges[-1]:.4g}", _MISSING]
            )
            ref = FeatureReference(spec.name, "numeric", labels, (), tuple(float(e) for e in edges))
        elif spec.kind == "categorical":
            counts = column.drop_nulls().cast(pl.String).value_counts(name="_n")
            top = counts.sort(["_n", spec.name], descending=[True, False]).head(_MAX_CATEGORIES)
            labels = (*[str(v) for v in top[spec.name].to_list()], _OTHER, _MISSING)
            ref = FeatureReference(spec.name, "categorical", labels, ())
        else:
            continue
        counts_ = ref.counts(column)
        shares = counts_ / max(1, int(counts_.sum()))
        out.append(
            FeatureReference(ref.name, ref.kind, ref.labels, tuple(map(float, shares)), ref.edges)
        )
    return out


@dataclass
class DriftMonitor:
    """Running bin counts of the rows a model scores, against its training reference.

    Rows are buffered and binned in batches of ``buffer_rows`` (and when a report is asked
    for), so a one-row prediction pays only an append. ``prepare`` converts a batch the way
    the model converts its input (``FeatureBuilder.prepare``: normalised names, ETL types).
    """

    reference: list[FeatureReference]
    prepare: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    buffer_rows: int = 1000
    rows: int = 0
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    _pending: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Buffer scored rows (records)."""
        self._pending.extend(rows)
        if len(self._pending) >= self.buffer_rows:
            self.flush()

    def flush(self) -> None:
        """Bin the buffered rows (a batch that cannot be read as a table is dropped: drift
        is advisory and must never fail a prediction)."""
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        try:
            frame = pl.DataFrame(rows, infer_schema_length=None, strict=False)
            if self.prepare is not None:
                frame = self.prepare(frame)
        except (pl.exceptions.PolarsError, ValueError, TypeError):
            return
        for ref in self.reference:
            if ref.name in frame.columns:
                column = frame[ref.name]
            else:
                column = pl.Series(ref.name, [None] * frame.height)
            add = ref.counts(column)
            self.counts[ref.name] = self.counts.get(ref.name, np.zeros_like(add)) + add
        self.rows += frame.height

    def report(self) -> dict[str, Any]:
        """Rows seen and, per feature (largest PSI first), its PSI, level and bin shares."""
        self.flush()
        features: list[dict[str, Any]] = []
        for ref in self.reference:
            counts = self.counts.get(ref.name, np.zeros(len(ref.labels), dtype=np.int64))
            value = psi(ref.expected, counts)
            total = max(1, int(counts.sum()))
            features.append(
                {
                    "name": ref.name,
                    "psi": None if not math.isfinite(value) else round(value, 4),
                    "level": level_of(value),
                    "bins": list(ref.labels),
                    "expected": [round(e, 4) for e in ref.expected],
                    "actual": [round(int(c) / total, 4) for c in counts],
                }
            )
        features.sort(key=lambda f: 1.0 if f["psi"] is None else -float(f["psi"]))
        levels = [f["level"] for f in features]
        worst = next((lv for lv in ("major", "moderate", "none") if lv in levels), "unknown")
        return {
            "rows": self.rows,
            "level": worst if self.rows else "unknown",
            "thresholds": {"moderate": PSI_MODERATE, "major": PSI_MAJOR},
            "features": features,
        }
