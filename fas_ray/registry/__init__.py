"""Model registry: versions, metrics and lineage to the run that made each model.

One machine keeps its registry in the data root's SQLite file; a cluster points every node at
one PostgreSQL database with ``FAS_RAY_REGISTRY_URL`` (:func:`open_registry` picks).
"""

from fas_ray.registry._base import ModelInfo, Registry
from fas_ray.registry._open import REGISTRY_URL_ENV, open_registry
from fas_ray.registry._postgres import PostgresRegistry
from fas_ray.registry._sqlite import SQLiteRegistry

__all__ = [
    "REGISTRY_URL_ENV",
    "ModelInfo",
    "PostgresRegistry",
    "Registry",
    "SQLiteRegistry",
    "open_registry",
]
