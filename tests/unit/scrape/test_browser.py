"""The Chromium fallback: off with js='never', on every page with js='always'."""

from __future__ import annotations

import pytest

from fas_ray.ingest.scrape import ScrapeError, ScrapeOptions, scrape
from tests.unit.scrape._site import Site


def test_js_never_gives_no_rows_from_a_javascript_page(site: Site, chromium: str) -> None:
    options = ScrapeOptions(allow_private=True, rate=50.0, js="never", follow_links=False)
    result = scrape([site.url("/js/table"), site.url("/tables/page1")], options)
    js_page = result.pages[0]
    assert (js_page.renderer, js_page.rows, js_page.error) == ("http", 0, None)
    assert result.stats["browser_pages"] == 0
    assert "city" not in result.table.column_names
    with pytest.raises(ScrapeError, match="No rows"):
        scrape(site.url("/js/table"), options)


def test_js_always_renders_every_page_through_the_same_rules(site: Site, chromium: str) -> None:
    options = ScrapeOptions(allow_private=True, rate=50.0, js="always", follow_links=False)
    result = scrape([site.url("/tables/page3"), site.url("/js/table")], options)
    assert [p.renderer for p in result.pages] == ["browser", "browser"]
    assert result.stats["browser_pages"] == 2
    assert result.table.column("city").drop_null().to_pylist() == ["Paris", "Lyon"]
    # the browser's HTML came from the fetcher: one request per page; its fetch() of a
    # disallowed path was refused before reaching the server
    assert site.paths().count("/js/table") == 1
    assert not [p for p in site.paths() if p.startswith("/private/")]
