"""`fas-ray ingest`, `fas-ray scrape` and `fas-ray run URL` against a real local web server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from tests.e2e.conftest import cli

pytestmark = pytest.mark.slow


def _table_page(n: int = 240) -> bytes:
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    label = np.where(x1 + 0.5 * x2 > 0, "yes", "no")
    rows = "".join(
        f"<tr><td>{a:.4f}</td><td>{b:.4f}</td><td>{c}</td></tr>"
        for a, b, c in zip(x1, x2, label, strict=True)
    )
    return (
        "<!doctype html><html><head><title>Data</title></head><body><table>"
        f"<tr><th>x1</th><th>x2</th><th>label</th></tr>{rows}</table></body></html>"
    ).encode()


class _Site(BaseHTTPRequestHandler):
    pages = {
        "/robots.txt": (b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/data.html": (_table_page(), "text/html; charset=utf-8"),
    }
    log: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.log.append(self.path)
        body, kind = self.pages.get(self.path, (b"not found", "text/plain"))
        self.send_response(200 if self.path in self.pages else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Site.log = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_run_from_a_url_records_the_crawl(site: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    proc = cli(
        "run",
        f"{site}/data.html",
        "--target",
        "label",
        "--allow-private",
        "--max-trials",
        "4",
        "--time-budget",
        "120",
        "--data-root",
        str(root),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = re.search(r"^run id:\s+(\S+)$", proc.stdout, re.M)
    assert run_id
    manifest = json.loads((root / "runs" / run_id.group(1) / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    ingest = manifest["stages"][0]
    assert ingest["name"] == "ingest"
    detail = ingest["detail"]
    assert detail["format"] == "web" and detail["urls"] == [f"{site}/data.html"]
    assert detail["rows"] == 240 and detail["sha256"] == manifest["sha256"]
    assert detail["fetch"]["pages_fetched"] == 1 and detail["fetch"]["browser_pages"] == 0
    assert detail["pages"][0]["rows"] == 240
    assert "/robots.txt" in _Site.log and "/data.html" in _Site.log
    report = json.loads((root / "runs" / run_id.group(1) / "report.json").read_text())
    assert report["holdout_metrics"]["accuracy"] > 0.8


def test_private_address_is_refused_without_the_flag(site: str, tmp_path: Path) -> None:
    proc = cli("scrape", f"{site}/data.html", "--data-root", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--allow-private" in proc.stderr
    assert _Site.log == [], "refused before any request"
    assert not (tmp_path / "bronze").exists() or not any((tmp_path / "bronze").iterdir())


def test_scrape_stores_bronze_and_prints_the_id(site: str, tmp_path: Path) -> None:
    proc = cli(
        "scrape", f"{site}/data.html", "--allow-private", "--js", "never", "--data-root",
        str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    dataset_id = re.search(r"^dataset id:\s+(\S+)$", proc.stdout, re.M)
    assert dataset_id and dataset_id.group(1).startswith("web-")
    assert re.search(r"^rows:\s+240$", proc.stdout, re.M)
    meta = json.loads((tmp_path / "bronze" / dataset_id.group(1) / "meta.json").read_text())
    assert meta["columns"][:3] == ["x1", "x2", "label"]
    assert {"source_url", "fetched_at"} <= set(meta["columns"])


def test_ingest_an_excel_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "First"
    book.active.append(["a"])
    book.active.append([1])
    second = book.create_sheet("Second")
    second.append(["city", "people"])
    for row in (["Paris", 2102650], ["Lyon", 522250]):
        second.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    proc = cli("ingest", str(path), "--sheet", "Second", "--data-root", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^rows:\s+2$", proc.stdout, re.M)
    assert re.search(r"^columns:\s+2 \(city, people\)$", proc.stdout, re.M)
    assert re.search(r"^format:\s+excel, sheet 'Second'$", proc.stdout, re.M)
    sha = re.search(r"^sha256:\s+([0-9a-f]{64})$", proc.stdout, re.M)
    assert sha
    bad = cli("ingest", str(path), "--sheet", "Nope", "--data-root", str(tmp_path / "r"))
    assert bad.returncode == 2 and "Second" in bad.stderr and bad.stderr.count("\n") == 1
