"""SQLite registry: metadata in ``registry.sqlite``, model files under ``models/<id>/``.

Each model file's SHA-256 is recorded when it is registered and checked before the file is
unpickled: a file changed on disk afterwards (by accident or by someone who can write the
models folder but not the database) is refused instead of run.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import pickle
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fas_ray.exceptions import ModelNotFoundError, RegistryError
from fas_ray.manifest import utc_now
from fas_ray.registry._base import ModelInfo
from fas_ray.storage import atomic_write_bytes

__all__ = ["SQLiteRegistry"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    model_id   TEXT PRIMARY KEY,
    version    INTEGER NOT NULL DEFAULT 1,
    run_id     TEXT NOT NULL,
    task       TEXT NOT NULL,
    target     TEXT NOT NULL,
    learner    TEXT NOT NULL,
    metrics    TEXT NOT NULL,
    path       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    extra      TEXT NOT NULL DEFAULT '{}',
    sha256     TEXT NOT NULL DEFAULT ''
)
"""
_COLUMNS = (
    "model_id, version, run_id, task, target, learner, metrics, path, created_at, extra, sha256"
)
_VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays → Python values; anything else JSON cannot hold → error."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _to_json(what: str, value: dict[str, Any]) -> str:
    try:
        return json.dumps(value, default=_plain)
    except (TypeError, ValueError) as exc:
        raise RegistryError(f"The model's {what} cannot be stored as JSON: {exc}.") from None


class SQLiteRegistry:
    """A registry in one SQLite file with model pickles beside it.

    Args:
        db_path: the SQLite file (created on first write).
        models_dir: folder for ``<model_id>/model.pkl``.
    """

    def __init__(self, db_path: Path, models_dir: Path) -> None:
        self.db_path = Path(db_path)
        self.models_dir = Path(models_dir)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.db_path, timeout=30)
        except sqlite3.Error as exc:
            raise RegistryError(f"Cannot open the registry {self.db_path}: {exc}") from None
        try:
            conn.execute(_SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(models)")}
            if "sha256" not in columns:  # a registry written before hashes were recorded
                conn.execute("ALTER TABLE models ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''")
            with conn:
                yield conn
        except sqlite3.Error as exc:
            raise RegistryError(f"Registry error in {self.db_path}: {exc}") from None
        finally:
            conn.close()

    def save(
        self,
        model_id: str,
        model: Any,
        *,
        run_id: str,
        task: str,
        target: str,
        learner: str,
        metrics: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> ModelInfo:
        """Store ``model`` under ``model_id``; the file is written before the row, atomically."""
        if not _VALID_ID.fullmatch(model_id or ""):
            raise RegistryError(
                f"Invalid model id {model_id!r}; use 1-200 letters, digits, '-' and '_'."
            )
        metrics_json, extra_json = _to_json("metrics", metrics), _to_json("extra", extra or {})
        blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        model_dir = self.models_dir / model_id
        path = model_dir / "model.pkl"
        row = (
            model_id,
            1,
            run_id,
            task,
            target,
            learner,
            metrics_json,
            str(path),
            utc_now(),
            extra_json,
            hashlib.sha256(blob).hexdigest(),
        )
        with self._connect() as conn:
            # one writer at a time (others wait, up to the connection's timeout): the id check,
            # the file and the row happen together, so a second save of the same id can
            # neither overwrite nor delete the first one's file
            conn.execute("BEGIN IMMEDIATE")
            taken = conn.execute("SELECT 1 FROM models WHERE model_id = ?", (model_id,))
            if taken.fetchone() is not None:
                raise RegistryError(f"A model with id '{model_id}' is already registered.")
            atomic_write_bytes(path, blob)
            try:
                conn.execute(
                    f"INSERT INTO models ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except BaseException:
                shutil.rmtree(model_dir, ignore_errors=True)
                raise
        return self._to_info(row)

    def _row(self, model_id: str) -> tuple[Any, ...] | None:
        if not self.db_path.exists():
            return None
        with self._connect() as conn:
            row: tuple[Any, ...] | None = conn.execute(
                f"SELECT {_COLUMNS} FROM models WHERE model_id = ?", (model_id,)
            ).fetchone()
            return row

    @staticmethod
    def _to_info(row: tuple[Any, ...]) -> ModelInfo:
        mid, version, run_id, task, target, learner, metrics, path, created, extra, sha = row
        return ModelInfo(
            model_id=mid,
            version=version,
            run_id=run_id,
            task=task,
            target=target,
            learner=learner,
            metrics=json.loads(metrics),
            path=path,
            created_at=created,
            extra=json.loads(extra),
            sha256=sha,
        )

    def info(self, model_id: str) -> ModelInfo:
        row = self._row(model_id)
        if row is None:
            known = ", ".join(m.model_id for m in self.list()[:5]) or "none yet"
            raise ModelNotFoundError(
                f"No model '{model_id}' in the registry at {self.db_path} (recent: {known})."
            )
        return self._to_info(row)

    def load(self, model_id: str) -> Any:
        """The model, unpickled only after its file's SHA-256 matches the one recorded at
        registration (models registered before hashes were recorded are loaded as they are).

        Raises:
            RegistryError: the file is missing, unreadable, or changed since registration.
        """
        info = self.info(model_id)
        try:
            blob = Path(info.path).read_bytes()
        except OSError as exc:
            raise RegistryError(f"Cannot load model '{model_id}' from {info.path}: {exc}") from None
        if info.sha256 and hashlib.sha256(blob).hexdigest() != info.sha256:
            raise RegistryError(
                f"The file of model '{model_id}' ({info.path}) changed after it was registered "
                "(its SHA-256 differs); it is not loaded. Restore the file or register the "
                "model again."
            )
        try:
            return pickle.loads(blob)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise RegistryError(f"Cannot load model '{model_id}' from {info.path}: {exc}") from None

    def list(self) -> builtins.list[ModelInfo]:
        if not self.db_path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM models ORDER BY created_at DESC, model_id"
            ).fetchall()
        return [self._to_info(r) for r in rows]
