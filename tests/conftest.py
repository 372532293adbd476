"""Shared test settings: quiet, local-only Ray; data under pytest's tmp_path."""

from __future__ import annotations

import os

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.pop("RAY_ADDRESS", None)
os.environ.pop("FAS_RAY_DATA_ROOT", None)
os.environ.pop("FAS_RAY_REGISTRY_URL", None)

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests._postgres import INSTALL_HINT, PostgresServer, running_server, server_bin  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on loopback for the session (started only when a test asks)."""
    bindir = server_bin()
    if bindir is None:
        pytest.skip(f"PostgreSQL's server is not installed ({INSTALL_HINT})")
    with running_server(bindir) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty database on the session's server."""
    with postgres_server.database() as url:
        yield url
