"""Which registry to open: a data root's SQLite file, or ``$FAS_RAY_REGISTRY_URL``'s database."""

from __future__ import annotations

import os
from pathlib import Path

from fas_ray.exceptions import ConfigError
from fas_ray.registry._base import Registry
from fas_ray.registry._postgres import PostgresRegistry
from fas_ray.registry._sqlite import SQLiteRegistry

__all__ = ["REGISTRY_URL_ENV", "open_registry"]

REGISTRY_URL_ENV = "FAS_RAY_REGISTRY_URL"


def open_registry(db_path: Path, models_dir: Path, url: str | None = None) -> Registry:
    """The registry at ``url`` (else ``$FAS_RAY_REGISTRY_URL``), else the SQLite file ``db_path``.

    Raises:
        ConfigError: the URL's scheme is not one fas-ray can store a registry in.
    """
    url = url or os.environ.get(REGISTRY_URL_ENV) or None
    if url is None:
        return SQLiteRegistry(db_path, models_dir)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres"):
        return PostgresRegistry(url, models_dir)
    # never echo the URL itself: it may hold a password
    what = f"a '{scheme}://' URL" if scheme else "not a URL"
    raise ConfigError(
        f"{REGISTRY_URL_ENV} is {what}; give postgresql://user@host:port/dbname, or unset it "
        "to use the data root's SQLite registry."
    )
