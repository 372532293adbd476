"""Sitemaps (``urlset``) and sitemap indexes, parsed with caution.

The XML is bounded in size (gzip included), and a document declaring a DOCTYPE or an ENTITY is
refused outright, which rules out entity expansion and external entities, as defusedxml does.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Literal
from xml.etree import ElementTree

__all__ = ["Sitemap", "SitemapError", "parse_sitemap"]

MAX_LOCS = 50_000  # the sitemap protocol's own limit per file
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


class SitemapError(ValueError):
    """A sitemap is unsafe or malformed."""


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: ``urlset`` (``locs`` are pages) or ``sitemapindex`` (more sitemaps)."""

    kind: Literal["urlset", "sitemapindex"]
    locs: list[str] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise SitemapError(f"bad gzip data: {exc}") from exc
    if len(out) > max_bytes:
        raise SitemapError(f"sitemap inflates past {max_bytes} bytes")
    return out


def parse_sitemap(data: bytes, max_bytes: int) -> Sitemap:
    """Read the ``<loc>`` entries of a sitemap or sitemap index (gzip accepted).

    Raises:
        SitemapError: Too large, DOCTYPE/ENTITY present, not XML, or not a sitemap.
    """
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, max_bytes)
    if len(data) > max_bytes:
        raise SitemapError(f"sitemap larger than {max_bytes} bytes")
    if _FORBIDDEN.search(data):
        raise SitemapError("sitemap declares a DOCTYPE or ENTITY; refused")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise SitemapError(f"sitemap is not well-formed XML: {exc}") from exc
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"root element is <{kind}>, not <urlset> or <sitemapindex>")
    entry = "url" if kind == "urlset" else "sitemap"
    locs: list[str] = []
    for child in root:
        if _local(child.tag) != entry:
            continue
        for sub in child:
            if _local(sub.tag) == "loc" and sub.text and sub.text.strip():
                locs.append(sub.text.strip())
                break
        if len(locs) >= MAX_LOCS:
            break
    return Sitemap("urlset" if kind == "urlset" else "sitemapindex", locs)
