"""SQLite registry: metadata in ``registry.sqlite``, model files under ``models/<id>/``.

Each model file's SHA-256 is recorded when it is registered and checked before the file is
unpickled: a file changed on disk afterwards (by accident or by someone who can write the
models folder but not the database) is refused instead of run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fas_ray.exceptions import RegistryError
from fas_ray.registry._sql import TABLE, Connection, SQLRegistry

__all__ = ["SQLiteRegistry"]


class SQLiteRegistry(SQLRegistry):
    """A registry in one SQLite file with model pickles beside it (one machine).

    Args:
        db_path: the SQLite file (created on first write).
        models_dir: folder for ``<model_id>/model.pkl``.
    """

    def __init__(self, db_path: Path, models_dir: Path) -> None:
        self.db_path = Path(db_path)
        self.models_dir = Path(models_dir)

    @property
    def where(self) -> str:
        return str(self.db_path)

    def _has_table(self) -> bool:
        return self.db_path.exists()

    def _lock_for_write(self, conn: Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.db_path, timeout=30)
        except sqlite3.Error as exc:
            raise RegistryError(f"Cannot open the registry {self.db_path}: {exc}") from None
        try:
            conn.execute(TABLE)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(models)")}
            if "sha256" not in columns:  # a registry written before hashes were recorded
                conn.execute("ALTER TABLE models ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''")
            with conn:
                yield conn
        except sqlite3.Error as exc:
            raise RegistryError(f"Registry error in {self.db_path}: {exc}") from None
        finally:
            conn.close()
