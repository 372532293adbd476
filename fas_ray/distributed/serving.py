"""Run the Serve apps from the CLI (``fas-ray serve``)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from ray import serve

from fas_ray.config import Settings
from fas_ray.distributed.runtime import ray_session

__all__ = ["serve_models"]


def serve_models(
    settings: Settings,
    host: str,
    port: int,
    api_token: str | None,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve the model app on ``host:port`` until SIGINT / SIGTERM (or ``stop`` is set)."""
    from serve_apps.model_app import build

    stop = stop or threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ray_session(settings):
            serve.start(http_options={"host": host, "port": port})
            app = build({"data_root": str(settings.data_root), "api_token": api_token})
            serve.run(app, name="models", route_prefix="/", blocking=False)
            if on_ready:
                on_ready(f"http://{host}:{port}")
            try:
                stop.wait()
            finally:
                serve.shutdown()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
