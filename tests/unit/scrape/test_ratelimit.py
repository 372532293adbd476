"""Per-host request spacing, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from fas_ray.ingest.scrape._ratelimit import HostRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _starts(limiter: HostRateLimiter, clock: FakeClock, hosts: list[str]) -> list[float]:
    async def run() -> list[float]:
        times = []
        for host in hosts:
            async with limiter.slot(host):
                times.append(clock.now)
                clock.now += 0.1  # the request itself takes 100 ms
        return times

    return asyncio.run(run())


def test_gap_runs_from_the_end_of_the_previous_request() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(rate=4.0, clock=clock, sleep=clock.sleep)
    assert _starts(limiter, clock, ["a", "a", "a"]) == pytest.approx([100.0, 100.35, 100.7])


def test_crawl_delay_raises_the_interval_but_never_lowers_it() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(rate=4.0, clock=clock, sleep=clock.sleep)
    limiter.set_crawl_delay("a", 1.5)
    limiter.set_crawl_delay("b", 0.1)
    assert limiter.interval("a") == 1.5
    assert limiter.interval("b") == 0.25
    assert _starts(limiter, clock, ["a", "a"]) == pytest.approx([100.0, 101.6])


def test_hosts_do_not_wait_for_each_other() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(rate=1.0, clock=clock, sleep=clock.sleep)
    assert _starts(limiter, clock, ["a", "b", "c"]) == pytest.approx([100.0, 100.1, 100.2])


def test_concurrent_callers_get_one_request_in_flight_per_host() -> None:
    limiter = HostRateLimiter(rate=20.0)  # real clock: 50 ms between requests
    spans: list[tuple[float, float]] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()

        async def one() -> None:
            async with limiter.slot("a"):
                began = loop.time()
                await asyncio.sleep(0.02)
                spans.append((began, loop.time()))

        await asyncio.gather(*(one() for _ in range(4)))

    asyncio.run(run())
    spans.sort()
    gaps = [nxt[0] - cur[1] for cur, nxt in zip(spans, spans[1:], strict=False)]
    assert min(gaps) >= 0.045  # no overlap, and the interval runs from the end
