"""Shared by the tiers that must never start Ray (unit, contracts); imported by their conftest.

Like Ray Serve's unit ``conftest.py``, ``ray.init`` is made to raise for every test, so a code
path that would start a cluster fails loudly instead of silently spinning one up.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _refuse_ray_init(monkeypatch: pytest.MonkeyPatch) -> None:
    import ray  # lazily: collecting this tier must not depend on Ray's import side effects

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests must not start Ray")

    monkeypatch.setattr(ray, "init", refuse)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config) -> None:
    """Keep Hypothesis' cache under pytest's temporary folder instead of ``./.hypothesis``.

    Hypothesis caches the constants of local modules while pytest collects, so a fixture would
    run too late; this hook runs just before Hypothesis' own one.
    """
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(config._tmp_path_factory.mktemp("hypothesis"))
