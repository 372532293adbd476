"""Which registry a data root uses: its SQLite file, or the database of FAS_RAY_REGISTRY_URL."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from fas_ray.exceptions import ConfigError, RegistryError
from fas_ray.registry import (
    REGISTRY_URL_ENV,
    PostgresRegistry,
    SQLiteRegistry,
    open_registry,
)


def test_without_a_url_the_data_roots_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REGISTRY_URL_ENV, raising=False)
    registry = open_registry(tmp_path / "registry.sqlite", tmp_path / "models")
    assert isinstance(registry, SQLiteRegistry)
    assert registry.db_path == tmp_path / "registry.sqlite"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_the_environments_url_selects_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    monkeypatch.setenv(REGISTRY_URL_ENV, f"{scheme}://fas:secret@db:5433/models")
    registry = open_registry(tmp_path / "registry.sqlite", tmp_path / "models")
    assert isinstance(registry, PostgresRegistry)
    assert registry.where == "postgresql://fas@db:5433/models"  # never the password
    assert "secret" not in repr(registry)
    assert registry.models_dir == tmp_path / "models"


def test_an_explicit_url_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REGISTRY_URL_ENV, "mysql://x")
    registry = open_registry(tmp_path / "r.sqlite", tmp_path / "m", "postgresql://a@b/c")
    assert isinstance(registry, PostgresRegistry)


@pytest.mark.parametrize(
    "url, says",
    [
        ("mysql://fas:hunter2@db/models", "a 'mysql://' URL"),
        ("host=db password=hunter2", "not a URL"),
    ],
)
def test_an_unsupported_url_is_refused_without_echoing_it(
    tmp_path: Path, url: str, says: str
) -> None:
    with pytest.raises(ConfigError, match=says) as err:
        open_registry(tmp_path / "r.sqlite", tmp_path / "m", url)
    message = str(err.value)
    assert "hunter2" not in message and "\n" not in message
    assert "postgresql://user@host:port/dbname" in message
    assert not (tmp_path / "r.sqlite").exists()


def test_an_unreachable_server_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    registry = PostgresRegistry(f"postgresql://fas:pw@127.0.0.1:{port}/models", tmp_path)
    with pytest.raises(
        RegistryError,
        match=f"Cannot reach the registry at postgresql://fas@127.0.0.1:{port}/models",
    ) as err:
        registry.list()
    assert "\n" not in str(err.value) and "pw" not in str(err.value).replace("postgresql", "")


def test_the_apps_take_the_url_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serve_apps.model_app import ModelAppArgs

    monkeypatch.setenv(REGISTRY_URL_ENV, "postgresql://fas:pw@db/models")
    args = ModelAppArgs(data_root=str(tmp_path))
    assert args.registry_url == "postgresql://fas:pw@db/models"
    assert "pw@" not in repr(args)
    monkeypatch.delenv(REGISTRY_URL_ENV)
    assert ModelAppArgs(data_root=str(tmp_path)).registry_url is None
