"""The contract tier's guard: starting Ray from a contract test fails instead of starting one."""

from __future__ import annotations

import pytest


def test_ray_init_is_refused() -> None:
    import ray

    before = ray.is_initialized()  # True only when another tier's Ray shares this session
    with pytest.raises(RuntimeError, match="unit tests must not start Ray"):
        ray.init(num_cpus=1)
    assert ray.is_initialized() == before
