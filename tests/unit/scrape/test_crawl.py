"""Whole crawls against a local site with ``Crawl-delay: 0.4`` and a sitemap index.

One crawl (module fixture) discovers the pages from the sitemaps and is checked from several
angles through the server's request log.
"""

from __future__ import annotations

import asyncio
import ipaddress

import pyarrow as pa
import pytest

from fas_ray.ingest.scrape import ScrapeError, ScrapeOptions, ScrapeResult, scrape
from fas_ray.ingest.scrape._crawl import scrape_async
from fas_ray.ingest.scrape._guard import AddressGuard, IPAddress
from tests.unit.scrape._site import JS_ROWS, TABLE_PAGES, Site
from tests.unit.scrape.conftest import POLITE_DELAY

TOLERANCE = 0.05
ALL_TABLE_ROWS = [row for rows in TABLE_PAGES.values() for row in rows]


@pytest.fixture(scope="module")
def polite(polite_site: Site, chromium: str) -> ScrapeResult:
    options = ScrapeOptions(sitemap=True, allow_private=True, rate=100.0, timeout_s=5.0)
    return scrape(polite_site.url("/"), options)


def test_robots_fetched_once_and_disallowed_pages_never_requested(
    polite: ScrapeResult, polite_site: Site
) -> None:
    paths = polite_site.paths()
    assert paths.count("/robots.txt") == 1
    assert paths[0] == "/robots.txt"
    assert not [p for p in paths if p.startswith("/private/")]  # sitemaps and the JS page ask
    skipped = [p.url for p in polite.pages if p.error == "disallowed by robots.txt"]
    assert skipped == [polite_site.url("/private/secret"), polite_site.url("/private/other")]
    # two from the sitemaps, one fetch() the JavaScript page tried
    assert polite.stats["skipped_by_robots"] == 3


def test_sitemap_index_and_robots_sitemap_line_discover_pages(
    polite: ScrapeResult, polite_site: Site
) -> None:
    paths = polite_site.paths()
    for sitemap in ("/sitemap_index.xml", "/sitemap-a.xml", "/sitemap-b.xml"):
        assert paths.count(sitemap) == 1
    assert polite.stats["sitemaps"] == 3 and polite.stats["sitemap_urls"] == 6
    fetched = [p.url.removeprefix(polite_site.url("")) for p in polite.pages if p.error is None]
    assert fetched == ["/", "/tables/page1", "/tables/page2", "/tables/page3", "/js/table"]


def test_gaps_between_requests_respect_crawl_delay(polite: ScrapeResult, polite_site: Site) -> None:
    times = polite_site.times()
    assert len(times) == 9
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= POLITE_DELAY - TOLERANCE, gaps
    assert polite.stats["seconds"] >= 8 * POLITE_DELAY - TOLERANCE


def test_same_header_tables_are_concatenated_across_pages(polite: ScrapeResult) -> None:
    table = polite.table
    names = table.column("name").to_pylist()
    prices = table.column("price").to_pylist()
    assert list(zip(names, prices, strict=True))[:5] == [tuple(r) for r in ALL_TABLE_ROWS]
    sources = table.column("source_url").to_pylist()
    assert [s.rsplit("/", 1)[-1] for s in sources[:5]] == ["page1"] * 2 + ["page2"] * 2 + ["page3"]
    rows = {p.url.rsplit("/", 1)[-1]: p.rows for p in polite.pages}
    assert rows["page1"] == 2 and rows["page3"] == 1 and rows[""] == 0  # home page: no table


def test_only_the_javascript_page_used_the_browser(polite: ScrapeResult) -> None:
    renderers = {p.url.rsplit("/", 2)[-2:][-1]: p.renderer for p in polite.pages if not p.error}
    assert renderers == {
        "": "http",
        "page1": "http",
        "page2": "http",
        "page3": "http",
        "table": "browser",
    }
    assert polite.stats["browser_pages"] == 1
    table = polite.table
    js = table.filter(pa.compute.is_valid(table.column("city")))
    assert list(zip(js["city"].to_pylist(), js["population"].to_pylist(), strict=True)) == [
        tuple(r) for r in JS_ROWS
    ]
    # rows from different pages are aligned by column name
    assert js["name"].null_count == len(JS_ROWS)
    assert table.column("city").null_count == len(ALL_TABLE_ROWS)


def test_output_schema(polite: ScrapeResult) -> None:
    schema = polite.table.schema
    assert schema.names == ["name", "price", "city", "population", "source_url", "fetched_at"]
    for name in ("name", "price", "city", "population", "source_url"):
        assert schema.field(name).type == pa.string()
    assert schema.field("fetched_at").type == pa.timestamp("us", tz="UTC")
    assert polite.table.column("fetched_at").null_count == 0
    expected = {"requests", "pages_fetched", "skipped_by_robots", "retries", "bytes", "seconds"}
    assert expected <= set(polite.stats) and polite.stats["stopped"] is None


def test_next_links_are_followed_in_order(site: Site) -> None:
    options = ScrapeOptions(allow_private=True, rate=50.0)
    result = scrape(site.url("/tables/page1"), options)
    assert [p.url.rsplit("/", 1)[-1] for p in result.pages] == ["page1", "page2", "page3"]
    assert result.table.column("name").to_pylist() == [r[0] for r in ALL_TABLE_ROWS]
    assert "/tables/page1" not in site.paths()[2:]  # "Previous" is not followed


def test_max_pages_bounds_the_crawl(site: Site) -> None:
    result = scrape(
        site.url("/tables/page1"), ScrapeOptions(allow_private=True, rate=50.0, max_pages=2)
    )
    assert len(result.pages) == 2 and result.stats["stopped"] == "max_pages"
    assert "/tables/page3" not in site.paths()
    assert result.table.num_rows == 4


def test_max_seconds_stops_and_returns_what_was_fetched(polite_site: Site) -> None:
    options = ScrapeOptions(allow_private=True, rate=100.0, max_seconds=1.0)
    result = scrape(polite_site.url("/tables/page1"), options)  # pages come every 0.4 s
    assert result.stats["stopped"] == "max_seconds"
    # stops at the bound; the upper slack only guards against a crawl that ignores it (a
    # loaded 2-core CI machine can be slow to wind down, so it is generous)
    assert 1.0 <= result.stats["seconds"] < 3.0
    assert result.table.num_rows == 4  # page1 and page2
    assert result.pages[-1].error == "stopped: max_seconds reached while fetching"


def test_selector_rows(site: Site) -> None:
    options = ScrapeOptions(allow_private=True, rate=50.0, selector="div.product")
    result = scrape(site.url("/products"), options)
    assert result.table.select(["name", "price"]).to_pylist() == [
        {"name": "Lamp", "price": "19"},
        {"name": "Desk", "price": "120"},
        {"name": "Chair", "price": None},
    ]
    assert result.pages[0].rows == 3 and result.stats["browser_pages"] == 0


def test_page_text_rows_when_there_are_no_tables(site: Site) -> None:
    result = scrape(site.url("/products"), ScrapeOptions(allow_private=True, rate=50.0))
    assert result.table.column_names == ["title", "headings", "text", "source_url", "fetched_at"]
    assert result.table.column("text").to_pylist() == ["Lamp 19 Desk 120 Chair"]


def test_no_rows_is_an_input_error_carrying_the_result(site: Site) -> None:
    with pytest.raises(ScrapeError, match="No rows could be extracted") as info:
        scrape(site.url("/empty"), ScrapeOptions(allow_private=True, rate=50.0))
    assert info.value.result is not None
    assert info.value.result.pages[0].status == 200


def test_redirect_to_a_refused_address_is_checked_per_hop(site: Site) -> None:
    def only_127_0_0_1(ip: IPAddress) -> bool:
        return ip == ipaddress.ip_address("127.0.0.1")

    guard = AddressGuard(allow_private=False, is_allowed=only_127_0_0_1)
    urls = [site.url("/redirect/other-host"), site.url("/tables/page1")]
    options = ScrapeOptions(rate=50.0, follow_links=False)
    result = asyncio.run(scrape_async(urls, options, guard=guard))
    record = result.pages[0]
    assert record.error is not None and "127.0.0.2" in record.error and "private" in record.error
    assert record.final_url is not None and "127.0.0.2" in record.final_url
    assert result.stats["skipped_private"] == 1


def test_a_50_mb_robots_txt_is_not_read_past_its_limit() -> None:
    from fas_ray.ingest.scrape._crawl import MAX_ROBOTS_BYTES

    with Site(crawl_delay=None, robots_mb=50) as site:
        result = scrape(site.url("/tables/page1"), ScrapeOptions(allow_private=True, rate=50.0))
    page = next(p for p in result.pages if p.url.endswith("/tables/page1"))
    assert page.error is None and page.rows > 0  # the crawl goes on without its rules
    assert result.stats["bytes"] < 4 * MAX_ROBOTS_BYTES  # not 50 MB
