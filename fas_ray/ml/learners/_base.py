"""The learner interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fas_ray.ml._space import Domain
    from fas_ray.ml._task import TaskInfo

__all__ = ["Learner"]


class Learner(Protocol):
    """A model family the search can choose.

    ``search_space()`` maps parameter names to domains; ``make_estimator()`` turns one sampled
    configuration into an unfitted scikit-learn-compatible estimator. Classification labels are
    always encoded as ``0..k-1`` before ``fit``.
    """

    name: str

    def search_space(self) -> dict[str, Domain]: ...

    def make_estimator(
        self, params: dict[str, Any], task: TaskInfo, seed: int, n_jobs: int = 1
    ) -> Any: ...
