"""A large corpus's sentence embeddings as Ray tasks: the same numbers as in one process."""

from __future__ import annotations

import numpy as np
import pytest

from fas_ray.distributed import ray_map
from fas_ray.text import SentenceEncoder
from fas_ray.text._encoder import _CACHE

pytestmark = pytest.mark.integration


def test_embeddings_in_ray_tasks_equal_those_of_one_process(ray_local: None) -> None:
    rng = np.random.default_rng(0)
    words = np.array("the film was good bad long short funny dull a plot with actors".split())
    docs = [" ".join(rng.choice(words, rng.integers(3, 20))) for _ in range(150)]
    _CACHE.clear()
    here = SentenceEncoder().encode(docs)
    calls: list[int] = []

    def counted(fn, items):  # type: ignore[no-untyped-def]
        calls.append(len(items))
        return ray_map(fn, items)

    _CACHE.clear()
    spread = SentenceEncoder(parallel_min_docs=100, chunk_docs=64).encode(docs, map_fn=counted)
    assert calls == [3], "150 documents in chunks of 64: three Ray tasks"
    assert here is not None and spread is not None
    np.testing.assert_allclose(spread, here, atol=1e-5)
