"""Model registry: versions, metrics and lineage to the run that made each model."""

from fas_ray.registry._base import ModelInfo, Registry
from fas_ray.registry._sqlite import SQLiteRegistry

__all__ = ["ModelInfo", "Registry", "SQLiteRegistry"]
