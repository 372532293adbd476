"""The registry interface every backend implements (see tests/contracts/test_registry_contract)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["ModelInfo", "Registry"]


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about one model."""

    model_id: str
    run_id: str
    task: str
    target: str
    learner: str
    metrics: dict[str, Any]
    path: str
    created_at: str
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""  # of the model file, recorded at registration ("": registered before)

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "version": self.version,
            "run_id": self.run_id,
            "task": self.task,
            "target": self.target,
            "learner": self.learner,
            "metrics": self.metrics,
            "path": self.path,
            "created_at": self.created_at,
            "extra": self.extra,
            "sha256": self.sha256,
        }


class Registry(Protocol):
    """Stores models and their metadata; ids are unique and a saved model never changes (a
    model file changed after registration is refused at load)."""

    def save(
        self,
        model_id: str,
        model: Any,
        *,
        run_id: str,
        task: str,
        target: str,
        learner: str,
        metrics: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> ModelInfo: ...

    def load(self, model_id: str) -> Any: ...

    def info(self, model_id: str) -> ModelInfo: ...

    def list(self) -> builtins.list[ModelInfo]: ...
