"""What the pipeline API checks before it starts a run's job, so that a request bound to fail
gets its one-line error at once (HTTP 422) instead of a job that fails a minute later.

- A URL whose host is an IP address or ``localhost`` in a private, loopback or link-local range,
  where the server does not scrape those (names that need DNS are checked by the crawl itself,
  at every redirect).
- For an uploaded data set (no larger than ``PRECHECK_MAX_BYTES`` of bronze Parquet): the
  target column and its task, enough rows to cross-validate and test, and no feature that gives
  the target exactly (:func:`fas_ray.service.target_task`).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx

from fas_ray.exceptions import InputError
from fas_ray.service._datasets import dataset_record, target_task
from fas_ray.service._runs import RunRequest
from fas_ray.storage import DataRoot

__all__ = ["PRECHECK_MAX_BYTES", "precheck_run"]

PRECHECK_MAX_BYTES = 64 << 20


def _private_host(url: str) -> str | None:
    """The host of ``url`` when it is ``localhost`` or an address outside the public ranges."""
    from fas_ray.ingest.scrape._guard import is_public_address

    host = httpx.URL(url).host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: the crawl resolves it and checks every address it gets
    return None if is_public_address(address) else host


def _bronze_bytes(record: dict[str, object]) -> int:
    path = Path(str(record.get("bronze_path", "")))
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*.parquet"))
    return path.stat().st_size if path.is_file() else 0


def precheck_run(run: RunRequest, root: DataRoot, allow_private: bool) -> None:
    """Raise what the run's job would stop on, where it can be known without the job.

    Raises:
        InputError: a private URL the server refuses, or a target no run can learn from.
    """
    if run.url is not None and not (allow_private and run.allow_private is not False):
        host = _private_host(run.url)
        if host is not None:
            raise InputError(
                f"The URL {run.url} points to a private or loopback address ({host}); this "
                "server does not scrape those (allow_private_urls: false)."
            )
    task = run.task
    if run.dataset_id is None or run.etl_only or not run.target:
        return
    if task == "forecast" or task == "clustering":
        return
    record = dataset_record(root, run.dataset_id)
    if _bronze_bytes(record) <= PRECHECK_MAX_BYTES:
        target_task(record, run.target, task)
