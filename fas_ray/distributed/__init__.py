"""The only place (with serve_apps/) that imports Ray: runtime, Ray Data ETL, Ray Tune search."""

from fas_ray.distributed.etl import run_etl
from fas_ray.distributed.forecast import ray_map, ray_map_if_running
from fas_ray.distributed.runtime import ray_session
from fas_ray.distributed.search import SearchResult, TrialRecord, run_search

__all__ = [
    "SearchResult",
    "TrialRecord",
    "ray_map",
    "ray_map_if_running",
    "ray_session",
    "run_etl",
    "run_search",
]
