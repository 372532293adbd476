"""The crawl: start URLs (+ sitemaps, + next links) → fetched pages → one Arrow table."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime

import httpx
import pyarrow as pa

from fas_ray.exceptions import ConfigError, FasRayError, PipelineError
from fas_ray.ingest.scrape._browser import BrowserRenderer, BrowserUnavailable, RenderError
from fas_ray.ingest.scrape._extract import PageContent, Row, check_selector, extract_page
from fas_ray.ingest.scrape._fetch import (
    Counters,
    Fetcher,
    FetchOutcome,
    accepts_html,
    accepts_text,
    accepts_xml,
    decode_body,
    make_client,
)
from fas_ray.ingest.scrape._guard import AddressGuard, host_key, parse_url
from fas_ray.ingest.scrape._ratelimit import HostRateLimiter
from fas_ray.ingest.scrape._robots import Robots, RobotsCache, RobotsFetch, origin_of
from fas_ray.ingest.scrape._sitemap import SitemapError, parse_sitemap
from fas_ray.ingest.scrape._types import (
    PageRecord,
    ScrapeError,
    ScrapeOptions,
    ScrapeResult,
    ScrapeStats,
    StopReason,
)

__all__ = ["scrape", "scrape_async"]

log = logging.getLogger("fas_ray.ingest.scrape")

MAX_WORKERS = 4
MAX_SITEMAPS = 50
MAX_ROBOTS_BYTES = 512 * 1024
_STOPPED_IN_FLIGHT = "stopped: max_seconds reached while fetching"


@dataclass
class _Page:
    seq: int
    record: PageRecord
    content: PageContent | None = None
    skipped: bool = False  # by robots.txt, before any request


class _Crawl:
    """State of one crawl; :func:`scrape_async` drives it."""

    def __init__(self, options: ScrapeOptions, guard: AddressGuard, client: httpx.AsyncClient):
        self.options = options
        self.counters = Counters()
        self.limiter = HostRateLimiter(options.rate)
        self.fetcher = Fetcher(client, options, guard, self.limiter, self.counters, random.Random())
        self.robots = RobotsCache(self._fetch_robots, options.user_agent)
        self.browser = BrowserRenderer(self._browser_fetch, timeout_s=3 * options.timeout_s)
        self.pages: list[_Page] = []
        self.in_flight: dict[int, str] = {}
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self.seen: set[str] = set()
        self.attempted = 0
        self.skipped_by_robots = 0
        self.sitemaps = 0
        self.sitemap_urls = 0
        self.stopped: StopReason | None = None

    # -- robots.txt -------------------------------------------------------------------------

    async def _fetch_robots(self, url: str) -> RobotsFetch:
        limit = min(MAX_ROBOTS_BYTES, self.options.max_bytes_per_page)
        outcome = await self.fetcher.get(url, accept=accepts_text, max_bytes=limit)
        if outcome.status is None:
            return RobotsFetch(None, note=outcome.error)
        if 200 <= outcome.status < 300 and outcome.body is None:
            return RobotsFetch(
                outcome.status, note=f"robots.txt unusable ({outcome.error}): ignored"
            )
        text = decode_body(outcome.body, outcome.charset) if outcome.body is not None else None
        return RobotsFetch(outcome.status, text)

    async def rules(self, url: httpx.URL) -> Robots:
        robots = await self.robots.get(url)
        self.limiter.set_crawl_delay(host_key(url), robots.crawl_delay)
        return robots

    async def permit(self, url: httpx.URL) -> str | None:
        robots = await self.rules(url)
        if robots.allows(str(url)):
            return None
        detail = "" if robots.note == "ok" else f" ({robots.note})"
        return f"disallowed by robots.txt{detail}"

    async def check_start(self, url: httpx.URL) -> None:
        robots = await self.rules(url)
        if not robots.reachable:
            raise ScrapeError(
                f"Could not fetch {origin_of(url)}/robots.txt ({robots.note}); check the URL "
                "and that the site is up."
            )
        if not robots.allows(str(url)):
            why = f"{robots.note}" if robots.note != "ok" else "it has a matching Disallow rule"
            raise ScrapeError(
                f"robots.txt of {origin_of(url)} disallows {url} for {self.options.user_agent!r} "
                f"({why}); start from an allowed page."
            )

    # -- discovery --------------------------------------------------------------------------

    def enqueue(self, url: str) -> None:
        try:
            key = str(parse_url(url))
        except ScrapeError as exc:
            log.info("skipping %s: %s", url, exc)
            return
        if key not in self.seen:
            self.seen.add(key)
            self.queue.put_nowait((len(self.seen), key))

    async def discover_sitemaps(self, starts: list[httpx.URL]) -> list[str]:
        """Page URLs listed by the start hosts' sitemaps (robots.txt ``Sitemap:``, else default)."""
        pending: list[str] = []
        for origin, url in {origin_of(u): u for u in starts}.items():
            robots = await self.rules(url)
            pending.extend(robots.sitemaps or [f"{origin}/sitemap.xml"])
        hosts = {host_key(u) for u in starts}
        done: set[str] = set()
        found: list[str] = []
        while pending and self.sitemaps < MAX_SITEMAPS and not self.fetcher.exhausted:
            sitemap_url = pending.pop(0)
            if sitemap_url in done:
                continue
            done.add(sitemap_url)
            self.sitemaps += 1
            outcome = await self.fetcher.get(sitemap_url, accept=accepts_xml, permit=self.permit)
            if outcome.body is None:
                log.warning("sitemap %s skipped: %s", sitemap_url, outcome.error)
                continue
            try:
                sitemap = parse_sitemap(outcome.body, self.options.max_bytes_per_page)
            except SitemapError as exc:
                log.warning("sitemap %s skipped: %s", sitemap_url, exc)
                continue
            if sitemap.kind == "sitemapindex":
                pending.extend(sitemap.locs)
                continue
            for loc in sitemap.locs:
                try:
                    page = parse_url(loc)
                except ScrapeError:
                    continue
                if host_key(page) in hosts:
                    found.append(str(page))
        self.sitemap_urls = len(found)
        return found

    # -- pages ------------------------------------------------------------------------------

    async def _browser_fetch(self, url: str) -> FetchOutcome:
        outcome = await self.fetcher.get(url, accept=None, permit=self.permit)
        if outcome.refused == "robots":
            self.skipped_by_robots += 1
        return outcome

    async def worker(self) -> None:
        while True:
            seq, url = await self.queue.get()
            try:
                await self.visit(seq, url)
            finally:
                self.queue.task_done()

    async def visit(self, seq: int, url: str) -> None:
        if self.fetcher.exhausted:
            self.stopped = self.stopped or "max_total_bytes"
            return
        reason = await self.permit(parse_url(url))
        if reason is not None:
            self.skipped_by_robots += 1
            self.pages.append(_Page(seq, PageRecord(url=url, error=reason), skipped=True))
            return
        if self.attempted >= self.options.max_pages:
            self.stopped = self.stopped or "max_pages"
            return
        self.attempted += 1
        self.in_flight[seq] = url
        page = await self.fetch_page(seq, url)  # cancelled at max_seconds: stays in flight
        del self.in_flight[seq]
        self.pages.append(page)
        if self.fetcher.exhausted:
            self.stopped = self.stopped or "max_total_bytes"

    async def fetch_page(self, seq: int, url: str) -> _Page:
        options = self.options
        outcome = await self.fetcher.get(url, accept=accepts_html, permit=self.permit)
        record = PageRecord(
            url=url,
            status=outcome.status,
            bytes=len(outcome.body or b""),
            fetched_at=outcome.fetched_at,
            error=outcome.error,
            final_url=outcome.final_url,
        )
        if outcome.refused == "robots":
            self.skipped_by_robots += 1
        if outcome.body is None:
            return _Page(seq, record)
        html = decode_body(outcome.body, outcome.charset)
        content = extract_page(html, outcome.final_url, options.selector)
        if options.js == "always" or (options.js == "auto" and content.needs_js):
            headers = outcome.headers or httpx.Headers()
            content_type = headers.get("content-type", "text/html")
            try:
                rendered = await self.browser.render(outcome.final_url, outcome.body, content_type)
            except BrowserUnavailable as exc:
                if options.js == "always":
                    raise PipelineError(f"js='always' needs a browser: {exc}.") from exc
                record.error = f"page needs JavaScript but {exc}"
            except RenderError as exc:
                record.error = str(exc)
            else:
                content = extract_page(rendered, outcome.final_url, options.selector)
                record.renderer = "browser"
        if record.renderer == "http" and content.needs_js:
            content = replace(content, text_row=None)  # a JavaScript shell's text is no content
        if options.follow_links:
            for link in content.next_links:
                self.enqueue(link)
        return _Page(seq, record, content)

    async def run_queue(self) -> None:
        workers = min(MAX_WORKERS, self.options.max_pages)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self.worker()) for _ in range(workers)]
            await self.queue.join()
            for task in tasks:
                task.cancel()

    # -- result -----------------------------------------------------------------------------

    def result(self, seconds: float) -> ScrapeResult:
        for seq, url in self.in_flight.items():
            self.pages.append(_Page(seq, PageRecord(url=url, error=_STOPPED_IN_FLIGHT)))
        self.pages.sort(key=lambda p: p.seq)
        selector = self.options.selector is not None
        with_tables = any(p.content is not None and p.content.table_rows for p in self.pages)
        rows: list[Row] = []
        sources: list[str] = []
        stamps: list[datetime | None] = []
        for page in self.pages:
            content = page.content
            if content is None:
                continue
            if selector:
                page_rows = content.selector_rows
            elif with_tables:
                page_rows = content.table_rows
            else:
                page_rows = [content.text_row] if content.text_row else []
            page.record.rows = len(page_rows)
            rows.extend(page_rows)
            sources.extend([page.record.final_url or page.record.url] * len(page_rows))
            stamps.extend([page.record.fetched_at] * len(page_rows))
        records = [p.record for p in self.pages]
        stats: ScrapeStats = {
            "requests": self.counters.requests,
            "pages_fetched": sum(1 for p in self.pages if p.content is not None),
            "skipped_by_robots": self.skipped_by_robots,
            "skipped_private": self.counters.skipped_private,
            "retries": self.counters.retries,
            "bytes": self.counters.bytes,
            "seconds": round(seconds, 3),
            "browser_pages": self.browser.pages,
            "errors": sum(1 for p in self.pages if p.record.error and not p.skipped),
            "sitemaps": self.sitemaps,
            "sitemap_urls": self.sitemap_urls,
            "stopped": self.stopped,
        }
        return ScrapeResult(table=_to_table(rows, sources, stamps), pages=records, stats=stats)


def _to_table(rows: list[Row], sources: list[str], stamps: list[datetime | None]) -> pa.Table:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    data = {name: pa.array([row.get(name) for row in rows], pa.string()) for name in columns}
    data["source_url"] = pa.array(sources, pa.string())
    data["fetched_at"] = pa.array(stamps, pa.timestamp("us", tz="UTC"))
    return pa.table(data)


def _start_urls(urls: str | list[str]) -> list[str]:
    listed = [urls] if isinstance(urls, str) else list(urls)
    if not listed:
        raise ScrapeError("No URL to scrape; give at least one http(s) URL.")
    return listed


async def scrape_async(
    urls: str | list[str],
    options: ScrapeOptions | None = None,
    *,
    guard: AddressGuard | None = None,
) -> ScrapeResult:
    """Async form of :func:`scrape`. ``guard`` replaces the SSRF guard (tests)."""
    try:
        return await _scrape(urls, options or ScrapeOptions(), guard)
    except FasRayError:
        raise
    except Exception as exc:
        raise PipelineError(f"Scraping failed unexpectedly: {type(exc).__name__}: {exc}") from exc


async def _scrape(
    urls: str | list[str], options: ScrapeOptions, guard: AddressGuard | None
) -> ScrapeResult:
    options.validate()
    if options.selector is not None:
        try:
            check_selector(options.selector)
        except ValueError as exc:
            raise ConfigError(f"Scrape option selector: {exc}; fix the CSS selector.") from exc
    starts = [parse_url(u) for u in _start_urls(urls)]
    guard = guard or AddressGuard(options.allow_private)
    for url in starts:  # before any connection: refused hosts never see a request
        await guard.check(url)
    began = time.monotonic()
    async with make_client(options) as client:
        crawl = _Crawl(options, guard, client)
        deadline = asyncio.timeout(options.max_seconds)
        try:
            async with deadline:
                for url in starts:
                    await crawl.check_start(url)
                for url in starts:
                    crawl.enqueue(str(url))
                if options.sitemap:
                    for page in await crawl.discover_sitemaps(starts):
                        crawl.enqueue(page)
                await crawl.run_queue()
        except TimeoutError:
            if not deadline.expired():
                raise
            crawl.stopped = "max_seconds"
        except BaseExceptionGroup as group:  # from the TaskGroup: surface the first real error
            raise group.exceptions[0] from None
        finally:
            try:
                await crawl.browser.close()
            except Exception as exc:  # a dead browser must not hide the crawl's outcome
                log.warning("closing the browser failed: %s", exc)
    result = crawl.result(time.monotonic() - began)
    if result.table.num_rows == 0:
        failed = [p for p in result.pages if p.error]
        detail = f"; first error: {failed[0].url}: {failed[0].error}" if failed else ""
        raise ScrapeError(
            f"No rows could be extracted from {len(result.pages)} page(s) "
            f"({len(failed)} failed{detail}); check the URLs, pass a selector for repeated "
            "elements, or use js='always' for pages built by JavaScript.",
            result,
        )
    return result


def scrape(urls: str | list[str], options: ScrapeOptions | None = None) -> ScrapeResult:
    """Crawl ``urls`` politely and return the rows found, one record per page, and counters.

    robots.txt is obeyed (Crawl-delay included), each host gets at most ``options.rate``
    requests per second, private addresses are refused unless ``allow_private``, and pages,
    bytes and time are bounded.

    Args:
        urls: One start URL or several (http/https).
        options: Crawl settings; defaults to :class:`ScrapeOptions()`.

    Returns:
        The rows as an Arrow table, the page records and the stats.

    Raises:
        InputError: A URL is invalid or refused, robots.txt disallows a start URL, or no rows
            came out (:class:`ScrapeError`, carrying the result when the crawl ran).
        ConfigError: An option is out of range or the selector does not parse.
        PipelineError: An unexpected failure, or js='always' without a browser.

    Example:
        >>> from fas_ray.ingest.scrape import ScrapeOptions, scrape
        >>> options = ScrapeOptions(max_pages=5)
        >>> result = scrape("https://example.org/table", options)  # doctest: +SKIP
        >>> result.table.column_names  # doctest: +SKIP
        ['name', 'price', 'source_url', 'fetched_at']
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise PipelineError(
            "scrape() was called inside a running event loop; await scrape_async()."
        )
    return asyncio.run(scrape_async(urls, options))
