"""HTML → rows, with selectolax. Pure functions: no I/O, no state.

Three kinds of rows come out of a page:

* table rows: every ``<table>`` that holds no other table; its first row is the header,
  cells are kept as text (bronze is raw);
* selector rows: each element matching the user's CSS selector; its fields are descendants with a
  ``data-field``, ``itemprop`` or ``class`` attribute (first class), text content as value;
* a text row: ``title``, ``headings`` (h1-h3, one per line) and ``text`` (body text without
  scripts and styles), for text tasks on pages without tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

__all__ = [
    "MIN_TEXT_CHARS",
    "PageContent",
    "Row",
    "check_selector",
    "extract_page",
    "needs_javascript",
]

Row = dict[str, str | None]

#: A page without tables whose visible text is shorter than this, and that runs scripts, is a
#: JavaScript shell for ``js="auto"``.
MIN_TEXT_CHARS = 200
RESERVED_COLUMNS = ("source_url", "fetched_at")
_MOUNT_POINTS = "#root, #app, #__next, #__nuxt, [data-reactroot], [ng-app], app-root"
_NOT_TEXT = ["script", "style", "noscript", "template"]
_JS_TYPES = frozenset({"", "text/javascript", "application/javascript", "module"})
_NEXT_TEXT = re.compile(r"^next(\s+page)?\s*[»›>→]*$", re.I)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PageContent:
    """Everything the crawl needs from one page."""

    table_rows: list[Row] = field(default_factory=list)
    selector_rows: list[Row] = field(default_factory=list)
    text_row: Row | None = None
    next_links: list[str] = field(default_factory=list)
    needs_js: bool = False


def check_selector(selector: str) -> None:
    """Raise ValueError when selectolax cannot parse ``selector``."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError as exc:
        raise ValueError(f"invalid CSS selector {selector!r}: {exc}") from exc


def _clean(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _text(node: LexborNode) -> str:
    return _clean(node.text(separator=" "))


def _unique(names: list[str], start: int = 0) -> list[str]:
    seen: set[str] = set(RESERVED_COLUMNS)
    out = []
    for i, name in enumerate(names, start=start):
        base = name or f"col_{i + 1}"
        candidate, n = base, 2
        while candidate in seen:
            candidate, n = f"{base}_{n}", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def table_rows(tree: LexborHTMLParser) -> list[Row]:
    """Rows of every innermost ``<table>``, keyed by its first row's cell texts."""
    rows: list[Row] = []
    for table in tree.css("table"):
        if len(table.css("table")) > 1:  # a layout table around data tables
            continue
        grid = [[_text(c) for c in tr.iter() if c.tag in ("td", "th")] for tr in table.css("tr")]
        grid = [cells for cells in grid if cells]
        if len(grid) < 2:
            continue
        header = _unique(grid[0])
        for cells in grid[1:]:
            if not any(cells):
                continue
            if len(cells) > len(header):
                header = _unique(header + [""] * (len(cells) - len(header)))
            rows.append({header[i]: value for i, value in enumerate(cells)})
    return rows


def _field_name(node: LexborNode) -> str | None:
    attrs = node.attributes
    for key in ("data-field", "itemprop"):
        value = attrs.get(key)
        if value and value.strip():
            return value.strip()
    classes = (attrs.get("class") or "").split()
    return classes[0] if classes else None


def selector_rows(tree: LexborHTMLParser, selector: str) -> list[Row]:
    """One row per element matching ``selector``; see the module docstring for fields."""
    rows: list[Row] = []
    for element in tree.css(selector):
        row: Row = {}
        for node in list(element.traverse())[1:]:
            if node.tag in _NOT_TEXT:
                continue
            name = _field_name(node)
            if name is None:
                continue
            name = name if name not in RESERVED_COLUMNS else f"{name}_2"
            row.setdefault(name, _text(node))
        rows.append(row or {"text": _text(element)})
    return rows


def next_links(tree: LexborHTMLParser, base_url: str) -> list[str]:
    """Same-host "next page" links: ``rel=next`` on ``<link>``/``<a>``, or an anchor saying Next."""
    base = httpx.URL(base_url)
    base_tag = tree.css_first("base[href]")
    if base_tag is not None:
        try:
            base = base.join(base_tag.attributes.get("href") or "")
        except httpx.InvalidURL:
            pass
    found: list[str] = []
    for node in tree.css("link[href], a[href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        label = _text(node) or (node.attributes.get("aria-label") or "")
        is_next = "next" in rel or (node.tag == "a" and bool(_NEXT_TEXT.match(_clean(label))))
        if not is_next:
            continue
        try:
            target = base.join(node.attributes.get("href") or "").copy_with(fragment=None)
        except httpx.InvalidURL:
            continue
        if target.scheme in ("http", "https") and target.host == base.host:
            if target.port == base.port and str(target) not in found:
                found.append(str(target))
    return found


def _has_scripts(tree: LexborHTMLParser) -> bool:
    for script in tree.css("script"):
        kind = (script.attributes.get("type") or "").strip().lower()
        if kind in _JS_TYPES:
            return True
    return False


def _has_empty_mount(tree: LexborHTMLParser) -> bool:
    for node in tree.css(_MOUNT_POINTS):
        if not _text(node) and not any(True for _ in node.iter()):
            return True
    return False


def needs_javascript(
    *,
    has_content: bool,
    has_scripts: bool,
    selector: str | None,
    text_chars: int,
    empty_mount: bool,
) -> bool:
    """The ``js="auto"`` rule: render a page in the browser only when all of these hold:

    1. the static HTML gave no content (no table rows, or no selector match when a selector is
       set);
    2. the page runs scripts (a ``<script>`` of a JavaScript type);
    3. with a selector, that is enough; without one, the page also has fewer than
       :data:`MIN_TEXT_CHARS` characters of visible text, or an empty app mount point
       (``#root``, ``#app``, ``#__next``, ...).
    """
    if has_content or not has_scripts:
        return False
    if selector is not None:
        return True
    return text_chars < MIN_TEXT_CHARS or empty_mount


def extract_page(html: str, base_url: str, selector: str | None = None) -> PageContent:
    """Parse one page into rows, next links and the JavaScript verdict."""
    tree = LexborHTMLParser(html)
    tables = table_rows(tree)
    matched = selector_rows(tree, selector) if selector is not None else []
    links = next_links(tree, base_url)
    scripts = _has_scripts(tree)
    empty_mount = _has_empty_mount(tree)
    title_node = tree.css_first("title")
    title = _text(title_node) if title_node is not None else ""
    headings = "\n".join(t for t in (_text(h) for h in tree.css("h1, h2, h3")) if t)
    tree.strip_tags(_NOT_TEXT)
    body = tree.body
    text = _text(body) if body is not None else ""
    has_content = bool(matched) if selector is not None else bool(tables)
    return PageContent(
        table_rows=tables,
        selector_rows=matched,
        text_row={"title": title, "headings": headings, "text": text} if text else None,
        next_links=links,
        needs_js=needs_javascript(
            has_content=has_content,
            has_scripts=scripts,
            selector=selector,
            text_chars=len(text),
            empty_mount=empty_mount,
        ),
    )
