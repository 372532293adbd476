"""robots.txt: fetched once per origin, read with :mod:`urllib.robotparser` semantics."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.robotparser import RobotFileParser

import httpx

__all__ = ["Robots", "RobotsCache", "RobotsFetch", "origin_of", "robots_from_response"]

# urllib only reads integer Crawl-delay values; delays are rewritten to milliseconds before parsing
# so that "Crawl-delay: 0.5" keeps urllib's group matching and still counts.
_CRAWL_DELAY = re.compile(r"^(\s*crawl-delay\s*:\s*)([0-9]*\.?[0-9]+)(\s*(?:#.*)?)$", re.I)


@dataclass(frozen=True)
class RobotsFetch:
    """What fetching ``/robots.txt`` gave: a status (None when no response) and its text."""

    status: int | None
    text: str | None = None
    note: str | None = None


@dataclass
class Robots:
    """The rules of one origin for one user agent."""

    parser: RobotFileParser
    user_agent: str
    crawl_delay: float | None = None
    sitemaps: list[str] = field(default_factory=list)
    note: str = "ok"
    reachable: bool = True  # False when robots.txt got no HTTP response at all

    def allows(self, url: str) -> bool:
        return self.parser.can_fetch(self.user_agent, url)


def robots_from_response(fetched: RobotsFetch, user_agent: str) -> Robots:
    """Build the rules from a fetch, as :meth:`RobotFileParser.read` does.

    2xx parses the text; 401/403 disallow everything; other 4xx allow everything; 5xx or no
    response disallow everything (the crawl cannot tell what the site permits).
    """
    parser = RobotFileParser()
    status = fetched.status
    if status is not None and 200 <= status < 300 and fetched.text is not None:
        lines = [_scale_delay(line) for line in fetched.text.splitlines()]
        parser.parse(lines)
        delay = parser.crawl_delay(user_agent)
        sitemaps = list(parser.site_maps() or [])
        return Robots(
            parser,
            user_agent,
            crawl_delay=None if delay is None else float(delay) / 1000,
            sitemaps=sitemaps,
        )
    if status in (401, 403):
        allow, note = False, f"robots.txt answered {status}: everything disallowed"
    elif status is not None and 400 <= status < 500:
        allow, note = True, f"robots.txt answered {status}: everything allowed"
    elif status is not None and 200 <= status < 300:
        allow, note = True, fetched.note or "robots.txt is not text/plain: ignored"
    else:
        reason = f"answered {status}" if status is not None else (fetched.note or "failed")
        allow, note = False, f"robots.txt {reason}: everything disallowed"
    parser.parse([] if allow else ["User-agent: *", "Disallow: /"])
    return Robots(parser, user_agent, note=note, reachable=status is not None)


def _scale_delay(line: str) -> str:
    match = _CRAWL_DELAY.match(line)
    if match is None:
        return line
    millis = round(float(match.group(2)) * 1000)
    return f"{match.group(1)}{millis}{match.group(3)}"


def origin_of(url: httpx.URL) -> str:
    """``scheme://host[:port]`` of a URL."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


class RobotsCache:
    """Fetch each origin's robots.txt once, even under concurrent callers.

    Args:
        fetch: Fetches a robots.txt URL; it must not consult this cache.
        user_agent: The agent whose group applies.
    """

    def __init__(self, fetch: Callable[[str], Awaitable[RobotsFetch]], user_agent: str) -> None:
        self._fetch = fetch
        self.user_agent = user_agent
        self._rules: dict[str, asyncio.Task[Robots]] = {}

    async def get(self, url: httpx.URL) -> Robots:
        origin = origin_of(url)
        task = self._rules.get(origin)
        if task is None:
            task = asyncio.ensure_future(self._load(origin))
            self._rules[origin] = task
        return await task

    async def _load(self, origin: str) -> Robots:
        return robots_from_response(await self._fetch(f"{origin}/robots.txt"), self.user_agent)
