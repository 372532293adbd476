"""The model search without Ray: a shared Optuna study (coordinator), the per-configuration
CV with pruning, and an in-process loop. ``fas_ray.distributed.search`` runs the same loop in
Ray Tune trials spread over the cluster."""

from fas_ray.search._coordinator import ConfigResult, SearchCoordinator, Ticket
from fas_ray.search._evaluate import Folds, evaluate_config
from fas_ray.search._local import search_in_process
from fas_ray.search._result import SearchResult, TrialRecord, search_result

__all__ = [
    "ConfigResult",
    "Folds",
    "SearchCoordinator",
    "SearchResult",
    "Ticket",
    "TrialRecord",
    "evaluate_config",
    "search_in_process",
    "search_result",
]
