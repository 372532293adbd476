"""URL checks and the SSRF guard.

Every host is resolved with ``getaddrinfo`` and *every* address it resolves to must be public
unless private sources are allowed. The checked address is then used for the connection (the
request goes to the IP with the original ``Host`` header and TLS server name), so a DNS answer that
changes between check and connect cannot redirect the request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable

import httpx

from fas_ray.ingest.scrape._types import ScrapeError

__all__ = [
    "AddressGuard",
    "host_key",
    "IPAddress",
    "is_public_address",
    "parse_url",
    "pinned_request",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_PRIVATE_HINT = "pass allow_private=True (--allow-private) for local sources"


def parse_url(url: str) -> httpx.URL:
    """Parse an absolute http(s) URL, dropping its fragment.

    Raises:
        ScrapeError: The URL is malformed, not http(s), has no host, or carries credentials.
    """
    if not isinstance(url, str) or not url.strip():
        raise ScrapeError(f"Invalid URL {url!r}; give an absolute http:// or https:// URL.")
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise ScrapeError(f"Invalid URL {url!r} ({exc}); give an absolute http(s) URL.") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        scheme = parsed.scheme or "none"
        raise ScrapeError(
            f"URL {url!r} has scheme {scheme!r}; only http and https URLs can be scraped."
        )
    if not parsed.host:
        raise ScrapeError(f"URL {url!r} has no host; give an absolute http(s) URL.")
    if parsed.userinfo:
        raise ScrapeError(f"URL {url!r} carries credentials; remove the user:password@ part.")
    return parsed.copy_with(fragment=None)


def host_key(url: httpx.URL) -> str:
    """``host[:port]``: the unit of robots.txt rules and request spacing."""
    return url.netloc.decode("ascii")


def is_public_address(ip: IPAddress) -> bool:
    """Whether an address is globally routable (not private, loopback, link-local, reserved...).

    IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are judged by it.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if any(not is_public_address(v4) for v4 in embedded):
            return False
    return ip.is_global and not ip.is_multicast


class AddressGuard:
    """Resolve hosts once per crawl and refuse non-public addresses.

    Args:
        allow_private: Accept every address.
        is_allowed: Policy for one address (default :func:`is_public_address`); tests swap it.
    """

    def __init__(
        self,
        allow_private: bool,
        is_allowed: Callable[[IPAddress], bool] = is_public_address,
    ) -> None:
        self.allow_private = allow_private
        self._is_allowed = is_allowed
        self._cache: dict[tuple[str, int], IPAddress] = {}
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}

    async def check(self, url: httpx.URL) -> IPAddress:
        """Return the address to connect to for ``url``.

        Raises:
            ScrapeError: The host does not resolve, or one of its addresses is refused.
        """
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        key = (host, port)
        if key in self._cache:
            return self._cache[key]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._cache:
                self._cache[key] = await self._resolve(url, host, port)
        return self._cache[key]

    async def _resolve(self, url: httpx.URL, host: str, port: int) -> IPAddress:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise ScrapeError(
                    f"Host {host!r} of {url} does not resolve ({exc}); check the URL."
                ) from exc
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise ScrapeError(f"Host {host!r} of {url} has no address; check the URL.")
        if not self.allow_private:
            for ip in addresses:
                if not self._is_allowed(ip):
                    raise ScrapeError(
                        f"{url} resolves to {ip}, a private, loopback, link-local or reserved "
                        f"address; {_PRIVATE_HINT}."
                    )
        return addresses[0]


def pinned_request(
    url: httpx.URL, ip: IPAddress
) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL to send (host replaced by ``ip``), the ``Host`` header and the TLS extensions."""
    host_header = url.netloc.decode("ascii")
    extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
    return url.copy_with(host=str(ip)), {"Host": host_header}, extensions
