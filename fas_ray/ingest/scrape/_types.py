"""Options, results and the error of the scraper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypedDict

from fas_ray import __version__
from fas_ray.exceptions import ConfigError, InputError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "PageRecord",
    "Renderer",
    "ScrapeError",
    "ScrapeOptions",
    "ScrapeResult",
    "ScrapeStats",
    "StopReason",
]

Renderer = Literal["http", "browser"]
StopReason = Literal["max_pages", "max_seconds", "max_total_bytes"]

_MIB = 1 << 20


class ScrapeError(InputError):
    """A crawl could not start or produced nothing usable.

    When the crawl ran, :attr:`result` holds what it fetched (page records and stats), so a caller
    can see why no rows came out.
    """

    def __init__(self, message: str, result: ScrapeResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class ScrapeOptions:
    """How a crawl behaves. Values are checked when :func:`scrape` runs.

    Attributes:
        max_pages: Most pages fetched (robots.txt and sitemaps do not count).
        rate: Requests per second per host: a host has one request in flight at a time, and the
            next starts ``max(1 / rate, Crawl-delay)`` seconds after the previous one ended.
        selector: CSS selector of repeated elements; each match becomes a row whose fields are its
            descendants carrying ``data-field``, ``itemprop`` or ``class`` (first class).
        js: ``"never"`` fetches HTML only, ``"always"`` renders every page in Chromium, ``"auto"``
            renders a page only when its static HTML looks like a JavaScript shell (see
            :func:`fas_ray.ingest.scrape._extract.needs_javascript`).
        sitemap: Also discover pages from the sitemaps named in robots.txt, else ``/sitemap.xml``.
        follow_links: Follow same-host "next page" links (``rel=next`` or a "Next" anchor).
        allow_private: Allow private, loopback, link-local and reserved addresses.
        max_bytes_per_page: A page (or sitemap) larger than this is refused, not truncated.
        max_total_bytes: The crawl stops once this many bytes were read.
        timeout_s: Connect/read timeout of one request; a whole attempt gets three times this.
        max_seconds: Wall-clock budget of the whole crawl; it then stops and returns what it has.
        max_retries: Retries of a request after 429, 5xx or a connection error.
        backoff_base_s: First backoff bound; attempt ``n`` sleeps ``U(0, base * 2**n)`` (full
            jitter), or ``Retry-After`` when the server sends it.
        backoff_max_s: Cap of every backoff sleep, ``Retry-After`` included.
        user_agent: ``User-Agent`` header, also the name matched against robots.txt groups.
    """

    max_pages: int = 50
    rate: float = 1.0
    selector: str | None = None
    js: Literal["auto", "always", "never"] = "auto"
    sitemap: bool = False
    follow_links: bool = True
    allow_private: bool = False
    max_bytes_per_page: int = 5 * _MIB
    max_total_bytes: int = 200 * _MIB
    timeout_s: float = 15.0
    max_seconds: float = 300.0
    max_retries: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    user_agent: str = f"fas-ray/{__version__}"

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid value."""
        positive = {
            "max_pages": self.max_pages,
            "rate": self.rate,
            "max_bytes_per_page": self.max_bytes_per_page,
            "max_total_bytes": self.max_total_bytes,
            "timeout_s": self.timeout_s,
            "max_seconds": self.max_seconds,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ConfigError(f"Scrape option {name}={value!r} must be greater than 0.")
        for name, value in {
            "max_retries": self.max_retries,
            "backoff_base_s": self.backoff_base_s,
            "backoff_max_s": self.backoff_max_s,
        }.items():
            if not value >= 0:
                raise ConfigError(f"Scrape option {name}={value!r} must be 0 or more.")
        if self.js not in ("auto", "always", "never"):
            raise ConfigError(f"Scrape option js={self.js!r} must be 'auto', 'always' or 'never'.")
        if not self.user_agent.strip():
            raise ConfigError("Scrape option user_agent is empty; leave the default or name a bot.")


@dataclass
class PageRecord:
    """What happened to one page.

    ``url`` is the URL as queued; ``final_url`` where its content came from after redirects.
    ``error`` is None for a page that was fetched and parsed, whatever its row count.
    """

    url: str
    status: int | None = None
    bytes: int = 0
    fetched_at: datetime | None = None
    renderer: Renderer = "http"
    rows: int = 0
    error: str | None = None
    final_url: str | None = None


class ScrapeStats(TypedDict):
    """Counters of one crawl (a plain dict at runtime)."""

    requests: int  # HTTP requests sent: robots.txt, sitemaps, pages, browser sub-requests, retries
    pages_fetched: int  # pages whose HTML was read
    skipped_by_robots: int  # URLs not requested because robots.txt disallows them
    skipped_private: int  # hops refused by the address guard (redirects, browser requests)
    retries: int
    bytes: int  # body bytes read, after content decoding
    seconds: float
    browser_pages: int  # pages rendered in Chromium
    errors: int  # pages with an error (robots.txt skips not counted)
    sitemaps: int  # sitemap files requested
    sitemap_urls: int  # page URLs the sitemaps listed for the start hosts
    stopped: StopReason | None  # which bound ended the crawl early, if any


@dataclass
class ScrapeResult:
    """Rows, one record per page, and crawl counters.

    ``table`` holds string columns (bronze keeps values raw) plus ``source_url`` (the page's URL
    after redirects) and ``fetched_at`` (``timestamp[us, UTC]``); rows of different pages are
    aligned by column name. ``pages`` follow discovery order; ``stats`` is a :class:`ScrapeStats`.
    """

    table: pa.Table
    pages: list[PageRecord]
    stats: ScrapeStats
