"""URL checks and the SSRF guard: refusals happen before any connection."""

from __future__ import annotations

import asyncio
import ipaddress
import time

import httpx
import pytest

from fas_ray.exceptions import InputError
from fas_ray.ingest.scrape import ScrapeError, ScrapeOptions, scrape
from fas_ray.ingest.scrape._guard import (
    AddressGuard,
    is_public_address,
    parse_url,
    pinned_request,
)
from tests.unit.scrape._site import Site


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://192.168.1.1:8080/admin",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::a00:1]/",
        "http://localhost/",
    ],
)
def test_private_addresses_are_refused_before_connecting(url: str) -> None:
    began = time.monotonic()
    with pytest.raises(ScrapeError, match="allow-private") as info:
        scrape(url, ScrapeOptions(timeout_s=5))
    assert isinstance(info.value, InputError)
    assert "\n" not in str(info.value)
    assert time.monotonic() - began < 1.0  # no connect attempt, no timeout


def test_local_server_is_refused_without_allow_private(site: Site) -> None:
    with pytest.raises(ScrapeError, match="127.0.0.1, a private"):
        scrape(site.url("/tables/page1"))
    assert site.paths() == []  # not even robots.txt was requested


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/file", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/"],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(ScrapeError, match="only http and https"):
        scrape(url)


@pytest.mark.parametrize("url", ["", "   ", "//example.org/x", "http://user:pw@example.org/"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ScrapeError):
        scrape(url)


def test_empty_url_list_is_refused() -> None:
    with pytest.raises(ScrapeError, match="No URL"):
        scrape([])


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_every_resolved_address_is_checked() -> None:
    guard = AddressGuard(allow_private=False)
    # "localhost" resolves to 127.0.0.1 (and ::1): one private address is enough to refuse.
    with pytest.raises(ScrapeError, match="private"):
        asyncio.run(guard.check(httpx.URL("http://localhost:9/")))


def test_allow_private_accepts_loopback() -> None:
    guard = AddressGuard(allow_private=True)
    ip = asyncio.run(guard.check(httpx.URL("http://127.0.0.1:9/")))
    assert str(ip) == "127.0.0.1"


def test_pinned_request_keeps_host_header_and_sni() -> None:
    url = parse_url("https://Example.org:8443/a?b=1#frag")
    send, headers, extensions = pinned_request(url, ipaddress.ip_address("2001:db8::1"))
    assert str(send) == "https://[2001:db8::1]:8443/a?b=1"
    assert headers == {"Host": "example.org:8443"}
    assert extensions == {"sni_hostname": "example.org"}
