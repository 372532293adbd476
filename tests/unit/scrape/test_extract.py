"""HTML → rows: tables, selector fields, page text, next links and the js='auto' rule."""

from __future__ import annotations

import pytest

from fas_ray.ingest.scrape._extract import MIN_TEXT_CHARS, check_selector, extract_page

BASE = "http://site.test/list/page1"


def _html(body: str, head: str = "<title>T</title>") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_table_header_from_th_values_kept_as_text() -> None:
    html = _html(
        "<table><tr><th>Name</th><th> Price </th></tr>"
        "<tr><td>apple</td><td>1,20</td></tr><tr><td>pear</td><td>007</td></tr></table>"
    )
    assert extract_page(html, BASE).table_rows == [
        {"Name": "apple", "Price": "1,20"},
        {"Name": "pear", "Price": "007"},
    ]


def test_table_first_row_is_header_without_th_and_names_are_made_unique() -> None:
    html = _html(
        "<table><tr><td>a</td><td></td><td>a</td><td>source_url</td></tr>"
        "<tr><td>1</td><td>2</td><td>3</td><td>4</td><td>5</td></tr><tr><td></td></tr></table>"
    )
    assert extract_page(html, BASE).table_rows == [
        {"a": "1", "col_2": "2", "a_2": "3", "source_url_2": "4", "col_5": "5"}
    ]


def test_layout_tables_around_data_tables_are_skipped() -> None:
    inner = "<table><tr><th>k</th></tr><tr><td>v</td></tr></table>"
    html = _html(f"<table><tr><td>layout</td></tr><tr><td>{inner}</td></tr></table>")
    assert extract_page(html, BASE).table_rows == [{"k": "v"}]


def test_selector_rows_take_fields_from_class_itemprop_and_data_field() -> None:
    html = _html(
        '<div class="item"><span class="name big">Lamp</span><b itemprop="price">19</b>'
        '<i data-field="sku" class="ignored">L-1</i><script class="x">no</script></div>'
        '<div class="item"><span class="name">Desk</span></div>'
        '<div class="item">just text</div>'
    )
    rows = extract_page(html, BASE, selector="div.item").selector_rows
    assert rows == [
        {"name": "Lamp", "price": "19", "sku": "L-1"},
        {"name": "Desk"},
        {"text": "just text"},
    ]


def test_text_row_without_scripts_and_styles() -> None:
    html = _html(
        "<h1>Main</h1><p>Body <b>text</b></p><h2>Sub</h2><style>p{}</style><script>x=1</script>",
        head="<title> Page </title>",
    )
    assert extract_page(html, BASE).text_row == {
        "title": "Page",
        "headings": "Main\nSub",
        "text": "Main Body text Sub",
    }
    assert extract_page(_html(""), BASE).text_row is None


def test_next_links_same_host_only() -> None:
    html = _html(
        '<a href="page2#x">Next »</a><a rel="next" href="/list/page3">3</a>'
        '<a href="http://other.test/p">Next</a><a href="/list/page0">Previous</a>'
        '<a href="mailto:a@b">next</a>',
        head='<link rel="next" href="/list/page2">',
    )
    assert extract_page(html, BASE).next_links == [
        "http://site.test/list/page2",
        "http://site.test/list/page3",
    ]


SCRIPT = "<script>render()</script>"


@pytest.mark.parametrize(
    ("body", "selector", "needs_js"),
    [
        ('<div id="root"></div>' + SCRIPT, None, True),  # app shell
        ("<p>Loading…</p>" + SCRIPT, None, True),  # little text
        ('<div id="app"></div><p>' + "long text " * 40 + "</p>" + SCRIPT, None, True),
        ("<p>" + "long text " * 40 + "</p>" + SCRIPT, None, False),  # an article
        ("<p>Loading…</p>", None, False),  # nothing would run
        ('<p>Loading…</p><script type="application/ld+json">{}</script>', None, False),
        ("<table><tr><th>a</th></tr><tr><td>1</td></tr></table>" + SCRIPT, None, False),
        ("<p>" + "long text " * 40 + "</p>" + SCRIPT, ".product", True),  # selector unmatched
        ('<div class="product">x</div>' + SCRIPT, ".product", False),
    ],
)
def test_js_auto_rule(body: str, selector: str | None, needs_js: bool) -> None:
    assert extract_page(_html(body), BASE, selector).needs_js is needs_js


def test_min_text_chars_is_the_threshold() -> None:
    short = _html("<p>" + "x" * (MIN_TEXT_CHARS - 1) + "</p>" + SCRIPT)
    long = _html("<p>" + "x" * MIN_TEXT_CHARS + "</p>" + SCRIPT)
    assert extract_page(short, BASE).needs_js
    assert not extract_page(long, BASE).needs_js


def test_invalid_selector() -> None:
    with pytest.raises(ValueError, match="invalid CSS selector"):
        check_selector("div[")
