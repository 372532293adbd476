"""Run the Serve apps of a Serve config from the CLI (``fas-ray serve``).

The config is the ``serve build`` format (serve_apps/config.yaml): each application's
``import_path`` names a builder that takes its ``args``. ``fas-ray serve`` sets the data root,
the bind address and the token in every application's args, starts an embedded Ray with its
dashboard (the Jobs API runs are submitted to) unless it joins a cluster, and deploys them all.
"""

from __future__ import annotations

import importlib
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from ray import serve

from fas_ray.config import Settings
from fas_ray.distributed.runtime import ray_session
from fas_ray.exceptions import ConfigError

__all__ = ["DEFAULT_CONFIG", "load_serve_config", "serve_apps"]

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "serve_apps" / "config.yaml"


def _default_config() -> Path:
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    import serve_apps

    return Path(serve_apps.__file__).with_name("config.yaml")


def load_serve_config(path: Path | None = None) -> dict[str, Any]:
    """The Serve config at ``path`` (default: serve_apps/config.yaml), checked for the fields
    ``fas-ray serve`` uses.

    Raises:
        ConfigError: unreadable YAML or an application without name / import_path.
    """
    path = Path(path) if path else _default_config()
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Cannot read the Serve config {path}: {exc}") from None
    apps = config.get("applications") if isinstance(config, dict) else None
    if not apps or not all(
        isinstance(a, dict) and "import_path" in a and "name" in a for a in apps
    ):
        raise ConfigError(
            f"{path} needs an 'applications' list whose entries have name and import_path."
        )
    return config


def _builder(import_path: str) -> Callable[[dict[str, Any]], Any]:
    module, _, attr = import_path.replace(":", ".").rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"Cannot import the Serve app builder {import_path!r}: {exc}") from None


def serve_apps(
    settings: Settings,
    host: str,
    port: int,
    api_token: str | None,
    config_path: Path | None = None,
    on_ready: Callable[[str, list[str]], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Deploy every application of the Serve config on ``host:port`` until SIGINT / SIGTERM
    (or ``stop`` is set)."""
    config = load_serve_config(config_path)
    stop = stop or threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ray_session(settings, dashboard=True):
            serve.start(http_options={"host": host, "port": port})
            routes = []
            try:
                for app in config["applications"]:
                    args = {
                        **(app.get("args") or {}),
                        "data_root": str(settings.data_root),
                        "host": host,
                        "api_token": api_token,
                    }
                    try:
                        built = _builder(app["import_path"])(args)
                    except ValueError as exc:  # pydantic's ValidationError of the builder args
                        raise ConfigError(f"Serve app {app['name']}: {exc}") from None
                    prefix = app.get("route_prefix", "/")
                    serve.run(built, name=app["name"], route_prefix=prefix, blocking=False)
                    routes.append(f"{app['name']} at {prefix}")
                if on_ready:
                    on_ready(f"http://{host}:{port}", routes)
                stop.wait()
            finally:
                serve.shutdown()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
