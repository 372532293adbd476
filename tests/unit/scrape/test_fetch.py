"""Fetching against a real local server: retries, backoff, timeouts, size and type limits."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from fas_ray.ingest.scrape import PageRecord, ScrapeError, ScrapeOptions, scrape
from fas_ray.ingest.scrape._fetch import (
    Counters,
    Fetcher,
    backoff_delay,
    make_client,
    parse_retry_after,
)
from fas_ray.ingest.scrape._guard import AddressGuard
from fas_ray.ingest.scrape._ratelimit import HostRateLimiter
from tests.unit.scrape._site import Site

FAST = ScrapeOptions(allow_private=True, rate=50.0, follow_links=False)


def _options(**changes: Any) -> ScrapeOptions:
    return dataclasses.replace(FAST, **changes)


def _page(pages: list[PageRecord], path: str) -> PageRecord:
    return next(p for p in pages if p.url.endswith(path))


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_full_jitter_and_caps() -> None:
    rng = random.Random(0)
    for attempt in range(8):
        delay = backoff_delay(attempt, base=0.5, cap=4.0, rng=rng)
        assert 0.0 <= delay <= min(4.0, 0.5 * 2**attempt)
    assert backoff_delay(0, 0.5, 4.0, rng, retry_after=3.0) == 3.0
    assert backoff_delay(0, 0.5, 4.0, rng, retry_after=3600.0) == 4.0  # capped


def test_429_with_retry_after_is_retried_after_waiting(site: Site) -> None:
    result = scrape(site.url("/flaky/a"), FAST)
    first, second = site.times("/flaky/a")
    assert second - first >= 0.95  # Retry-After: 1
    assert result.stats["retries"] == 1
    assert result.pages[0].status == 200 and result.pages[0].error is None
    assert result.table.column("name").to_pylist() == ["kiwi"]


def test_503_is_retried_a_bounded_number_of_times_then_recorded(site: Site) -> None:
    options = _options(max_retries=2, backoff_base_s=0.05, backoff_max_s=0.1)
    result = scrape([site.url("/always-503"), site.url("/tables/page1")], options)
    assert site.paths().count("/always-503") == 3
    failed = _page(result.pages, "/always-503")
    assert failed.status == 503
    assert failed.error == "HTTP 503 (gave up after 2 retries)"
    assert result.stats["retries"] == 2 and result.stats["errors"] == 1
    assert result.table.num_rows == 2  # the crawl went on


def test_slow_page_times_out_and_the_crawl_goes_on(site: Site) -> None:
    began = time.monotonic()
    result = scrape([site.url("/slow"), site.url("/tables/page1")], _options(timeout_s=1.0))
    assert time.monotonic() - began < 3.0
    slow = _page(result.pages, "/slow")
    assert slow.error is not None and "timed out" in slow.error
    assert site.paths().count("/slow") == 1  # read timeouts are not retried
    assert result.table.num_rows == 2


def test_oversized_pages_are_refused(site: Site) -> None:
    urls = [site.url(p) for p in ("/huge", "/huge-stream", "/tables/page1")]
    result = scrape(urls, _options(max_bytes_per_page=64 * 1024))
    declared = _page(result.pages, "/huge")
    streamed = _page(result.pages, "/huge-stream")
    assert declared.error is not None and "declared" in declared.error
    assert streamed.error is not None and "stopped reading" in streamed.error
    assert declared.rows == streamed.rows == 0
    assert result.stats["bytes"] < 3 * 64 * 1024  # neither body was read past the limit


def test_non_html_content_type_is_skipped(site: Site) -> None:
    result = scrape([site.url("/image.png"), site.url("/tables/page1")], FAST)
    image = _page(result.pages, "/image.png")
    assert image.status == 200
    assert image.error == "unsupported content-type 'image/png'"
    assert image.bytes == 0


def test_max_total_bytes_stops_the_crawl(site: Site) -> None:
    urls = [site.url(p) for p in ("/tables/page1", "/tables/page2", "/tables/page3")]
    result = scrape(urls, _options(max_total_bytes=500))
    assert result.stats["stopped"] == "max_total_bytes"
    assert result.pages[0].rows == 2
    assert any("max_total_bytes=500 reached" in (p.error or "") for p in result.pages[1:])
    assert result.table.num_rows < 5


def test_redirect_into_a_disallowed_path_is_not_followed(site: Site) -> None:
    urls = [site.url("/redirect/private"), site.url("/tables/page1")]
    result = scrape(urls, FAST)
    record = _page(result.pages, "/redirect/private")
    assert record.error == "disallowed by robots.txt"
    assert record.final_url == site.url("/private/secret")
    assert not any(p.startswith("/private/") for p in site.paths())


def test_redirect_to_another_scheme_is_refused(site: Site) -> None:
    result = scrape([site.url("/redirect/file"), site.url("/tables/page1")], FAST)
    error = _page(result.pages, "/redirect/file").error
    assert error is not None and error.startswith("redirect refused") and "only http" in error


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_bad_options_are_config_errors(rate: float) -> None:
    from fas_ray.exceptions import ConfigError

    with pytest.raises(ConfigError, match="rate"):
        scrape("http://example.org/", _options(rate=rate))


def test_dropped_connection_is_retried(site: Site) -> None:
    result = scrape(site.url("/drop-once/a"), _options(backoff_base_s=0.05))
    assert site.paths().count("/drop-once/a") == 2
    assert result.stats["retries"] == 1 and result.pages[0].error is None
    assert result.table.num_rows == 1


def test_connection_errors_back_off_and_give_up() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = _options(max_retries=2, backoff_base_s=0.05)
    counters = Counters()

    async def fetch() -> str | None:
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, AddressGuard(True), HostRateLimiter(50.0), counters)
            outcome = await fetcher.get(f"http://127.0.0.1:{port}/", accept=None)
            return outcome.error

    error = asyncio.run(fetch())
    assert error is not None and error.startswith("ConnectError")
    assert error.endswith("(gave up after 2 retries)")
    assert (counters.requests, counters.retries) == (3, 2)
    with pytest.raises(ScrapeError, match="Could not fetch .*robots.txt"):
        scrape(f"http://127.0.0.1:{port}/", _options(max_retries=0))
