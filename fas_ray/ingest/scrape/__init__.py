"""Scrape web pages into a bronze table, politely and safely.

robots.txt (and its Crawl-delay) is obeyed, requests are spaced per host, retries back off, private
addresses are refused unless asked for, and pages, bytes and time are bounded. Tables, repeated
elements (a CSS selector) or page text become rows; pages built by JavaScript are rendered in
headless Chromium when needed.

Example:
    >>> from fas_ray.ingest.scrape import ScrapeOptions, scrape
    >>> result = scrape("https://example.org/prices", ScrapeOptions(max_pages=3))  # doctest: +SKIP
"""

from fas_ray.ingest.scrape._crawl import scrape, scrape_async
from fas_ray.ingest.scrape._types import (
    PageRecord,
    ScrapeError,
    ScrapeOptions,
    ScrapeResult,
    ScrapeStats,
)

__all__ = [
    "PageRecord",
    "ScrapeError",
    "ScrapeOptions",
    "ScrapeResult",
    "ScrapeStats",
    "scrape",
    "scrape_async",
]
