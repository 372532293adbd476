"""Rendering JavaScript pages in headless Chromium (Playwright, async API).

The browser gets no network of its own: the page's HTML, already fetched over HTTP, is served to it
from memory, and every request it then makes is answered by the crawl's fetcher, so the SSRF guard,
robots.txt, the per-host spacing and the byte limits apply to it unchanged. Images, fonts and media
are blocked, and so are non-GET requests, other navigations, service workers and downloads.
Chromium is also pointed at a dead proxy, so a request that escaped routing (a WebSocket) fails.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fas_ray.ingest.scrape._fetch import FetchOutcome

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright, Route

__all__ = ["BrowserRenderer", "BrowserUnavailable", "RenderError", "chromium_path"]

log = logging.getLogger("fas_ray.ingest.scrape")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
]
BLOCKED_TYPES = frozenset({"image", "font", "media"})
_DROP_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "set-cookie"}
)
_INSTALL_HINT = "install it with `apt-get install -y chromium` or scrape with js='never'"


class BrowserUnavailable(Exception):
    """Playwright or Chromium is missing."""


class RenderError(Exception):
    """One page could not be rendered."""


def chromium_path() -> str:
    """``$FAS_RAY_CHROMIUM``, else ``chromium`` on PATH, else ``/usr/bin/chromium``."""
    return os.environ.get("FAS_RAY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


class BrowserRenderer:
    """One browser per crawl, launched on the first :meth:`render`, closed by :meth:`close`.

    Args:
        fetch: Answers the browser's requests (the crawl's fetcher with robots.txt applied).
        timeout_s: Budget of one render, scripts and their requests included.
    """

    def __init__(self, fetch: Callable[[str], Awaitable[FetchOutcome]], timeout_s: float) -> None:
        self._fetch = fetch
        self._timeout_ms = timeout_s * 1000
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self.pages = 0

    @property
    def launched(self) -> bool:
        return self._browser is not None

    async def _ensure(self) -> Browser:
        async with self._lock:
            if self._browser is not None:
                return self._browser
            try:
                from playwright.async_api import async_playwright
            except ImportError as exc:
                raise BrowserUnavailable(
                    "Playwright is not installed; pip install 'fas-ray[browser]' and "
                    + _INSTALL_HINT
                ) from exc
            executable = chromium_path()
            if not os.path.exists(executable):
                raise BrowserUnavailable(f"Chromium not found at {executable}; {_INSTALL_HINT}")
            self._playwright = await async_playwright().start()
            try:
                self._browser = await self._playwright.chromium.launch(
                    executable_path=executable, args=CHROMIUM_ARGS
                )
            except Exception as exc:
                await self.close()
                raise BrowserUnavailable(f"Chromium at {executable} did not start: {exc}") from exc
            return self._browser

    async def render(self, url: str, body: bytes, content_type: str) -> str:
        """Load ``body`` as the page at ``url``, run its scripts, and return the resulting HTML.

        Raises:
            BrowserUnavailable: Playwright or Chromium is missing.
            RenderError: The page failed to load.
        """
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        browser = await self._ensure()
        context = await browser.new_context(service_workers="block", accept_downloads=False)
        try:
            page = await context.new_page()
            served = False

            async def handle(route: Route) -> None:
                nonlocal served
                request = route.request
                try:
                    if not served and request.frame == page.main_frame:
                        served = True
                        headers = {"content-type": content_type}
                        await route.fulfill(status=200, headers=headers, body=body)
                    elif (
                        request.resource_type in BLOCKED_TYPES
                        or request.method != "GET"
                        or request.is_navigation_request()
                    ):
                        await route.abort("blockedbyclient")
                    else:
                        await self._answer(route, request.url)
                except PlaywrightError as exc:  # the page went away meanwhile
                    log.debug("route for %s failed: %s", request.url, exc)

            await page.route("**/*", handle)
            try:
                await page.goto(url, wait_until="load", timeout=self._timeout_ms)
                await page.wait_for_load_state("networkidle", timeout=self._timeout_ms)
            except PlaywrightTimeout:
                log.info("rendering %s timed out; keeping the DOM as it is", url)
            except PlaywrightError as exc:
                raise RenderError(f"browser could not load the page: {exc}") from exc
            html = await page.content()
            self.pages += 1
            return html
        finally:
            await context.close()

    async def _answer(self, route: Route, url: str) -> None:
        outcome = await self._fetch(url)
        if outcome.body is None:
            log.debug("browser request %s refused: %s", url, outcome.error)
            await route.abort("blockedbyclient" if outcome.refused else "failed")
            return
        headers = {
            k: v for k, v in (outcome.headers or {}).items() if k.lower() not in _DROP_HEADERS
        }
        await route.fulfill(status=outcome.status or 200, headers=headers, body=outcome.body)

    async def close(self) -> None:
        """Close the browser and stop Playwright (safe to call twice)."""
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        if browser is not None:
            await browser.close()
        if playwright is not None:
            await playwright.stop()
