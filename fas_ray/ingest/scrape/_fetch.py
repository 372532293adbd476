"""HTTP fetching: SSRF-checked hops, per-host spacing, bounded bodies, retries with backoff."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from fas_ray.ingest.scrape._guard import (
    AddressGuard,
    IPAddress,
    host_key,
    parse_url,
    pinned_request,
)
from fas_ray.ingest.scrape._ratelimit import HostRateLimiter
from fas_ray.ingest.scrape._types import ScrapeError, ScrapeOptions

__all__ = [
    "Counters",
    "FetchOutcome",
    "Fetcher",
    "Permit",
    "accepts_html",
    "accepts_text",
    "accepts_xml",
    "backoff_delay",
    "decode_body",
    "make_client",
    "media_type",
    "parse_retry_after",
]

log = logging.getLogger("fas_ray.ingest.scrape")

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Errors where the server never answered: worth another try. Read timeouts are not retried, a
# server that is slow once tends to stay slow and each try would cost timeout_s again.
_RETRY_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
_GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.I)

#: Checks a hop before it is requested; returns why it is refused, or None.
Permit = Callable[[httpx.URL], Awaitable[str | None]]


def accepts_html(media: str) -> bool:
    return media in ("text/html", "application/xhtml+xml")


def accepts_xml(media: str) -> bool:
    return media.endswith("/xml") or media.endswith("+xml") or media in _GZIP_TYPES


def accepts_text(media: str) -> bool:
    return media == "text/plain"


def media_type(header: str | None) -> tuple[str, str | None]:
    """``("text/html", "utf-8")`` from a ``Content-Type`` header."""
    if not header:
        return "", None
    kind, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"' ").lower()
    return kind.strip().lower(), charset


def decode_body(body: bytes, charset: str | None) -> str:
    """Text of a body: header charset, else ``<meta charset>``, else UTF-8 (bad bytes replaced)."""
    if charset is None:
        match = _META_CHARSET.search(body[:4096])
        charset = match.group(1).decode("ascii").lower() if match else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(
    attempt: int, base: float, cap: float, rng: random.Random, retry_after: float | None = None
) -> float:
    """Sleep before retry ``attempt`` (0-based): ``Retry-After`` if given, else full jitter.

    Both are capped at ``cap``.
    """
    if retry_after is not None:
        return min(cap, retry_after)
    return rng.uniform(0.0, min(cap, base * 2**attempt))


def make_client(options: ScrapeOptions) -> httpx.AsyncClient:
    """The crawl's client: no redirects followed by httpx, no proxies or netrc from the env."""
    return httpx.AsyncClient(
        headers={
            "User-Agent": options.user_agent,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
        },
        timeout=httpx.Timeout(options.timeout_s),
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        follow_redirects=False,
        trust_env=False,
    )


@dataclass
class Counters:
    """Mutable crawl counters shared by the fetcher and the crawl."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0
    skipped_private: int = 0


@dataclass
class FetchOutcome:
    """The end of one fetch: a body, or an error saying why not."""

    url: str
    final_url: str
    status: int | None = None
    media_type: str = ""
    charset: str | None = None
    body: bytes | None = None
    error: str | None = None
    refused: str | None = None  # "private" or "robots" when a hop was refused before any request
    fetched_at: datetime | None = None
    headers: httpx.Headers | None = None


@dataclass
class _Attempt:
    status: int | None = None
    location: str | None = None
    retry_after: float | None = None
    retryable: bool = False
    error: str | None = None
    media: str = ""
    charset: str | None = None
    body: bytes | None = None
    headers: httpx.Headers | None = None


class _TooLarge(Exception):
    pass


class _Exhausted(Exception):
    pass


_EXHAUSTED = "max_total_bytes={} reached; not fetched"


class Fetcher:
    """GET with every hop SSRF-checked, permitted, spaced and bounded.

    Args:
        client: From :func:`make_client`.
        options: Timeouts, sizes, retries.
        guard: Resolves and checks each hop's host.
        limiter: Spaces requests per host.
        counters: Updated in place.
        rng: Jitter source.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: ScrapeOptions,
        guard: AddressGuard,
        limiter: HostRateLimiter,
        counters: Counters,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.guard = guard
        self.limiter = limiter
        self.counters = counters
        self.rng = rng or random.Random()
        self.exhausted = False  # max_total_bytes reached

    async def get(
        self,
        url: str,
        *,
        accept: Callable[[str], bool] | None,
        permit: Permit | None = None,
        max_bytes: int | None = None,
    ) -> FetchOutcome:
        """Fetch ``url``, following up to five redirects, each hop checked like the first.

        Args:
            url: Absolute http(s) URL.
            accept: Media-type check; a refused type is reported without reading the body.
            permit: Extra per-hop check (robots.txt).
            max_bytes: Body limit; defaults to ``options.max_bytes_per_page``.
        """
        limit = max_bytes or self.options.max_bytes_per_page
        outcome = FetchOutcome(url=url, final_url=url)
        if self.exhausted:
            outcome.error = _EXHAUSTED.format(self.options.max_total_bytes)
            return outcome
        try:
            current = parse_url(url)
        except ScrapeError as exc:
            outcome.error = str(exc)
            return outcome
        for _ in range(MAX_REDIRECTS + 1):
            outcome.final_url = str(current)
            try:
                ip = await self.guard.check(current)
            except ScrapeError as exc:
                self.counters.skipped_private += 1
                outcome.error, outcome.refused = str(exc), "private"
                return outcome
            if permit is not None:
                reason = await permit(current)
                if reason is not None:
                    outcome.error, outcome.refused = reason, "robots"
                    return outcome
            attempt = await self._with_retries(current, ip, accept, limit)
            outcome.status, outcome.headers = attempt.status, attempt.headers
            if attempt.location is None:
                outcome.error, outcome.body = attempt.error, attempt.body
                outcome.media_type, outcome.charset = attempt.media, attempt.charset
                outcome.fetched_at = datetime.now(UTC)
                return outcome
            try:
                current = parse_url(str(current.join(attempt.location)))
            except ScrapeError as exc:
                outcome.error = f"redirect refused: {exc}"
                return outcome
        outcome.error = f"more than {MAX_REDIRECTS} redirects"
        return outcome

    async def _with_retries(
        self, url: httpx.URL, ip: IPAddress, accept: Callable[[str], bool] | None, limit: int
    ) -> _Attempt:
        options = self.options
        attempt_no = 0
        while True:
            try:
                async with self.limiter.slot(host_key(url)):
                    self.counters.requests += 1
                    async with asyncio.timeout(3 * options.timeout_s):
                        result = await self._attempt(url, ip, accept, limit)
            except _RETRY_ERRORS as exc:
                result = _Attempt(retryable=True, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
            except (httpx.TimeoutException, TimeoutError):
                return _Attempt(error=f"timed out (timeout_s={options.timeout_s:g})")
            except httpx.HTTPError as exc:
                return _Attempt(error=f"{type(exc).__name__}: {exc}")
            if not result.retryable or attempt_no >= options.max_retries:
                if result.retryable and attempt_no:
                    result.error = f"{result.error} (gave up after {attempt_no} retries)"
                return result
            delay = backoff_delay(
                attempt_no,
                options.backoff_base_s,
                options.backoff_max_s,
                self.rng,
                result.retry_after,
            )
            log.debug("retrying %s in %.2fs after %s", url, delay, result.error)
            self.counters.retries += 1
            attempt_no += 1
            await asyncio.sleep(delay)

    async def _attempt(
        self, url: httpx.URL, ip: IPAddress, accept: Callable[[str], bool] | None, limit: int
    ) -> _Attempt:
        send_url, headers, extensions = pinned_request(url, ip)
        request = self.client.build_request("GET", send_url, headers=headers, extensions=extensions)
        response = await self.client.send(request, stream=True)
        try:
            status = response.status_code
            result = _Attempt(status=status, headers=response.headers)
            if status in _REDIRECTS and "location" in response.headers:
                result.location = response.headers["location"]
                return result
            if status == 429 or status >= 500:
                result.retryable = True
                result.retry_after = parse_retry_after(response.headers.get("retry-after"))
                result.error = f"HTTP {status}"
                return result
            if not 200 <= status < 300:
                result.error = f"HTTP {status}"
                return result
            result.media, result.charset = media_type(response.headers.get("content-type"))
            if accept is not None and not accept(result.media):
                result.error = f"unsupported content-type {result.media or 'none'!r}"
                return result
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                result.error = f"larger than max_bytes_per_page={limit} ({declared} bytes declared)"
                return result
            try:
                result.body = await self._read(response, limit)
            except _TooLarge:
                result.error = f"larger than max_bytes_per_page={limit}; stopped reading"
            except _Exhausted:
                result.error = _EXHAUSTED.format(self.options.max_total_bytes).replace(
                    "not fetched", "stopped reading"
                )
            return result
        finally:
            await response.aclose()

    async def _read(self, response: httpx.Response, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            self.counters.bytes += len(chunk)
            if self.counters.bytes > self.options.max_total_bytes:
                self.exhausted = True
                raise _Exhausted
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)
