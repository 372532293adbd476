"""Contract tier: every learner, registry and storage backend passes the same checks; like the
unit tier it never starts Ray (see tests/_tier_guard.py)."""

from tests._tier_guard import _refuse_ray_init, pytest_collection_modifyitems

__all__ = ["_refuse_ray_init", "pytest_collection_modifyitems"]
