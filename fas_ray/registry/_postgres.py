"""PostgreSQL registry for a cluster: many nodes and runs register at once through one server.

The rows live in PostgreSQL (``FAS_RAY_REGISTRY_URL=postgresql://user@host:port/db``); the model
files, as with SQLite, under the data root's ``models/`` folder, which on a cluster is storage
every node mounts. Writers serialise on a table lock, so ids are taken once and versions are
distinct; readers never wait. Needs the ``postgres`` extra (psycopg 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fas_ray.exceptions import ConfigError, RegistryError
from fas_ray.registry._sql import TABLE, Connection, SQLRegistry

__all__ = ["PostgresRegistry"]

_SCHEMA_LOCK = 7_242_001  # advisory lock id: two first writers must not both create the table


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class PostgresRegistry(SQLRegistry):
    """A registry whose rows live in PostgreSQL.

    Args:
        url: a libpq URL or conninfo string (``postgresql://user:pw@host:port/dbname``).
        models_dir: folder for ``<model_id>/model.pkl`` (shared by every node).
    """

    _placeholder = "%s"

    def __init__(self, url: str, models_dir: Path) -> None:
        try:
            import psycopg
            from psycopg.conninfo import conninfo_to_dict
        except ImportError:
            raise ConfigError(
                "The registry URL names PostgreSQL but psycopg is not installed; "
                "install it with: pip install 'fas-ray[postgres]'."
            ) from None
        try:
            parts: dict[str, Any] = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise ConfigError(
                f"The registry URL is not a PostgreSQL URL ({_one_line(exc)}); "
                "use postgresql://user@host:port/dbname."
            ) from None
        self._psycopg = psycopg
        self.url = url
        self.models_dir = Path(models_dir)
        self._where = "postgresql://{}@{}:{}/{}".format(
            parts.get("user", ""),
            parts.get("host", "localhost"),
            parts.get("port", 5432),
            parts.get("dbname", ""),
        )
        self._ready = False

    @property
    def where(self) -> str:
        return self._where

    def __repr__(self) -> str:  # the URL may hold a password
        return f"PostgresRegistry({self._where!r}, {str(self.models_dir)!r})"

    def _lock_for_write(self, conn: Connection) -> None:
        # conflicts with itself and with inserts, not with reads
        conn.execute("LOCK TABLE models IN SHARE ROW EXCLUSIVE MODE")

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self.url, connect_timeout=10)
        except psycopg.Error as exc:
            raise RegistryError(
                f"Cannot reach the registry at {self._where}: {_one_line(exc)}"
            ) from None
        try:
            with conn:
                if not self._ready:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                    conn.execute(TABLE)
                    conn.commit()
                    self._ready = True
                yield conn
        except psycopg.Error as exc:
            raise RegistryError(f"Registry error in {self._where}: {_one_line(exc)}") from None
