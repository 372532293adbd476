"""A local web site on 127.0.0.1 for the scraper tests; it logs every request it gets."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SLOW_SECONDS = 5.0

_PAGE = "<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


#: The rows of the three paginated table pages, in order.
TABLE_PAGES = {
    "/tables/page1": [["apple", "1.20"], ["pear", "0.80"]],
    "/tables/page2": [["plum", "2.50"], ["fig", "3.10"]],
    "/tables/page3": [["kiwi", "0.40"]],
}
JS_ROWS = [["Paris", "2102650"], ["Lyon", "522250"]]

_PAGES: dict[str, str] = {
    "/": _PAGE.format(title="Home", body='<p>Fruit prices.</p><a href="/tables/page1">Prices</a>'),
    "/tables/page1": _PAGE.format(
        title="Prices 1",
        body=_table(["name", "price"], TABLE_PAGES["/tables/page1"])
        + '<a rel="next" href="/tables/page2">Next</a>',
    ),
    "/tables/page2": _PAGE.format(
        title="Prices 2",
        body=_table(["name", "price"], TABLE_PAGES["/tables/page2"])
        + '<a href="/tables/page1">Previous</a> <a href="page3#top">Next »</a>',
    ),
    "/tables/page3": _PAGE.format(
        title="Prices 3", body=_table(["name", "price"], TABLE_PAGES["/tables/page3"])
    ),
    "/products": _PAGE.format(
        title="Products",
        body='<div class="product"><span class="name">Lamp</span><span class="price">19</span>'
        '</div><div class="product"><span class="name">Desk</span><span class="price big">120'
        '</span></div><div class="product"><span itemprop="name">Chair</span></div>',
    ),
    "/js/table": _PAGE.format(
        title="JS table",
        body="<div id='root'>Loading…</div><script>"
        f"const rows = {JS_ROWS!r};"
        "let html = '<table><tr><th>city</th><th>population</th></tr>';"
        "for (const [c, p] of rows) html += `<tr><td>${c}</td><td>${p}</td></tr>`;"
        "document.getElementById('root').innerHTML = html + '</table>';"
        "fetch('/private/js-secret.json').catch(() => {});"
        "</script>",
    ),
    "/empty": _PAGE.format(title="Empty", body=""),
}


def robots_txt(port: int, crawl_delay: float | None) -> str:
    lines = ["User-agent: *", "Disallow: /private/"]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay}")
    lines.append(f"Sitemap: http://127.0.0.1:{port}/sitemap_index.xml")
    return "\n".join(lines) + "\n"


def _urlset(port: int, paths: list[str]) -> str:
    urls = "".join(f"<url><loc>http://127.0.0.1:{port}{p}</loc></url>" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        site = self.server.site
        path = self.path.split("?", 1)[0]
        site.record(path)
        port = self.server.server_address[1]
        html = "text/html; charset=utf-8"
        if path == "/robots.txt" and site.robots_mb:
            self.send_response(200)  # no Content-Length: only the reader's limit stops it
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            line = b"# " + b"r" * 1021 + b"\n"
            try:
                for _ in range(site.robots_mb * 1024):
                    self.wfile.write(line)
            except (BrokenPipeError, ConnectionResetError):
                site.record("robots.txt: reader hung up")
        elif path == "/robots.txt":
            self._send(200, robots_txt(port, site.crawl_delay).encode(), "text/plain")
        elif path == "/sitemap_index.xml":
            locs = "".join(
                f"<sitemap><loc>http://127.0.0.1:{port}/{name}</loc></sitemap>"
                for name in ("sitemap-a.xml", "sitemap-b.xml")
            )
            body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}'
            self._send(200, (body + "</sitemapindex>").encode(), "application/xml")
        elif path == "/sitemap-a.xml":
            paths = ["/tables/page1", "/private/secret", "/tables/page2"]
            self._send(200, _urlset(port, paths).encode(), "application/xml")
        elif path == "/sitemap-b.xml":
            paths = ["/tables/page3", "/js/table", "/private/other"]
            self._send(200, _urlset(port, paths).encode(), "text/xml")
        elif path in _PAGES:
            self._send(200, _PAGES[path].encode(), html)
        elif path.startswith("/private/"):
            self._send(200, _PAGES["/tables/page1"].encode(), html)
        elif path.startswith("/flaky/"):
            if site.hits[path] == 1:
                self._send(429, b"slow down", "text/plain", {"Retry-After": "1"})
            else:
                self._send(200, _PAGES["/tables/page3"].encode(), html)
        elif path.startswith("/drop-once/") and site.hits[path] == 1:
            self.close_connection = True  # no response at all: the client sees a protocol error
        elif path.startswith("/drop-once/"):
            self._send(200, _PAGES["/tables/page3"].encode(), html)
        elif path == "/always-503":
            self._send(503, b"down", "text/plain")
        elif path == "/slow":
            site.release.wait(SLOW_SECONDS)
            self._send(200, _PAGES["/tables/page3"].encode(), html)
        elif path == "/huge":
            self._send(200, b"<html><body>" + b"x" * (1 << 20) + b"</body></html>", html)
        elif path == "/huge-stream":  # no Content-Length: the body ends when the server closes
            self.send_response(200)
            self.send_header("Content-Type", html)
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"<p>" + b"y" * 16_384 + b"</p>")
        elif path == "/image.png":
            self._send(200, PNG, "image/png")
        elif path == "/redirect/private":
            self._send(302, b"", html, {"Location": "/private/secret"})
        elif path == "/redirect/file":
            self._send(302, b"", html, {"Location": "file:///etc/passwd"})
        elif path == "/redirect/other-host":
            self._send(302, b"", html, {"Location": f"http://127.0.0.2:{port}/tables/page1"})
        else:
            self._send(404, b"not found", "text/plain")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out close their socket; that is expected here


class Site:
    """A running local site. ``log`` holds ``(path, monotonic time)`` per request."""

    def __init__(self, crawl_delay: float | None, robots_mb: int = 0) -> None:
        self.crawl_delay = crawl_delay
        self.robots_mb = robots_mb  # > 0: robots.txt streams this many MB of comment lines
        self.log: list[tuple[str, float]] = []
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, path: str) -> None:
        with self._lock:
            self.log.append((path, time.monotonic()))
            self.hits[path] += 1

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.log]

    def times(self, path: str | None = None) -> list[float]:
        with self._lock:
            return [t for p, t in self.log if path is None or p == path]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()
