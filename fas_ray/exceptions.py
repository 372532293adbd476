"""The exceptions fas-ray raises.

Every error fas-ray raises on purpose derives from :class:`FasRayError`, so callers can catch one
type. The tree::

    FasRayError
    ├── InputError          bad user input: a missing or unreadable file, an unknown column, ...
    ├── ConfigError         an invalid setting or run option
    ├── StorageError        a layer or artifact could not be read or written
    ├── RegistryError       the model registry failed
    │   └── ModelNotFoundError
    ├── RunNotFoundError    no run with that id under the data root
    ├── MissingDependencyError  an optional extra (a packaged model, torch) is not installed
    └── PipelineError       a stage failed for a reason that is not the user's input

Messages name the problem and what would fix it, on one line.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FasRayError",
    "InputError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "PipelineError",
    "RegistryError",
    "RunNotFoundError",
    "StorageError",
]


class FasRayError(Exception):
    """Root of every error fas-ray raises on purpose."""


class InputError(FasRayError):
    """The input data or its description is unusable (file, format, columns, target)."""


class ConfigError(FasRayError):
    """A setting or run option is invalid."""


class StorageError(FasRayError):
    """A layer or artifact could not be read or written."""


class RegistryError(FasRayError):
    """The model registry failed."""


class ModelNotFoundError(RegistryError):
    """No model with the requested id is registered."""


class RunNotFoundError(FasRayError):
    """No run with the requested id exists under the data root."""


class MissingDependencyError(FasRayError):
    """An optional dependency is not installed; the message names the extra to install."""


class PipelineError(FasRayError):
    """A pipeline stage failed for a reason other than bad input."""
