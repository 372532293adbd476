"""The public names of fas_ray.ingest.scrape."""

from __future__ import annotations

import fas_ray.ingest.scrape as scrape_pkg
from fas_ray import __version__
from fas_ray.exceptions import InputError


def test_exported_members() -> None:
    assert sorted(scrape_pkg.__all__) == [
        "PageRecord",
        "ScrapeError",
        "ScrapeOptions",
        "ScrapeResult",
        "ScrapeStats",
        "scrape",
        "scrape_async",
    ]
    for name in scrape_pkg.__all__:
        assert getattr(scrape_pkg, name).__module__.startswith("fas_ray.ingest.scrape")


def test_defaults() -> None:
    options = scrape_pkg.ScrapeOptions()
    assert options.user_agent == f"fas-ray/{__version__}"
    assert (options.max_pages, options.rate, options.js) == (50, 1.0, "auto")
    assert options.allow_private is False and options.sitemap is False
    assert issubclass(scrape_pkg.ScrapeError, InputError)
