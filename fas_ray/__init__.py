"""fas-ray: AutoML on Ray, from a file to a served model.

Importing fas_ray starts nothing: no Ray, no files, no logging handlers.
"""

from fas_ray.config import RunSpec, Settings
from fas_ray.exceptions import (
    ConfigError,
    FasRayError,
    InputError,
    ModelNotFoundError,
    PipelineError,
    RegistryError,
    RunNotFoundError,
    StorageError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "FasRayError",
    "InputError",
    "ModelNotFoundError",
    "PipelineError",
    "RegistryError",
    "RunNotFoundError",
    "RunSpec",
    "Settings",
    "StorageError",
    "__version__",
]
