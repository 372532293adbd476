"""Work split over Ray tasks (a task per CPU at a time), on any node of the cluster: a panel's
series (one task each), a large corpus's sentence embeddings (one task per chunk)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ray

__all__ = ["ray_map", "ray_map_if_running"]

T = TypeVar("T")
R = TypeVar("R")


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


def ray_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[fn(item) for item in items]`` as Ray tasks (one CPU each), results in order.

    ``fn`` is put in the object store once; it must pickle (a bound method of a plain object
    does). Use inside :func:`~fas_ray.distributed.ray_session`.
    """
    if len(items) <= 1:
        return [fn(item) for item in items]
    task = ray.remote(num_cpus=1)(_call)
    fn_ref = ray.put(fn)
    return list(ray.get([task.remote(fn_ref, item) for item in items]))


def ray_map_if_running(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """:func:`ray_map` when Ray is initialised (a pipeline run, a search's session), else
    ``[fn(item) for item in items]`` here: starting Ray for one map costs more than it gives."""
    if not ray.is_initialized():
        return [fn(item) for item in items]
    return ray_map(fn, items)
