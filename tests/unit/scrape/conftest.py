"""Fixtures of the scraper tests: local sites on 127.0.0.1 and a Chromium check.

The unit tier's guard (tests/unit/conftest.py) applies here too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fas_ray.ingest.scrape._browser import chromium_path
from tests.unit.scrape._site import Site

POLITE_DELAY = 0.4


@pytest.fixture(scope="module")
def polite_site() -> Iterator[Site]:
    """Robots.txt with ``Crawl-delay: 0.4``; shared by a module, so tests must not clear it."""
    with Site(crawl_delay=POLITE_DELAY) as site:
        yield site


@pytest.fixture
def site() -> Iterator[Site]:
    """A site without Crawl-delay, fresh per test."""
    with Site(crawl_delay=None) as site:
        yield site


@pytest.fixture(scope="session")
def chromium() -> str:
    """Fail (not skip) without Chromium: CI installs it."""
    path = chromium_path()
    if not os.path.exists(path):
        pytest.fail(f"Chromium is missing at {path}; run `apt-get install -y chromium`.")
    return path
