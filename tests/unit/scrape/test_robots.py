"""robots.txt rules, read with urllib.robotparser semantics."""

from __future__ import annotations

import pytest

from fas_ray.ingest.scrape import ScrapeError, ScrapeOptions, scrape
from fas_ray.ingest.scrape._robots import RobotsFetch, robots_from_response
from tests.unit.scrape._site import Site

UA = "fas-ray/0.1.0"
TEXT = """
User-agent: otherbot
Disallow: /

User-agent: *
Disallow: /private/
Allow: /private/open
Crawl-delay: 0.5
Sitemap: https://example.org/sitemap.xml
"""


def test_rules_groups_delay_and_sitemaps() -> None:
    robots = robots_from_response(RobotsFetch(200, TEXT), UA)
    assert robots.allows("https://example.org/tables/1")
    assert not robots.allows("https://example.org/private/x")
    assert robots.crawl_delay == 0.5  # urllib alone only reads integers
    assert robots.sitemaps == ["https://example.org/sitemap.xml"]
    other = robots_from_response(RobotsFetch(200, TEXT), "otherbot/2.0")
    assert not other.allows("https://example.org/tables/1")


def test_agent_specific_group_wins() -> None:
    text = "User-agent: fas-ray\nDisallow: /a\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /b\n"
    robots = robots_from_response(RobotsFetch(200, text), UA)
    assert not robots.allows("http://h/a")
    assert robots.allows("http://h/b")
    assert robots.crawl_delay == 2.0


@pytest.mark.parametrize(
    ("fetched", "allowed"),
    [
        (RobotsFetch(404), True),
        (RobotsFetch(410), True),
        (RobotsFetch(401), False),
        (RobotsFetch(403), False),
        (RobotsFetch(503), False),
        (RobotsFetch(None, note="ConnectError"), False),
        (RobotsFetch(200, None, note="robots.txt is not text/plain: ignored"), True),
    ],
)
def test_status_semantics(fetched: RobotsFetch, allowed: bool) -> None:
    robots = robots_from_response(fetched, UA)
    assert robots.allows("http://h/anything") is allowed
    assert robots.crawl_delay is None


def test_start_url_disallowed_by_robots_is_refused(site: Site) -> None:
    with pytest.raises(ScrapeError, match="robots.txt of .* disallows"):
        scrape(site.url("/private/secret"), ScrapeOptions(allow_private=True))
    assert site.paths() == ["/robots.txt"]
