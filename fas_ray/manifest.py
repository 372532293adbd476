"""RunManifest: what a run read, how it was configured, what it wrote, how long each stage took.

A manifest moves ``created → running → completed | failed`` and is rewritten atomically after each
change, so a reader never sees half a file and a crashed run still says how far it got.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from fas_ray.exceptions import RunNotFoundError, StorageError
from fas_ray.storage import write_json

__all__ = ["RunManifest", "RunStatus", "StageRecord", "new_run_id", "utc_now"]

RunStatus = Literal["created", "running", "completed", "failed"]
_TRANSITIONS: dict[str, set[str]] = {
    "created": {"running", "failed"},
    "running": {"completed", "failed"},
    "completed": set(),
    "failed": set(),
}


def _process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])  # field 22, after the command's name


def _alive(pid: int, started: int | None) -> bool:
    """Whether process ``pid`` runs and is the one that started at ``started``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    return started is None or _process_start(pid) in (started, None)


def utc_now() -> str:
    """The current UTC time as an ISO-8601 string."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    """A sortable, unique run id such as ``20261127-173600-3f9a1c``."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


class StageRecord(BaseModel):
    """One stage's timing and outcome."""

    name: str
    status: Literal["running", "completed", "failed"] = "running"
    started_at: str = Field(default_factory=utc_now)
    seconds: float | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class RunManifest(BaseModel):
    """The record of one run, saved as ``runs/<run_id>/manifest.json``."""

    run_id: str
    status: RunStatus = "created"
    source: str
    sha256: str | None = None
    dataset_id: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    artifacts: dict[str, str] = Field(default_factory=dict)
    stages: list[StageRecord] = Field(default_factory=list)
    model_id: str | None = None
    error: str | None = None
    # the process that runs it (host, pid, start ticks): a run whose process is gone without
    # recording its end reads as interrupted (see :meth:`settle_if_orphaned`)
    driver: dict[str, Any] | None = None
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)

    path: Path | None = Field(default=None, exclude=True)

    # -- persistence -------------------------------------------------------------------------
    def save(self) -> None:
        """Write the manifest atomically to its path (set by :meth:`create` or :meth:`load`)."""
        if self.path is None:
            raise StorageError("This manifest has no path; create it with RunManifest.create().")
        self.updated_at = utc_now()
        write_json(self.path, self.model_dump(mode="json"))

    @classmethod
    def create(cls, run_dir: Path, **fields: Any) -> RunManifest:
        manifest = cls(**fields)
        manifest.path = Path(run_dir) / "manifest.json"
        manifest.save()
        return manifest

    @classmethod
    def load(cls, path: Path) -> RunManifest:
        path = Path(path)
        if path.is_dir():
            path = path / "manifest.json"
        if not path.is_file():
            raise RunNotFoundError(f"No manifest at {path}; check the run id and --data-root.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise StorageError(f"Cannot read the manifest {path}: {exc}") from None
        manifest = cls.model_validate(data)
        manifest.path = path
        return manifest

    # -- transitions -------------------------------------------------------------------------
    def _move(self, status: RunStatus, reason: str | None = None) -> None:
        """Change status (and error) and save; on a refused move or a failed save, nothing
        changes in memory."""
        if status not in _TRANSITIONS[self.status]:
            raise StorageError(f"A run cannot go from '{self.status}' to '{status}'.")
        before = self.model_copy(deep=True)
        self.status = status
        if reason is not None:
            self.error = reason
            for stage in self.stages:
                if stage.status == "running":
                    stage.status = "failed"
        try:
            self.save()
        except BaseException:
            self.status, self.error, self.stages = before.status, before.error, before.stages
            raise

    def start(self) -> None:
        pid = os.getpid()
        self.driver = {"host": socket.gethostname(), "pid": pid, "started": _process_start(pid)}
        self._move("running")

    def settle_if_orphaned(self) -> bool:
        """Record ``interrupted`` for a run still ``running`` whose process, on this host, is
        gone (killed before it could record its end); True if so."""
        driver = self.driver or {}
        if self.status != "running" or driver.get("host") != socket.gethostname():
            return False
        if _alive(int(driver["pid"]), driver.get("started")):
            return False
        self.fail("interrupted (its process ended without recording it: killed?)")
        return True

    def complete(self) -> None:
        self._move("completed")

    def fail(self, reason: str) -> None:
        self._move("failed", reason)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        """Time a stage; it is recorded as completed, or failed if the block raises."""
        record = StageRecord(name=name)
        self.stages.append(record)
        self.save()
        start = time.perf_counter()
        try:
            yield record
        except BaseException:
            record.status = "failed"
            record.seconds = round(time.perf_counter() - start, 3)
            self.save()
            raise
        record.status = "completed"
        record.seconds = round(time.perf_counter() - start, 3)
        self.save()

    def add_artifact(self, name: str, path: Path) -> None:
        self.artifacts[name] = str(path)

    def timings(self) -> dict[str, float]:
        """Seconds per completed stage."""
        return {s.name: s.seconds for s in self.stages if s.seconds is not None}
