"""Sitemap and sitemap index parsing, with its safety limits."""

from __future__ import annotations

import gzip

import pytest

from fas_ray.ingest.scrape._sitemap import SitemapError, parse_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def test_urlset_with_namespace() -> None:
    xml = (
        f'<?xml version="1.0"?><urlset {NS}><url><loc> https://e.org/a </loc>'
        "<lastmod>2024-01-01</lastmod></url><url><loc>https://e.org/b</loc></url></urlset>"
    )
    sitemap = parse_sitemap(xml.encode(), 1 << 20)
    assert sitemap.kind == "urlset"
    assert sitemap.locs == ["https://e.org/a", "https://e.org/b"]


def test_sitemap_index() -> None:
    xml = f"<sitemapindex {NS}><sitemap><loc>https://e.org/s1.xml</loc></sitemap></sitemapindex>"
    sitemap = parse_sitemap(xml.encode(), 1 << 20)
    assert (sitemap.kind, sitemap.locs) == ("sitemapindex", ["https://e.org/s1.xml"])


def test_gzip_is_inflated_within_the_bound() -> None:
    xml = f"<urlset {NS}><url><loc>https://e.org/a</loc></url></urlset>".encode()
    assert parse_sitemap(gzip.compress(xml), 1 << 20).locs == ["https://e.org/a"]
    bomb = gzip.compress(b"<urlset>" + b" " * (2 << 20) + b"</urlset>")
    with pytest.raises(SitemapError, match="inflates"):
        parse_sitemap(bomb, 1 << 20)


@pytest.mark.parametrize(
    "xml",
    [
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><urlset><url><loc>&a;</loc></url></urlset>',
        b'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "http://evil/x.dtd"><urlset/>',
        b"<urlset><url><loc>unclosed</urlset>",
        b"<html><body>not a sitemap</body></html>",
    ],
)
def test_unsafe_or_malformed_sitemaps_are_refused(xml: bytes) -> None:
    with pytest.raises(SitemapError):
        parse_sitemap(xml, 1 << 20)


def test_size_bound() -> None:
    with pytest.raises(SitemapError, match="larger"):
        parse_sitemap(b"<urlset>" + b" " * 2048 + b"</urlset>", 1024)
