"""Holdout split."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split

from fas_ray.ml._task import TaskInfo

__all__ = ["holdout_split"]


def holdout_split(
    df: pl.DataFrame, task: TaskInfo, test_size: float, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Train and holdout frames: stratified for classification when every class has two rows."""
    idx = np.arange(df.height)
    stratify = None
    if task.is_classification:
        counts = df[task.target].value_counts()["count"].to_numpy()
        if int(counts.min()) >= 2:
            stratify = df[task.target].to_numpy()
    train_idx, test_idx = train_test_split(
        idx, test_size=test_size, random_state=seed, stratify=stratify
    )
    return df[np.sort(train_idx)], df[np.sort(test_idx)]
