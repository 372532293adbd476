"""Recurring runs (cron expressions), kept in ``<data root>/schedules.json``.

A schedule holds a :class:`~fas_ray.service._runs.RunRequest` (typically a URL to scrape, so
each firing scrapes afresh and retrains) and a five-field cron expression in UTC. The file is
rewritten atomically on every change, so the schedules and when each last fired survive a
restart of the app: :func:`due` compares the next firing after ``last_fired_at`` (or after
creation) with the clock, and a firing missed while the app was down happens once on start, not
once per missed slot.
"""

from __future__ import annotations

import json
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from croniter import CroniterBadDateError, croniter
from pydantic import BaseModel, Field, field_validator

from fas_ray.exceptions import InputError, StorageError
from fas_ray.service._runs import RunRequest
from fas_ray.storage import DataRoot, write_json

__all__ = ["Schedule", "ScheduleRequest", "ScheduleStore", "due", "next_fire"]


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def next_fire(cron: str, after: datetime) -> datetime:
    """The first time after ``after`` (UTC) that ``cron`` names.

    Example:
        >>> next_fire("0 * * * *", datetime(2026, 1, 1, 10, 30, tzinfo=UTC)).isoformat()
        '2026-01-01T11:00:00+00:00'
    """
    value: datetime = croniter(cron, after.astimezone(UTC)).get_next(datetime)
    return value.astimezone(UTC)


class ScheduleRequest(BaseModel):
    """``POST /schedules``: run ``run`` at every time ``cron`` names (UTC)."""

    cron: str = Field(description="Five cron fields, UTC, e.g. '0 3 * * *' (03:00 daily).")
    run: RunRequest
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _valid(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a five-field cron expression (minute hour day month weekday)"
            )
        try:  # valid syntax can still name no date at all (30 February)
            next_fire(value, datetime.now(UTC))
        except (CroniterBadDateError, ValueError):
            raise ValueError(f"{value!r} never fires (no such date); pick a real day") from None
        return value


class Schedule(ScheduleRequest):
    schedule_id: str
    created_at: str
    last_fired_at: str | None = None
    last_run_id: str | None = None
    runs: int = 0

    def next_at(self) -> datetime:
        return next_fire(self.cron, _parse_time(self.last_fired_at or self.created_at))

    def to_json(self) -> dict[str, Any]:
        return {**self.model_dump(mode="json"), "next_at": self.next_at().isoformat()}


def due(schedules: list[Schedule], now: datetime) -> list[Schedule]:
    """The enabled schedules whose next firing is at or before ``now`` (one whose expression
    cannot be evaluated is skipped, not allowed to stop the others)."""
    found = []
    for schedule in schedules:
        try:
            if schedule.enabled and schedule.next_at() <= now:
                found.append(schedule)
        except (CroniterBadDateError, ValueError):
            continue
    return found


class ScheduleStore:
    """The schedules of one data root; every change is written atomically before it returns."""

    def __init__(self, root: DataRoot) -> None:
        self.path = root.schedules
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Schedule]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {s["schedule_id"]: Schedule.model_validate(s) for s in data["schedules"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"Cannot read {self.path}: {exc}; fix or remove the file.") from None

    def _write(self, schedules: dict[str, Schedule]) -> None:
        write_json(
            self.path, {"schedules": [s.model_dump(mode="json") for s in schedules.values()]}
        )

    def all(self) -> list[Schedule]:
        with self._lock:
            return list(self._read().values())

    def get(self, schedule_id: str) -> Schedule:
        with self._lock:
            found = self._read().get(schedule_id)
        if found is None:
            raise InputError(f"No schedule {schedule_id!r}; list them with GET /schedules.")
        return found

    def add(self, request: ScheduleRequest, now: datetime | None = None) -> Schedule:
        schedule = Schedule(
            **request.model_dump(),
            schedule_id="sch-" + secrets.token_hex(4),
            created_at=(now or datetime.now(UTC)).isoformat(),
        )
        with self._lock:
            schedules = self._read()
            schedules[schedule.schedule_id] = schedule
            self._write(schedules)
        return schedule

    def remove(self, schedule_id: str) -> None:
        with self._lock:
            schedules = self._read()
            if schedules.pop(schedule_id, None) is None:
                raise InputError(f"No schedule {schedule_id!r}; list them with GET /schedules.")
            self._write(schedules)

    def fired(self, schedule_id: str, run_id: str, at: datetime) -> None:
        """Record that a schedule started ``run_id`` at ``at``."""
        with self._lock:
            schedules = self._read()
            found = schedules.get(schedule_id)
            if found is None:
                return
            schedules[schedule_id] = found.model_copy(
                update={
                    "last_fired_at": at.isoformat(),
                    "last_run_id": run_id,
                    "runs": found.runs + 1,
                }
            )
            self._write(schedules)
