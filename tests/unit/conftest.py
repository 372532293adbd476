"""Unit tier: fast, in-process tests that never start Ray (see tests/_tier_guard.py)."""

from tests._tier_guard import _refuse_ray_init, pytest_collection_modifyitems

__all__ = ["_refuse_ray_init", "pytest_collection_modifyitems"]
