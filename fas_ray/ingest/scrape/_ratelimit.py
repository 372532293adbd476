"""Per-host request spacing: a lock and the time the last request ended, per host."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

__all__ = ["HostRateLimiter"]


class HostRateLimiter:
    """One request at a time per host, each starting at least an interval after the last ended.

    The interval is ``1 / rate`` until :meth:`set_crawl_delay` raises it for a host. Measuring
    from the end of the previous request (not its start) keeps the gap the server sees at least
    the interval, whatever the network latency. Hosts do not wait for each other.

    Args:
        rate: Requests per second per host.
        clock: Monotonic clock in seconds.
        sleep: Async sleep; tests pass a fake one with a fake clock.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._base = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._interval: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def interval(self, host: str) -> float:
        return self._interval.get(host, self._base)

    def set_crawl_delay(self, host: str, delay: float | None) -> None:
        """Make the host's interval ``max(1 / rate, delay)``."""
        self._interval[host] = max(self._base, delay or 0.0)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[float]:
        """Hold the host for one request; yields the seconds waited for it."""
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            waited = 0.0
            last = self._last.get(host)
            if last is not None:
                waited = max(0.0, last + self.interval(host) - self._clock())
                if waited > 0:
                    await self._sleep(waited)
            try:
                yield waited
            finally:
                self._last[host] = self._clock()
