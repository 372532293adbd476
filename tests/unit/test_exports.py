"""Exported names, in the spirit of httpx's tests/test_exported_members.py."""

from __future__ import annotations

import importlib
import importlib.metadata
import types

import pytest

import fas_ray

PACKAGES = (
    "fas_ray",
    "fas_ray.etl",
    "fas_ray.ml",
    "fas_ray.ml.learners",
    "fas_ray.features",
    "fas_ray.clustering",
    "fas_ray.text",
    "fas_ray.registry",
    "fas_ray.storage",
    "fas_ray.ingest",
    "fas_ray.explain",
    "fas_ray.exceptions",
)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(set(exported)) == len(exported), "duplicates in __all__"
    missing = [member for member in exported if not hasattr(module, member)]
    assert missing == []


# fas_ray.ml.learners imports each learner class only to build LEARNERS; it is not a facade
FACADES = tuple(name for name in PACKAGES if name != "fas_ray.ml.learners")


@pytest.mark.parametrize("name", FACADES)
def test_every_public_name_is_exported(name: str) -> None:
    """What a facade imports for its users is listed in ``__all__`` (submodules aside)."""
    module = importlib.import_module(name)
    public = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name).startswith("fas_ray")
    }
    assert public - set(module.__all__) == set()


@pytest.mark.parametrize("name", PACKAGES)
def test_star_import_gives_exactly_all(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)  # noqa: S102
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(importlib.import_module(name).__all__)


def test_errors_share_one_root() -> None:
    errors = [getattr(fas_ray, n) for n in fas_ray.__all__ if n.endswith("Error")]
    assert len(errors) == 9
    assert all(issubclass(e, fas_ray.FasRayError) for e in errors)
    assert issubclass(fas_ray.ModelNotFoundError, fas_ray.RegistryError)


def test_version_matches_the_distribution() -> None:
    assert fas_ray.__version__ == importlib.metadata.version("fas-ray")
