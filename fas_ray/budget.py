"""The time budget of a run: one clock, one deadline, and a record of what each stage got.

A :class:`Budget` is created with the run's total seconds (``None``: unbounded) and owns the
arithmetic the pipeline needs: how much is left, a share for a stage, and whether a stage with
an estimated cost runs at full size, reduced, or not at all (:meth:`Budget.plan`). It only reads
its clock; it never sleeps, waits or stops anything. The run is on target when it ends within
``total_s * (1 + tolerance)`` (10 % by default): stage estimates are rough, so a stage whose
estimate is within the tolerance of its allotment still runs at full size.

    >>> ticks = iter([0.0, 12.0, 12.0, 12.0])
    >>> budget = Budget(30.0, clock=lambda: next(ticks))
    >>> budget.left()
    18.0
    >>> budget.plan(40.0).mode
    'reduced'
    >>> round(budget.plan(40.0).scale, 2)
    0.45
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import InitVar, dataclass, field
from typing import Any, Literal

from fas_ray.exceptions import ConfigError

__all__ = ["Budget", "Clock", "Plan", "PlanMode", "StageUse", "process_started_at"]

Clock = Callable[[], float]
PlanMode = Literal["full", "reduced", "skipped"]


@dataclass(frozen=True)
class Plan:
    """What a stage should do with ``allotted_s`` seconds given its full-size ``estimate_s``.

    Args:
        mode: ``full``, ``reduced`` (run a smaller version: ``scale`` of the full size fits) or
            ``skipped`` (not even ``min_scale`` of it fits).
        allotted_s: the seconds the stage may take (``None``: unbounded).
        estimate_s: the estimated cost of the full-size stage.
        scale: the share of the full size that fits: 1.0 when full, 0.0 when skipped.
    """

    mode: PlanMode
    allotted_s: float | None
    estimate_s: float
    scale: float

    @property
    def full(self) -> bool:
        return self.mode == "full"

    @property
    def skipped(self) -> bool:
        return self.mode == "skipped"


@dataclass
class StageUse:
    """What one stage got (``allotted_s``, ``None``: unbounded) and used (``used_s``)."""

    name: str
    allotted_s: float | None
    used_s: float | None = None
    mode: PlanMode = "full"
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "allotted_s": None if self.allotted_s is None else round(self.allotted_s, 3),
            "used_s": None if self.used_s is None else round(self.used_s, 3),
            "mode": self.mode,
            "notes": list(self.notes),
        }


@dataclass
class Budget:
    """The wall-clock budget of one run.

    Args:
        total_s: seconds for the whole run; ``None`` for no limit (every plan is then full).
        clock: a monotonic clock in seconds (``time.perf_counter``; tests pass a fake).
        tolerance: how far past ``total_s`` the run may end and still be on target (0.10: 10 %).
        start: the clock's value when the run began (default: when the budget is created), e.g.
            the process start, so that interpreter start-up and imports count too.

    Raises:
        ConfigError: ``total_s`` is not positive, or ``tolerance`` is negative.
    """

    total_s: float | None = None
    clock: Clock = time.perf_counter
    tolerance: float = 0.10
    start: InitVar[float | None] = None
    started_at: float = field(init=False)
    stages: list[StageUse] = field(default_factory=list, init=False)
    notes: list[str] = field(default_factory=list, init=False)

    def __post_init__(self, start: float | None) -> None:
        if self.total_s is not None and not (self.total_s > 0 and math.isfinite(self.total_s)):
            raise ConfigError(
                f"A time budget must be a positive number of seconds, got {self.total_s!r}."
            )
        if not self.tolerance >= 0:
            raise ConfigError(f"The budget tolerance must be 0 or more, got {self.tolerance!r}.")
        self.started_at = self.clock() if start is None else float(start)

    # -- the clock ---------------------------------------------------------------------------
    @property
    def bounded(self) -> bool:
        return self.total_s is not None

    @property
    def deadline(self) -> float | None:
        """The clock value by which the run should end (``None``: unbounded)."""
        return None if self.total_s is None else self.started_at + self.total_s

    @property
    def hard_deadline(self) -> float | None:
        """The deadline plus the tolerance: ending later misses the target."""
        if self.total_s is None:
            return None
        return self.started_at + self.total_s * (1.0 + self.tolerance)

    def elapsed(self) -> float:
        """Seconds since the run began."""
        return max(0.0, self.clock() - self.started_at)

    def left(self) -> float:
        """Seconds until the deadline, never below 0 (``math.inf`` when unbounded)."""
        if self.total_s is None:
            return math.inf
        return max(0.0, self.total_s - self.elapsed())

    def over_s(self) -> float:
        """Seconds past the deadline so far (0 while on time or unbounded)."""
        if self.total_s is None:
            return 0.0
        return max(0.0, self.elapsed() - self.total_s)

    def within_tolerance(self) -> bool:
        """Whether the run, were it to end now, ends within ``total_s * (1 + tolerance)``."""
        if self.total_s is None:
            return True
        return self.elapsed() <= self.total_s * (1.0 + self.tolerance)

    # -- shares and plans --------------------------------------------------------------------
    def share(
        self, fraction: float = 1.0, *, reserve: float = 0.0, floor: float = 0.0
    ) -> float | None:
        """``fraction`` of what is left after keeping ``reserve`` seconds for later stages, and
        at least ``floor`` seconds; ``None`` when the budget is unbounded.

        Example:
            >>> Budget(60.0, clock=lambda: 10.0, start=0.0).share(0.5, reserve=20.0)
            15.0
        """
        if not 0.0 <= fraction <= 1.0:
            raise ConfigError(f"A budget share is a fraction in [0, 1], got {fraction!r}.")
        if self.total_s is None:
            return None
        return max(floor, fraction * max(0.0, self.left() - max(0.0, reserve)))

    def plan(
        self, estimate_s: float, *, allotted_s: float | None = None, min_scale: float = 0.0
    ) -> Plan:
        """Full size, reduced or skipped, for a stage whose full size should cost
        ``estimate_s`` seconds and that may take ``allotted_s`` (default: all that is left).

        Full when the estimate is within the tolerance of the allotment; reduced to
        ``scale = allotted / estimate`` of the full size when that is at least ``min_scale``;
        skipped otherwise (or when nothing is allotted).
        """
        estimate = max(0.0, float(estimate_s))
        if allotted_s is None:
            if self.total_s is None:
                return Plan("full", None, estimate, 1.0)
            allotted_s = self.left()
        allotted = max(0.0, float(allotted_s))
        if estimate <= allotted * (1.0 + self.tolerance):
            return Plan("full", allotted, estimate, 1.0)
        scale = allotted / estimate if estimate > 0 else 0.0
        if allotted <= 0.0 or scale < min_scale:
            return Plan("skipped", allotted, estimate, 0.0)
        return Plan("reduced", allotted, estimate, scale)

    # -- the record --------------------------------------------------------------------------
    @contextlib.contextmanager
    def stage(self, name: str, allotted_s: float | None = None) -> Iterator[StageUse]:
        """Record the block as stage ``name``: what it was allotted and the seconds it used
        (also when it raises)."""
        use = StageUse(name, allotted_s)
        self.stages.append(use)
        begun = self.clock()
        try:
            yield use
        finally:
            use.used_s = max(0.0, self.clock() - begun)

    def note(self, text: str, stage: StageUse | None = None) -> None:
        """Record a plain note on a reduction (``"SHAP on 40 rows instead of 100: 6 s left"``);
        it also marks ``stage`` as reduced."""
        self.notes.append(text)
        if stage is not None:
            stage.notes.append(text)
            if stage.mode == "full":
                stage.mode = "reduced"

    def to_json(self) -> dict[str, Any]:
        """The budget, what each stage got and used, and the notes, for the report."""
        return {
            "total_s": self.total_s,
            "tolerance": self.tolerance,
            "elapsed_s": round(self.elapsed(), 3),
            "within_tolerance": self.within_tolerance(),
            "stages": [s.to_json() for s in self.stages],
            "notes": list(self.notes),
        }


def process_started_at(clock: Clock = time.perf_counter) -> float:
    """The ``clock`` value at which this process started (Linux: from ``/proc``), so that a
    command's budget also counts the interpreter's start and its imports; the current value
    where the process start cannot be read."""
    now = clock()
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as uptime:
            since_boot = float(uptime.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
    except (OSError, ValueError, IndexError):
        return now
    return now - max(0.0, since_boot - started)
