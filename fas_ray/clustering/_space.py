"""The space clusters are found in: every input column one block of equal weight.

:class:`~fas_ray.features.FeatureBuilder` turns the table into numbers (numbers, booleans,
category codes, date parts; free-text columns are left out of clustering). The space then
makes distances fair between columns:

- numbers, booleans and date parts: missing values become the training median, then z-scores
  clipped to ±3 (winsorised, so a few extreme values cannot pull a cluster of their own out of
  the rest);
- categories: one indicator per category (the 30 most frequent training categories; any other
  or unseen category has none), centred;
- each input column's block is scaled to a total variance of 1: a date's five parts together,
  or a category's indicators together, weigh as much as one number.

:meth:`ClusterSpace.standardised` gives the unclipped z-scores and standardised indicators with
their names (``age``, ``city = Paris``), what the profile compares clusters on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fas_ray.exceptions import InputError
from fas_ray.features import FeatureBuilder

__all__ = ["CLIP", "MAX_INDICATORS", "ClusterSpace"]

CLIP = 3.0  # z-scores are clipped to ±CLIP
MAX_INDICATORS = 30  # per category column: its most frequent training categories


@dataclass
class _Block:
    """One input column's part of the space."""

    column: str
    kind: str  # numeric | categorical
    positions: list[int]  # columns of the builder's matrix
    names: list[str]  # standardised feature names
    center: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    fill: np.ndarray = field(default_factory=lambda: np.zeros(0))
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0))  # categorical: kept codes
    weight: float = 1.0

    def z(self, M: np.ndarray) -> np.ndarray:
        """Unclipped z-scores (numbers) or standardised centred indicators (categories)."""
        if self.kind == "categorical":
            codes = M[:, self.positions[0]]
            indicators = (codes[:, None] == self.codes[None, :]).astype(np.float64)
            return (indicators - self.center) / self.scale
        X = M[:, self.positions]
        X = np.where(np.isnan(X), self.fill, X)
        return (X - self.center) / self.scale

    def scaled(self, M: np.ndarray) -> np.ndarray:
        """The block in the clustering space (total variance 1)."""
        z = self.z(M)
        if self.kind == "categorical":  # centred indicators, not standardised: rare ones weigh less
            return z * self.scale * self.weight
        return np.clip(z, -CLIP, CLIP) * self.weight


@dataclass
class ClusterSpace:
    """Scaled, equally weighted features for distance-based clustering (see the module doc).

    Example:
        >>> space = ClusterSpace.fit(builder, builder.transform(df))  # doctest: +SKIP
        >>> Z = space.transform(builder.transform(new_rows))  # doctest: +SKIP
    """

    blocks: list[_Block]
    dropped: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fit(cls, builder: FeatureBuilder, M: np.ndarray) -> ClusterSpace:
        """Fit on the builder's matrix ``M`` of the training rows.

        Raises:
            InputError: no column varies enough to cluster on.
        """
        blocks: list[_Block] = []
        dropped = dict(builder.dropped)
        start = 0
        for spec in builder.columns:
            width = len(spec.feature_names())
            positions = list(range(start, start + width))
            start += width
            if spec.kind == "text":
                dropped[spec.name] = "free text (not used for clustering)"
                continue
            if spec.kind == "categorical":
                block = _categorical(spec.name, positions[0], spec.categories, M)
            else:
                block = _numeric(spec.name, positions, spec.feature_names(), M)
            if block is None:
                dropped[spec.name] = "constant"
                continue
            blocks.append(block)
        if not blocks:
            raise InputError(
                "No number, category, boolean or date column to cluster on; the data has only "
                f"free text, identifier or constant columns ({', '.join(dropped) or 'none'})."
            )
        return cls(blocks, dropped)

    @property
    def columns(self) -> list[str]:
        """The input columns the space uses."""
        return [b.column for b in self.blocks]

    @property
    def feature_names(self) -> list[str]:
        """Names of the :meth:`standardised` columns."""
        return [name for b in self.blocks for name in b.names]

    def transform(self, M: np.ndarray) -> np.ndarray:
        """The clustering matrix of the builder's matrix ``M``."""
        parts = [b.scaled(M) for b in self.blocks]
        return np.ascontiguousarray(np.column_stack(parts), dtype=np.float64)

    def standardised(self, M: np.ndarray) -> np.ndarray:
        """Unclipped z-scores and standardised indicators (columns: :attr:`feature_names`)."""
        return np.column_stack([b.z(M) for b in self.blocks])


def _numeric(column: str, positions: list[int], names: list[str], M: np.ndarray) -> _Block | None:
    X = M[:, positions]
    with np.errstate(all="ignore"):
        fill = np.nanmedian(X, axis=0) if X.size else np.zeros(len(positions))
    fill = np.where(np.isnan(fill), 0.0, fill)
    X = np.where(np.isnan(X), fill, X)
    center, std = X.mean(axis=0), X.std(axis=0)
    varies = std > 1e-12
    if not varies.any():
        return None
    keep = np.flatnonzero(varies)
    return _Block(
        column,
        "numeric",
        [positions[i] for i in keep],
        [names[i] for i in keep],
        center=center[keep],
        scale=std[keep],
        fill=fill[keep],
        weight=1.0 / float(np.sqrt(len(keep))),
    )


def _categorical(
    column: str, position: int, categories: list[object], M: np.ndarray
) -> _Block | None:
    codes = M[:, position]
    known = codes[codes >= 0]
    if known.size == 0:
        return None
    values, counts = np.unique(known, return_counts=True)
    order = np.lexsort((values, -counts))[:MAX_INDICATORS]
    kept = np.sort(values[order])
    p = (codes[:, None] == kept[None, :]).mean(axis=0)
    sd = np.sqrt(p * (1 - p))
    varies = sd > 1e-12
    if not varies.any():
        return None
    kept, p, sd = kept[varies], p[varies], sd[varies]
    names = [f"{column} = {categories[int(c)]}" for c in kept]
    return _Block(
        column,
        "categorical",
        [position],
        names,
        center=p,
        scale=sd,
        codes=kept,
        # the block's indicators (centred, unscaled) together have variance 1
        weight=1.0 / float(np.sqrt(np.sum(sd**2))),
    )
