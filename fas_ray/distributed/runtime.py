"""Start a local Ray or join a cluster."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator

import ray

from fas_ray.config import Settings

__all__ = ["ray_session"]

log = logging.getLogger("fas_ray.distributed")


def _quiet_env() -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Tune's default TensorBoardX logger imports torch in the driver when it is installed
    # (slow, and it has crashed a job here); the search passes CSV + JSON loggers instead.
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("RAY_TRAIN_V2_ENABLED", "0")


def _quiet_loggers() -> None:
    for name in ("ray.train", "ray.serve", "ray.air"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # Tune warns about trials the time budget cut short ("Failed to fetch metrics"): expected.
    logging.getLogger("ray.tune").setLevel(logging.ERROR)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    # Ray Data warns while the shuffle's actors hold every CPU for a moment; not actionable.
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ray.data.DataContext.get_current().print_on_execution_start = False


@contextlib.contextmanager
def ray_session(settings: Settings, dashboard: bool = False) -> Iterator[str]:
    """Use Ray for the duration of the block; yields where it runs (``local`` or the address).

    ``dashboard`` starts the embedded Ray with its dashboard on 127.0.0.1 (the Jobs API the
    pipeline API submits runs to; port 8265 or the next free one).

    Joins ``settings.ray_address`` or ``$RAY_ADDRESS`` when set, else starts a local Ray with
    a capped object store. A Ray that is already initialised is used as it is and left running;
    one started here is shut down on exit.
    """
    _quiet_env()
    if ray.is_initialized():
        yield "existing"
        return
    on_main = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if on_main else None
    address = settings.ray_address or os.environ.get("RAY_ADDRESS")
    common = dict(logging_level=logging.WARNING, log_to_driver=False, configure_logging=True)
    if address:
        host = address.split("://")[-1].rsplit(":", 1)[0]
        if host in ("127.0.0.1", "localhost"):
            # Without this Ray swaps 127.0.0.1 for the eth0 address and the driver hangs.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        ray.init(address=address, **common)  # type: ignore[arg-type]
        where = address
    else:
        # The embedded Ray is private to this process: keep it on loopback, without a token.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        ray.init(
            num_cpus=settings.num_cpus,
            object_store_memory=settings.object_store_mb * 1024 * 1024,
            include_dashboard=dashboard,
            dashboard_host="127.0.0.1",
            **common,  # type: ignore[arg-type]
        )
        where = "local"
    if on_main and callable(sigterm):
        # ray.init installs its own SIGTERM handler in the driver (it logs and exits 1): the
        # caller's, which unwinds so the run records "interrupted", is put back
        signal.signal(signal.SIGTERM, sigterm)
    _quiet_loggers()
    log.info("Ray ready (%s): %s", where, ray.cluster_resources())
    try:
        yield where
    finally:
        ray.shutdown()


def cluster_cpus() -> int:
    """CPUs in the connected cluster (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
