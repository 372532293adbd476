"""What every runner shares: read the job, time the fit, write predictions and a result.

Runs in each peer's own venv, so it uses the standard library and numpy only.

The driver (``bench/peers.py``) writes ``job.json``::

    {"train": ".../train.parquet", "test": ".../test_X.parquet", "target": "Purchase",
     "task": "binary", "metric": "roc_auc", "budget": 60, "seed": 0, "threads": 2,
     "out": ".../cell"}

and runs ``<venv>/bin/python bench/peers/run_<system>.py job.json``. The test file has no target
column. The runner writes ``out/pred.npy`` (class probabilities, one column per entry of
``classes``, or predicted values) and ``out/result.json`` (fit seconds, classes, versions, notes).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def read_job() -> dict[str, Any]:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} job.json")
    return json.loads(Path(sys.argv[1]).read_text())


class Clock:
    """``with Clock() as c: ...`` then ``c.seconds``."""

    def __enter__(self) -> Clock:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def finish(
    job: dict[str, Any],
    pred: Any,
    classes: list[Any] | None,
    fit_seconds: float,
    predict_seconds: float,
    versions: dict[str, str],
    info: dict[str, Any] | None = None,
) -> None:
    out = Path(job["out"])
    pred = np.asarray(pred, dtype=np.float64)
    if classes is not None and (pred.ndim != 2 or pred.shape[1] != len(classes)):
        raise ValueError(f"probabilities of shape {pred.shape} for {len(classes)} classes")
    np.save(out / "pred.npy", pred)
    result = {
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "classes": None if classes is None else [_label(c) for c in classes],
        "versions": versions,
        "info": info or {},
    }
    (out / "result.json").write_text(json.dumps(result, default=str))


def _label(value: Any) -> str:
    """Labels compare as text in the driver: 0, np.int64(0) and "0" are the same class."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
