"""Uploaded data sets as the studio lists them: one JSON record per upload, a preview of the
first rows, the task a target column would give (no Ray, no HTTP).

An upload lives in ``uploads/<dataset_id>/<file>`` (what a run ingests) with its record in
``uploads/<dataset_id>.json`` beside the folder: file name, bytes, rows, columns, format,
SHA-256, when it came in, the bronze Parquet and its profile. Records are written atomically,
so a listing never sees half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow.parquet as pq

from fas_ray.exceptions import FasRayError, InputError, RunNotFoundError
from fas_ray.manifest import utc_now
from fas_ray.service._runs import check_id
from fas_ray.storage import DataRoot, write_json

__all__ = [
    "dataset_record",
    "holdout_rows",
    "list_datasets",
    "parquet_head",
    "preview_rows",
    "save_dataset_record",
    "target_task",
]

_SUMMARY_KEYS = (
    "dataset_id",
    "filename",
    "bytes",
    "rows",
    "columns",
    "format",
    "sha256",
    "uploaded_at",
)


def _record_path(root: DataRoot, dataset_id: str) -> Path:
    return root.layer("uploads") / f"{check_id(dataset_id, 'dataset id')}.json"


def save_dataset_record(root: DataRoot, record: dict[str, Any]) -> Path:
    """Store the record of an upload (``dataset_id`` required; ``uploaded_at`` added)."""
    record = {**record, "uploaded_at": record.get("uploaded_at") or utc_now()}
    return write_json(_record_path(root, str(record["dataset_id"])), record)


def dataset_record(root: DataRoot, dataset_id: str) -> dict[str, Any]:
    """The full record of one upload, its profile included.

    Raises:
        RunNotFoundError: no upload with that id.
    """
    path = _record_path(root, dataset_id)
    if not path.is_file():
        raise RunNotFoundError(
            f"No uploaded data set {dataset_id!r}; list them with GET /datasets."
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def list_datasets(root: DataRoot, limit: int = 200) -> list[dict[str, Any]]:
    """Uploads newest first, without their profiles."""
    folder = root.layer("uploads")
    if not folder.is_dir():
        return []
    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a record being replaced; the next listing has it
        out.append({k: record.get(k) for k in _SUMMARY_KEYS})
        if len(out) >= limit:
            break
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date | dt.time | dt.datetime | dt.timedelta):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _bronze(record: dict[str, Any]) -> Path:
    path = Path(str(record.get("bronze_path") or ""))
    if not record.get("bronze_path") or not path.exists():
        raise RunNotFoundError(
            f"The stored rows of data set {record.get('dataset_id')!r} are gone; upload it again."
        )
    return path


def preview_rows(record: dict[str, Any], n: int = 20) -> dict[str, Any]:
    """The first ``n`` rows of an upload's bronze table: ``{"columns": [...], "rows": [[...]]}``."""
    return parquet_head(_bronze(record), n)


def holdout_rows(root: DataRoot, run_id: str, n: int = 50) -> dict[str, Any]:
    """The first ``n`` holdout rows of a run (inputs, target, ``prediction``, ``proba_*``).

    Raises:
        RunNotFoundError: the run has no holdout predictions (not finished, or failed).
    """
    path = root.gold(check_id(run_id, "run id")) / "holdout.parquet"
    if not path.is_file():
        raise RunNotFoundError(f"Run {run_id} has no holdout predictions; is it completed?")
    return parquet_head(path, n)


def parquet_head(path: Path, n: int) -> dict[str, Any]:
    """The first ``n`` rows of a Parquet file or folder, JSON-safe."""
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    columns: list[str] = []
    rows: list[list[Any]] = []
    for file in files:
        parquet = pq.ParquetFile(file)
        columns = columns or list(parquet.schema_arrow.names)
        for batch in parquet.iter_batches(batch_size=max(1, n - len(rows))):
            for record_row in batch.to_pylist():
                rows.append([_jsonable(record_row.get(c)) for c in columns])
                if len(rows) >= n:
                    return {"columns": columns, "rows": rows}
    return {"columns": columns, "rows": rows}


def target_task(
    record: dict[str, Any],
    target: str,
    task: Literal["classification", "regression"] | None = None,
    test_size: float = 0.2,
) -> dict[str, Any]:
    """The task ``target`` would give (kind, subtype, classes, reason, ambiguity, notes), as
    :func:`fas_ray.ml.detect_task_from_frame` decides it for a run on this data set (``task``:
    the run's override), after the checks a run makes before its search: enough rows with a
    target to cross-validate and test, and no feature that gives the target exactly (a leak).

    Raises:
        InputError: no such column, a column no task can be learnt from, too few rows, or a
            leak.
    """
    from fas_ray.ml import detect_task_from_frame
    from fas_ray.ml._leak import check_learnable

    path = _bronze(record)
    frame = pl.read_parquet(path / "**/*.parquet" if path.is_dir() else path)
    try:
        info = detect_task_from_frame(frame, target, task_override=task)
    except FasRayError:
        raise
    except (ValueError, KeyError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"Cannot detect a task for {target!r}: {exc}") from None
    check_learnable(frame, info.target, classification=info.is_classification, test_size=test_size)
    return info.to_json()
