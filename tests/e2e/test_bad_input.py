"""The bad-input matrix: every case through the CLI (``fas-ray run``) and the pipeline API.

Each case is one input a careless user or a hostile client could give, the stage that stops
it, and the words its one-line error must hold:

- ``file``: the file itself cannot be read. CLI: exit 2, one line, a failed manifest, nothing in
  bronze. API: ``POST /datasets`` answers 4xx JSON naming the file, and stores nothing.
- ``table``: the file reads, but no model can be learnt from it as asked. CLI: exit 2, one line,
  a failed manifest, the file stored whole in bronze. API: the upload is stored (201), and
  ``POST /runs`` answers 422 naming the problem before any job starts.
- ``url``: a URL the run must not or cannot scrape. CLI: exit 2, one line. API: ``POST /runs``
  answers 422 (the server refuses private addresses) before any job starts.

After every case the data root holds everything it held before, byte for byte (compared by
SHA-256 of every file), and nothing else but the failed run's own manifest and, for a readable
file, its complete bronze copy: no temporary file, no silver, gold or registry entry.

``ODD`` lists inputs that look wrong but are data: ``fas-ray etl`` must read them whole.

Covered elsewhere, at the level where they can be staged on one machine: a URL that redirects to
a private address (``tests/unit/scrape/test_crawl.py``, per hop, with a guard that tells two
loopback addresses apart), a 50 MB robots.txt (the same file), and upload names with path
traversal (``tests/e2e/test_serve.py``).
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import random
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.e2e.conftest import cli, serving

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
TOKEN = "matrix-token"
BOMB = b"a,target\n" + b"0,0\n" * (17 << 20)  # 68 MiB of one row: packs ~1000:1


def _rows(n: int, row: Callable[[int], str]) -> str:
    return "".join(row(i) for i in range(n))


def _text(text: str) -> Callable[[Path], bytes]:
    return lambda _: text.encode()


def _csv_table(n: int, target: Callable[[int], str], extra: str = "") -> Callable[[Path], bytes]:
    """``x`` (a feature), ``target`` from ``target(i)``, and ``extra`` columns as text."""
    head = "x,target" + ("," + extra.split("=")[0] if extra else "")

    def make(_: Path) -> bytes:
        body = _rows(n, lambda i: f"{(i * 7) % 13},{target(i)}" + _extra(extra, i) + "\n")
        return (head + "\n" + body).encode()

    return make


def _extra(extra: str, i: int) -> str:
    if not extra:
        return ""
    return f",c{i % 3}"  # a relabelling of i % 3


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _truncated_parquet(_: Path) -> bytes:
    whole = _parquet(pa.table({"a": list(range(1000)), "target": [i % 2 for i in range(1000)]}))
    return whole[: len(whole) // 2]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _xlsx(_: Path) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["a", "target"])
    book.active.append([1, 0])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_bomb(tmp: Path) -> bytes:
    path = tmp / "book.xlsx"
    path.write_bytes(_xlsx(tmp))
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/padding.xml", BOMB)
    return path.read_bytes()


Stage = Literal["file", "table", "url"]


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the file's name (or, for ``url``, the path on the test's web server)
    make: Callable[[Path], bytes] | None  # the file's bytes; None for a URL
    stage: Stage
    message: str  # in the one-line error of the CLI and of the API
    api_message: str | None = None  # where the API's words differ (it refuses private URLs)
    args: tuple[str, ...] = ()  # extra CLI arguments


def _url_case(case_id: str, path: str, message: str, *args: str) -> Case:
    """A URL case: the CLI's words are ``message``; the API refuses the private address."""
    return Case(
        case_id, path, None, "url", message, api_message="private or loopback address", args=args
    )


CASES = [
    # ---- the file cannot be read
    Case("missing", "does_not_exist.csv", None, "file", "does not exist"),
    Case("empty", "empty.csv", _text(""), "file", "'empty.csv' is empty"),
    Case("header-only", "header.csv", _text("a,b,target\n"), "file", "has a header but no data"),
    Case("blank-lines", "blank.csv", _text("\n\n  \n"), "file", "has no columns"),
    Case("wrong-extension", "data.xml", _text("a,b\n1,2\n"), "file", "extension '.xml'"),
    Case("no-extension", "data", _text("a,b\n1,2\n"), "file", "extension '(none)'"),
    Case(
        "binary-garbage",
        "garbage.csv",
        lambda _: random.Random(1).randbytes(4096),
        "file",
        "binary, not text",
    ),
    Case("image-as-csv", "image.csv", lambda _: PNG, "file", "its content looks like a PNG"),
    Case(
        "control-characters",
        "controls.csv",
        lambda _: bytes(range(1, 32)) * 50,
        "file",
        "many control characters",
    ),
    Case("ragged-csv", "ragged.csv", _text("a,b,target\n1,2,0\n3,4,5,6\n"), "file", "as CSV"),
    Case(
        "garbage-parquet",
        "garbage.parquet",
        lambda _: random.Random(2).randbytes(4096),
        "file",
        "does not start with the signature",
    ),
    Case(
        "truncated-parquet",
        "truncated.parquet",
        _truncated_parquet,
        "file",
        "Cannot read 'truncated.parquet' as Parquet",
    ),
    Case("csv-as-parquet", "text.parquet", _text("a,b\n1,2\n"), "file", "looks like text"),
    Case("csv-as-xlsx", "text.xlsx", _text("a,b\n1,2\n"), "file", "Excel workbook (.xlsx)"),
    Case("xlsx-as-xls", "renamed.xls", _xlsx, "file", "looks like a ZIP archive"),
    Case(
        "zip-bomb",
        "bomb.zip",
        lambda _: _zip({"data.csv": BOMB}),
        "file",
        "over 100 times its packed size",
    ),
    Case("gzip-bomb", "bomb.csv.gz", lambda _: gzip.compress(BOMB), "file", "like a zip bomb"),
    Case("xlsx-bomb", "bomb.xlsx", _xlsx_bomb, "file", "like a zip bomb"),
    Case("not-a-zip", "notzip.zip", _text("a,b\n1,2\n"), "file", "as a ZIP archive"),
    Case(
        "zip-without-data",
        "nodata.zip",
        lambda _: _zip({"readme.md": b"hello", "image.png": PNG}),
        "file",
        "holds no data file",
    ),
    Case(
        "cut-gzip",
        "cut.csv.gz",
        lambda _: gzip.compress(b"a,target\n" + b"1,2\n" * 1000)[:40],
        "file",
        "Cannot decompress",
    ),
    Case("empty-json-array", "empty.json", _text("[]"), "file", "has no columns"),
    Case("gzip-of-what", "data.gz", lambda _: gzip.compress(b"a\n1\n"), "file", "does not say"),
    Case("deep-json", "deep.json", _text("[" * 5000 + "]" * 5000), "file", "too deeply"),
    Case("scalar-json", "scalar.json", _text('"just a string"'), "file", "JSON records"),
    Case("json-of-numbers", "numbers.json", _text("[1, 2]"), "file", "a number, not an object"),
    Case("broken-jsonl", "broken.jsonl", _text('{"a": 1}\n{"a": \n'), "file", "not valid JSON"),
    Case(
        "20000-columns",
        "wide.csv",
        _text(",".join(f"c{i}" for i in range(20_000)) + ",target\n" + "1," * 20_000 + "0\n"),
        "file",
        "has 20,001 columns",
    ),
    # ---- the file reads, but no model can be learnt from it as asked
    Case(
        "unknown-target",
        "cols.csv",
        _text("alpha,beta,gamma\n" + _rows(30, lambda i: f"{i},{i % 2},3\n")),
        "table",
        "The target column 'target' is not in the data. Columns: alpha, beta, gamma",
    ),
    Case(
        "only-target",
        "only_target.csv",
        _text("target\n" + _rows(30, lambda i: f"{i % 2}\n")),
        "table",
        "no column besides the target",
    ),
    Case("all-null-target", "null_target.csv", _csv_table(30, lambda i: ""), "table", "no values"),
    Case("constant-target", "constant.csv", _csv_table(30, lambda i: "7"), "table", "single value"),
    Case(
        "infinite-target", "inf.csv", _csv_table(30, lambda i: "inf"), "table", "single value (inf)"
    ),
    Case(
        "one-row-per-class",
        "per_class.csv",
        _csv_table(30, lambda i: f"class {i}"),
        "table",
        "each in a single row",
    ),
    Case(
        "leaking-column",
        "leak.csv",
        _csv_table(40, lambda i: f"{i % 3}", extra="copy=copy"),
        "table",
        "'copy' give the target 'target' exactly",
    ),
    Case(
        "too-few-rows",
        "tiny.csv",
        _csv_table(12, lambda i: f"{i % 2}"),
        "table",
        "Only 12 row(s) have a value in the target 'target'",
    ),
    # ---- a URL the run must not or cannot scrape (the API refuses every private address)
    _url_case("private-address", "/table", "private"),
    _url_case("localhost-name", "/table", "private"),
    _url_case(
        "page-that-never-ends",
        "/endless",
        "No rows could be extracted",
        "--allow-private",
        "--max-seconds",
        "20",
    ),
    _url_case("not-found", "/missing", "No rows could be extracted", "--allow-private"),
]
IDS = [case.id for case in CASES]


# ---------------------------------------------------------------- the web server for URL cases
class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt" or self.path == "/missing":
            self.send_error(404)
        elif self.path == "/table":
            body = b"<table><tr><th>x</th><th>target</th></tr><tr><td>1</td><td>0</td></tr></table>"
            self._send(body)
        elif self.path == "/endless":  # an HTML page that never ends, until the client leaves
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                self.wfile.write(b"<html><body><p>")
                while True:
                    self.wfile.write(b"and on " * 8192)
            except (BrokenPipeError, ConnectionResetError):
                return
        else:
            self.send_error(404)

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _url(case: Case, web: str) -> str:
    host = web.replace("127.0.0.1", "localhost") if case.id == "localhost-name" else web
    return f"http://{host}{case.name}"


# ---------------------------------------------------------------- the data root, before and after
def _snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) and its SHA-256."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _added(before: dict[str, str], after: dict[str, str]) -> list[str]:
    changed = [k for k in before if after.get(k) != before[k]]
    assert changed == [], f"files already stored were changed or lost: {changed}"
    return sorted(set(after) - set(before))


@pytest.fixture(scope="module")
def seeded_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root that already holds a cleaned data set (bronze, silver, a run's manifest)."""
    base = tmp_path_factory.mktemp("seed")
    source = base / "kept.csv"
    source.write_text("x,y,target\n" + _rows(40, lambda i: f"{i % 9},{i % 4},{i % 2}\n"))
    root = base / "root"
    proc = cli("etl", str(source), "--data-root", str(root), timeout=180)
    assert proc.returncode == 0, proc.stderr
    return root


def _copy_root(seeded: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(seeded, dest)
    return dest


def _write_input(case: Case, tmp: Path) -> Path:
    path = tmp / case.name
    if case.make is not None:
        path.write_bytes(case.make(tmp))
    return path


# ---------------------------------------------------------------- the CLI
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_fails_in_one_line_and_keeps_the_data_root(
    case: Case, seeded_root: Path, web: str, tmp_path: Path
) -> None:
    root = _copy_root(seeded_root, tmp_path / "root")
    source = _url(case, web) if case.stage == "url" else str(_write_input(case, tmp_path))
    before = _snapshot(root)
    proc = cli(
        "run", source, "--target", "target", "--data-root", str(root), *case.args, timeout=180
    )

    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fas-ray: error: ") and case.message in lines[0], lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout

    added = _added(before, _snapshot(root))
    manifests = [p for p in added if p.startswith("runs/") and p.endswith("/manifest.json")]
    assert len(manifests) == 1, added
    manifest = json.loads((root / manifests[0]).read_text())
    assert manifest["status"] == "failed" and case.message in manifest["error"]
    bronze = sorted(p for p in added if p.startswith("bronze/"))
    if case.stage == "table":  # a readable file is stored whole: data and meta, read-only
        assert [Path(p).name for p in bronze] == ["data.parquet", "meta.json"], added
    else:
        assert bronze == [], added
    assert sorted(set(added) - set(manifests) - set(bronze)) == []  # nothing else, nothing hidden


# ---------------------------------------------------------------- the pipeline API
@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, seeded_root: Path) -> Iterator[httpx.Client]:
    base = tmp_path_factory.mktemp("api")
    _copy_root(seeded_root, base / "data")  # the server's data root holds the same data set
    with (
        serving(base, TOKEN, max_upload_mb=256) as (url, _root),
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
        ) as client,
    ):
        client.root = _root  # type: ignore[attr-defined]
        yield client


def _detail(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail, detail
    return detail


@pytest.mark.parametrize("case", [c for c in CASES if c.id != "missing"], ids=IDS[1:])
def test_api_answers_4xx_naming_the_problem_and_keeps_the_data_root(
    case: Case, api: httpx.Client, web: str, tmp_path: Path
) -> None:
    root: Path = api.root  # type: ignore[attr-defined]
    expected = case.api_message or case.message
    if case.stage == "url":
        before = _snapshot(root)
        response = api.post("/runs", json={"target": "target", "url": _url(case, web)})
        assert response.status_code == 422 and expected in _detail(response)
        assert _added(before, _snapshot(root)) == []
        return
    data = _write_input(case, tmp_path).read_bytes()
    before = _snapshot(root)
    upload = api.post("/datasets", files={"file": (case.name, data, "application/octet-stream")})
    if case.stage == "file":
        assert 400 <= upload.status_code < 500 and expected in _detail(upload), upload.text
        assert _added(before, _snapshot(root)) == []
        return
    assert upload.status_code == 201, upload.text
    before = _snapshot(root)
    run = api.post("/runs", json={"dataset_id": upload.json()["dataset_id"], "target": "target"})
    assert run.status_code == 422 and expected in _detail(run), run.text
    assert _added(before, _snapshot(root)) == []  # no run folder, no job


# ---------------------------------------------------------------- odd inputs that are data
def _semantic(schema: dict[str, Any]) -> dict[str, str]:
    return {name: column["semantic"] for name, column in schema.items()}


ODD: dict[str, tuple[bytes, dict[str, str]]] = {
    # one 5 MB field: read whole (blocks grow past it), a free-text column
    "field.csv": (
        b"x,note,target\n1," + b"a" * 5_000_000 + b",0\n2,b c d,1\n3,e f g,0\n",
        {"x": "integer", "note": "text", "target": "boolean"},
    ),
    # duplicate names (also by case): suffixed in order
    "dup.csv": (
        ("a,a,A,target\n" + _rows(20, lambda i: f"{i},{i * 2},{i * 3},{i % 2}\n")).encode(),
        {"a": "integer", "a_2": "integer", "a_3": "integer", "target": "boolean"},
    ),
    # unicode names: snake_case ASCII (accents folded, other scripts transliterated)
    "unicode.csv": (
        (
            "préço,数量,Größe ø,target\n" + _rows(20, lambda i: f"{i},{i % 3},{i % 5},{i % 2}\n")
        ).encode(),
        {"preco": "integer", "shu_liang": "integer", "grosse_o": "integer", "target": "boolean"},
    ),
    # numbers and words in one column: kept as text, no value lost
    "mixed.csv": (
        (
            "x,target\n" + _rows(30, lambda i: ("abc" if i % 3 == 0 else str(i)) + f",{i % 2}\n")
        ).encode(),
        {"x": "categorical", "target": "boolean"},
    ),
    # infinities among numbers: a float column
    "inf.csv": (
        (
            "x,target\n" + _rows(30, lambda i: ("inf" if i % 5 == 0 else str(i)) + f",{i % 2}\n")
        ).encode(),
        {"x": "float", "target": "boolean"},
    ),
    # dates in three formats: not forced into one (is 05/01/2024 May 1st or January 5th?); text
    "dates.csv": (
        (
            "when,target\n"
            + _rows(30, lambda i: ["2024-01-05", "05/01/2024", "Jan 5 2024"][i % 3] + f",{i % 2}\n")
        ).encode(),
        {"when": "categorical", "target": "boolean"},
    ),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_but_valid_inputs_are_cleaned_whole(name: str, tmp_path: Path) -> None:
    data, semantics = ODD[name]
    source = tmp_path / name
    source.write_bytes(data)
    root = tmp_path / "root"
    proc = cli("etl", str(source), "--data-root", str(root), timeout=180)
    assert proc.returncode == 0, proc.stderr
    (run,) = list((root / "runs").iterdir())
    assert _semantic(json.loads((run / "schema.json").read_text())) == semantics
    etl = json.loads((run / "etl.json").read_text())
    assert etl["rows_out"] == etl["rows_in"] - etl["duplicates_removed"]
