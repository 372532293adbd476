"""What the SQL registries share: the table, the write protocol and the hash check at load.

A backend says how to connect, how to take the one-writer lock and how its parameters are
written; everything else (ids, versions, JSON columns, the model file beside the row) is here,
so SQLite on one machine and PostgreSQL on a cluster behave the same (one contract suite).

Versions: a model's ``version`` is 1 + the number of models registered before it for the same
target and task, assigned under the writer lock, so concurrent runs get distinct versions.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import pickle
import re
import shutil
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from fas_ray.exceptions import ModelNotFoundError, RegistryError
from fas_ray.manifest import utc_now
from fas_ray.registry._base import ModelInfo
from fas_ray.storage import atomic_write_bytes

__all__ = ["COLUMNS", "SQLRegistry", "TABLE"]

TABLE = """
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
COLUMNS = (
    "model_id, version, run_id, task, target, learner, metrics, path, created_at, extra, sha256"
)
_LAST_VERSION = "SELECT COALESCE(MAX(version), 0) FROM models WHERE target = ? AND task = ?"
_INSERT = f"INSERT INTO models ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")


class _Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> builtins.list[Any]: ...


class Connection(Protocol):
    """The part of a DB-API connection the registry uses (sqlite3 and psycopg 3 both have it)."""

    def execute(self, sql: str, params: Any = ...) -> _Cursor: ...


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


def _to_info(row: tuple[Any, ...]) -> ModelInfo:
    mid, version, run_id, task, target, learner, metrics, path, created, extra, sha = row
    return ModelInfo(
        model_id=mid,
        version=int(version),
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


class SQLRegistry:
    """Rows in a ``models`` table, each model's pickle under ``models_dir/<model_id>/``.

    Subclasses provide :meth:`_connect` (a connection whose context commits or rolls back),
    :meth:`_lock_for_write` and, when their driver does not take ``?``, :attr:`_placeholder`.
    """

    models_dir: Path
    _placeholder = "?"

    # -- what a backend provides -----------------------------------------------------------
    def _connect(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _lock_for_write(self, conn: Connection) -> None:
        """Make this transaction the only writer until it ends."""
        raise NotImplementedError

    def _has_table(self) -> bool:
        """False when nothing was ever written (reads then create nothing)."""
        return True

    @property
    def where(self) -> str:
        """The registry's location for messages (never a password)."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

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
        with self._connect() as conn:
            # one writer at a time (others wait): the id check, the version, the file and the
            # row happen together, so a second save of the same id can neither overwrite nor
            # delete the first one's file, and two runs never get the same version
            self._lock_for_write(conn)
            taken = conn.execute(self._sql("SELECT 1 FROM models WHERE model_id = ?"), (model_id,))
            if taken.fetchone() is not None:
                raise RegistryError(f"A model with id '{model_id}' is already registered.")
            last = conn.execute(self._sql(_LAST_VERSION), (target, task)).fetchone()
            row = (
                model_id,
                int(last[0]) + 1,
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
            atomic_write_bytes(path, blob)
            try:
                conn.execute(self._sql(_INSERT), row)
            except BaseException:
                shutil.rmtree(model_dir, ignore_errors=True)
                raise
        return _to_info(row)

    def _row(self, model_id: str) -> tuple[Any, ...] | None:
        if not self._has_table():
            return None
        with self._connect() as conn:
            row: tuple[Any, ...] | None = conn.execute(
                self._sql(f"SELECT {COLUMNS} FROM models WHERE model_id = ?"), (model_id,)
            ).fetchone()
            return row

    def info(self, model_id: str) -> ModelInfo:
        row = self._row(model_id)
        if row is None:
            known = ", ".join(m.model_id for m in self.list()[:5]) or "none yet"
            raise ModelNotFoundError(
                f"No model '{model_id}' in the registry at {self.where} (recent: {known})."
            )
        return _to_info(row)

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
        if not self._has_table():
            return []
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM models ORDER BY created_at DESC, model_id"
            ).fetchall()
        return [_to_info(tuple(r)) for r in rows]
