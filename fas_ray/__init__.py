"""fas-ray: AutoML on Ray, from a file to a served model.

Importing fas_ray starts nothing: no Ray, no files, no logging handlers.
"""

from fas_ray.config import RunSpec, Settings
from fas_ray.exceptions import (
    ConfigError,
    FasRayError,
    InputError,
    MissingDependencyError,
    ModelNotFoundError,
    PipelineError,
    RegistryError,
    RunNotFoundError,
    StorageError,
)

__version__ = "0.1.0"

_LAZY = {"AutoML": "fas_ray.automl", "load": "fas_ray.automl"}


def __getattr__(name: str) -> object:
    """``fas_ray.AutoML`` and ``fas_ray.load``, imported on first use (importing fas_ray stays
    light)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fas_ray' has no attribute {name!r}")


__all__ = [
    "AutoML",
    "ConfigError",
    "FasRayError",
    "InputError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "PipelineError",
    "RegistryError",
    "RunNotFoundError",
    "RunSpec",
    "Settings",
    "StorageError",
    "__version__",
    "load",
]
