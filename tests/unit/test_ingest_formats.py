"""Ingest in depth: every format, encoding and wrapper becomes the expected bronze table, and
every bad file fails with a one-line error, leaving nothing in bronze."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import random
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlwt

from fas_ray.exceptions import InputError
from fas_ray.ingest import SUPPORTED_EXTENSIONS, BronzeDataset, ingest_file, read_table
from fas_ray.storage import DataRoot

pytestmark = pytest.mark.filterwarnings("error")

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path / "root")


def _bronze_entries(root: DataRoot) -> list[Path]:
    bronze = root.root / "bronze"
    return sorted(bronze.rglob("*")) if bronze.exists() else []


def _stored(ds: BronzeDataset) -> dict[str, list[object]]:
    return pq.read_table(ds.path).to_pydict()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- delimited text

# file name, bytes, expected table, (format, encoding, delimiter)
TEXT_CASES: dict[str, tuple[str, bytes, dict[str, list[object]], tuple[str, str, str]]] = {
    "comma": (
        "plain.csv",
        b"id,name\n1,ann\n2,bob\n",
        {"id": [1, 2], "name": ["ann", "bob"]},
        ("csv", "utf-8", ","),
    ),
    "semicolon-decimal-comma": (
        "euro.csv",
        b"product;price\nbread;1,5\nmilk;0,99\n",
        {"product": ["bread", "milk"], "price": ["1,5", "0,99"]},
        ("csv", "utf-8", ";"),
    ),
    "tsv": (
        "data.tsv",
        b"a\tb c\n1\tx, y\n2\tz\n",
        {"a": [1, 2], "b c": ["x, y", "z"]},
        ("tsv", "utf-8", "\t"),
    ),
    "pipe-in-txt": (
        "data.txt",
        b"k|v\nx|1.5\ny|2.5\n",
        {"k": ["x", "y"], "v": [1.5, 2.5]},
        ("csv", "utf-8", "|"),
    ),
    "utf8-bom": (
        "bom.csv",
        "\ufeffnév,ár\nalma,1\nkörte,2\n".encode(),
        {"név": ["alma", "körte"], "ár": [1, 2]},
        ("csv", "utf-8-sig", ","),
    ),
    "utf16-le-bom": (
        "le.csv",
        b"\xff\xfe" + "ville;n\nMontréal;1\nZürich;2\n".encode("utf-16-le"),
        {"ville": ["Montréal", "Zürich"], "n": [1, 2]},
        ("csv", "utf-16-le", ";"),
    ),
    "utf16-be-bom": (
        "be.tsv",
        b"\xfe\xff" + "ville\tn\nMontréal\t1\nZürich\t2\n".encode("utf-16-be"),
        {"ville": ["Montréal", "Zürich"], "n": [1, 2]},
        ("tsv", "utf-16-be", "\t"),
    ),
    "latin1": (
        "latin1.csv",
        "ville,note\nMontréal,très bien\nSão Paulo,ça va\n".encode("latin-1"),
        {"ville": ["Montréal", "São Paulo"], "note": ["très bien", "ça va"]},
        ("csv", "latin-1", ","),
    ),
    "cp1252": (
        "windows.csv",
        "item;price\n“quoted” – dash;5 €\n".encode("cp1252"),
        {"item": ["“quoted” – dash"], "price": ["5 €"]},
        ("csv", "cp1252", ";"),
    ),
    "quoted-newlines-and-quotes": (
        "quoted.csv",
        b'id,text\r\n1,"line one\nline two"\r\n2,"a, ""quoted"" b"\r\n',
        {"id": [1, 2], "text": ["line one\nline two", 'a, "quoted" b']},
        ("csv", "utf-8", ","),
    ),
    "headerless": (
        "noheader.csv",
        b"1,2.5,x\n2,3.5,y\n3,4.5,z\n",
        {"column_1": [1, 2, 3], "column_2": [2.5, 3.5, 4.5], "column_3": ["x", "y", "z"]},
        ("csv", "utf-8", ","),
    ),
    "years-as-names-are-a-header": (
        "years.csv",
        b"country,2019,2020\nFR,1.5,2.5\nDE,3.5,4.5\n",
        {"country": ["FR", "DE"], "2019": [1.5, 3.5], "2020": [2.5, 4.5]},
        ("csv", "utf-8", ","),
    ),
    "blank-and-repeated-names": (
        "names.csv",
        b"a,a,\n1,2,3\n",
        {"a": [1], "a_2": [2], "column_3": [3]},
        ("csv", "utf-8", ","),
    ),
    "one-column": (
        "single.csv",
        b"city\nParis\nRome\n",
        {"city": ["Paris", "Rome"]},
        ("csv", "utf-8", ","),
    ),
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_delimited_text_becomes_the_expected_table(
    tmp_path: Path, root: DataRoot, case: str
) -> None:
    name, data, expected, (fmt, encoding, delimiter) = TEXT_CASES[case]
    src = _write(tmp_path / name, data)
    ds = ingest_file(src, root)
    assert _stored(ds) == expected
    assert (ds.format, ds.encoding, ds.delimiter) == (fmt, encoding, delimiter)
    assert (ds.sheet, ds.compression, ds.size_bytes) == (None, None, len(data))
    assert ds.columns == list(expected)
    assert read_table(src).to_pydict() == expected


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks and samples of a few hundred bytes, so that a small file spans many blocks."""
    monkeypatch.setattr("fas_ray.ingest._csv.BLOCK_BYTES", 256)
    monkeypatch.setattr("fas_ray.ingest._formats._SAMPLE_BYTES", 256)


DRIFT = {
    # later block holds: expected column
    "int-then-float": (b"1.5", pa.float64(), 1.5),
    "int-then-text": (b"many", pa.string(), "many"),
    "empty-then-float": (None, pa.float64(), 2.0),
}


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("case", sorted(DRIFT))
def test_a_later_block_with_wider_types_is_read_again(
    tmp_path: Path, root: DataRoot, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fas_ray.ingest")
    late, arrow_type, late_value = DRIFT[case]
    if late is None:  # column 'v' empty in the first block, numbers later
        body = b"".join(b"%d,\n" % i for i in range(200)) + b"200,2\n"
        expected_v: list[object] = [None] * 200 + [2.0]
    else:
        body = b"".join(b"%d,%d\n" % (i, i) for i in range(200)) + b"200," + late + b"\n"
        first = [str(i) for i in range(200)] if arrow_type == pa.string() else list(range(200))
        expected_v = [*first, late_value]
    src = _write(tmp_path / "drift.csv", b"k,v\n" + body)
    ds = ingest_file(src, root)
    table = pq.read_table(ds.path)
    assert table.schema.field("v").type == arrow_type
    assert table.column("v").to_pylist() == expected_v
    assert table.column("k").to_pylist() == list(range(201))
    assert table.column("k").type == pa.int64(), "only the column that drifted is widened"
    assert "reading drift.csv again" in caplog.text


@pytest.mark.usefixtures("small_blocks")
def test_bytes_that_are_not_utf8_after_the_sample_switch_to_latin1(
    tmp_path: Path, root: DataRoot
) -> None:
    rows = [f"{i},plain" for i in range(100)] + ["100,café"]
    src = _write(tmp_path / "late.csv", ("k,v\n" + "\n".join(rows) + "\n").encode("latin-1"))
    ds = ingest_file(src, root)
    assert ds.encoding == "latin-1"
    assert _stored(ds)["v"][-2:] == ["plain", "café"]


def test_a_large_csv_streams_in_bounded_memory(tmp_path: Path) -> None:
    """A ~50 MB CSV: Python allocations stay tiny and Arrow's peak well below the file size."""
    line = b"12345,3.14159,some text here,2024-01-01,another field of text\n"
    src = tmp_path / "big.csv"
    with open(src, "wb") as fh:
        fh.write(b"a,b,c,d,e\n")
        block = line * 10_000
        for _ in range(50_000_000 // len(block)):
            fh.write(block)
    size = src.stat().st_size
    code = (
        "import json, sys, tracemalloc\n"
        "from pathlib import Path\n"
        "import pyarrow as pa\n"
        "from fas_ray.ingest import ingest_file\n"
        "from fas_ray.storage import DataRoot\n"
        "root = DataRoot(Path(sys.argv[2]))\n"
        "small = Path(sys.argv[2]).with_name('small.csv')\n"
        "small.write_bytes(b'a,b\\n1,x\\n')\n"
        "ingest_file(small, root)\n"
        "tracemalloc.start()\n"
        "ds = ingest_file(Path(sys.argv[1]), root)\n"
        "peak = tracemalloc.get_traced_memory()[1]\n"
        "print(json.dumps({'rows': ds.rows, 'python': peak,"
        " 'arrow': pa.default_memory_pool().max_memory()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(src), str(tmp_path / "root")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert done.returncode == 0, done.stderr
    peaks = json.loads(done.stdout)
    assert peaks["rows"] == (size - 10) // len(line)
    assert peaks["python"] < size / 20, peaks
    assert peaks["arrow"] < size * 0.75, peaks


# ---------------------------------------------------------------- Excel


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


SHEETS: dict[str, list[list[object]]] = {
    "people": [
        ["id", "name", "joined"],
        [1, "ann", datetime(2024, 1, 2)],
        [None, None, None],
        [2, "bob", datetime(2024, 3, 4, 5, 6)],
    ],
    "scores": [["id", "score"], [3, 1.5], [4, 2]],
}


def test_xlsx_reads_the_first_sheet_by_default(tmp_path: Path, root: DataRoot) -> None:
    src = _xlsx(tmp_path / "book.xlsx", SHEETS)
    ds = ingest_file(src, root)
    assert _stored(ds) == {
        "id": [1, 2],
        "name": ["ann", "bob"],
        "joined": [datetime(2024, 1, 2), datetime(2024, 3, 4, 5, 6)],
    }, "the empty row is skipped"
    assert (ds.format, ds.sheet, ds.encoding, ds.delimiter) == ("excel", "people", None, None)
    assert ds.dataset_id == ds.sha256[:16]


def test_xlsx_sheet_by_name_and_all_sheets_stacked(tmp_path: Path, root: DataRoot) -> None:
    src = _xlsx(tmp_path / "book.xlsx", SHEETS)
    first = ingest_file(src, root)
    scores = ingest_file(src, root, sheet="scores")
    assert _stored(scores) == {"id": [3, 4], "score": [1.5, 2.0]}
    assert scores.sheet == "scores"

    stacked = ingest_file(src, root, sheet="all")
    assert stacked.sheet == "all"
    assert _stored(stacked) == {
        "__sheet": ["people", "people", "scores", "scores"],
        "id": [1, 2, 3, 4],
        "name": ["ann", "bob", None, None],
        "joined": [datetime(2024, 1, 2), datetime(2024, 3, 4, 5, 6), None, None],
        "score": [None, None, 1.5, 2.0],
    }
    ids = {first.dataset_id, scores.dataset_id, stacked.dataset_id}
    assert len(ids) == 3, "the same bytes read with other options are another data set"
    assert ingest_file(src, root, sheet="scores") == scores, "options are part of the reuse key"
    assert read_table(src, sheet="scores").to_pydict() == _stored(scores)


def test_xlsx_without_a_header_row_gets_generated_names(tmp_path: Path, root: DataRoot) -> None:
    src = _xlsx(tmp_path / "numbers.xlsx", {"n": [[1, 2.5], [2, 3.5], [3, 4.5]]})
    assert _stored(ingest_file(src, root)) == {"column_1": [1, 2, 3], "column_2": [2.5, 3.5, 4.5]}


def test_unknown_sheet_lists_the_sheets(tmp_path: Path, root: DataRoot) -> None:
    src = _xlsx(tmp_path / "book.xlsx", SHEETS)
    with pytest.raises(
        InputError, match=r"no sheet 'nope' in 'book.xlsx'\. Sheets: people, scores"
    ):
        ingest_file(src, root, sheet="nope")
    assert _bronze_entries(root) == []


def test_xls_is_read_with_xlrd(tmp_path: Path, root: DataRoot) -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("data")
    rows: list[list[object]] = [
        ["id", "price", "label", "ok"],
        [1, 2.5, "a", True],
        [2, 3, "b", False],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.add_sheet("other").write(0, 0, "x")
    src = tmp_path / "old.xls"
    book.save(str(src))
    ds = ingest_file(src, root)
    assert _stored(ds) == {
        "id": [1, 2],
        "price": [2.5, 3.0],
        "label": ["a", "b"],
        "ok": [True, False],
    }
    assert (ds.format, ds.sheet) == ("excel", "data")


# ---------------------------------------------------------------- JSON

RECORDS = [
    {"id": 1, "user": {"name": "ann", "geo": {"lat": 1.5}}, "tags": ["x", "y"]},
    {"id": 2, "user": {"name": "bob"}, "tags": [], "extra": True},
]
FLAT = {
    "id": [1, 2],
    "user.name": ["ann", "bob"],
    "user.geo.lat": [1.5, None],
    "tags": ['["x","y"]', "[]"],
    "extra": [None, True],
}
NDJSON = "\n".join(json.dumps(r) for r in RECORDS).encode() + b"\n"

# file name, bytes, format
JSON_CASES = {
    "array": ("records.json", json.dumps(RECORDS, indent=2).encode(), "json"),
    "wrapped-array": ("api.json", json.dumps({"data": RECORDS, "count": 2}).encode(), "json"),
    "jsonl": ("records.jsonl", NDJSON, "ndjson"),
    "ndjson-with-blank-lines": ("records.ndjson", NDJSON.replace(b"\n", b"\n\n"), "ndjson"),
    "lines-named-json": ("lines.json", NDJSON, "ndjson"),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_json_becomes_a_flat_table(tmp_path: Path, root: DataRoot, case: str) -> None:
    name, data, fmt = JSON_CASES[case]
    src = _write(tmp_path / name, data)
    ds = ingest_file(src, root)
    assert _stored(ds) == FLAT
    assert (ds.format, ds.encoding) == (fmt, "utf-8")
    assert read_table(src).to_pydict() == FLAT


def test_one_json_object_is_one_row(tmp_path: Path, root: DataRoot) -> None:
    src = _write(tmp_path / "one.json", b'{"a": 1, "b": {"c": "x"}}')
    assert _stored(ingest_file(src, root)) == {"a": [1], "b.c": ["x"]}


def test_ndjson_streams_in_chunks_and_widens_late_types(
    tmp_path: Path,
    root: DataRoot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="fas_ray.ingest")
    monkeypatch.setattr("fas_ray.ingest._rows._CHUNK_CELLS", 10)
    lines = [{"n": i, "s": "x"} for i in range(20)]
    lines += [{"n": 1.5, "s": 7, "late": {"k": "new"}}]
    src = _write(tmp_path / "drift.jsonl", "\n".join(map(json.dumps, lines)).encode())
    table = pq.read_table(ingest_file(src, root).path)
    assert table.schema.types == [pa.float64(), pa.string(), pa.string()]
    assert table.to_pydict() == {
        "n": [float(i) for i in range(20)] + [1.5],
        "s": ["x"] * 20 + ["7"],
        "late.k": [None] * 20 + ["new"],
    }
    assert caplog.text.count("reading drift.jsonl again") == 1, "one more pass settles it"


def test_json_array_streams_across_chunks(
    tmp_path: Path, root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("fas_ray.ingest._json._CHUNK_CHARS", 7)  # values cut across reads
    records = [{"i": i, "f": i + 0.25, "t": f"s{i}"} for i in range(50)]
    src = _write(tmp_path / "arr.json", json.dumps(records).encode())
    assert _stored(ingest_file(src, root)) == {
        "i": list(range(50)),
        "f": [i + 0.25 for i in range(50)],
        "t": [f"s{i}" for i in range(50)],
    }


# ---------------------------------------------------------------- compressed input


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_gzip_csv_and_json(tmp_path: Path, root: DataRoot) -> None:
    csv = _write(tmp_path / "data.csv.gz", gzip.compress(b"a;b\n1;x\n2;y\n"))
    ds = ingest_file(csv, root)
    assert _stored(ds) == {"a": [1, 2], "b": ["x", "y"]}
    assert (ds.format, ds.delimiter, ds.compression, ds.member) == ("csv", ";", "gz", None)
    assert ds.size_bytes == csv.stat().st_size
    assert sorted(p.name for p in ds.path.parent.iterdir()) == ["data.parquet", "meta.json"]

    js = _write(tmp_path / "data.JSON.GZ", gzip.compress(NDJSON))
    ds = ingest_file(js, root)
    assert _stored(ds) == FLAT
    assert (ds.format, ds.compression) == ("ndjson", "gz")
    assert read_table(js).to_pydict() == FLAT


def test_zip_holding_a_csv(tmp_path: Path, root: DataRoot) -> None:
    src = _zip(
        tmp_path / "export.zip",
        {"__MACOSX/._data.csv": b"junk", "notes.md": b"# notes", "out/data.csv": b"a,b\n1,2\n"},
    )
    ds = ingest_file(src, root)
    assert _stored(ds) == {"a": [1], "b": [2]}
    assert (ds.format, ds.compression, ds.member) == ("csv", "zip", "out/data.csv")
    assert sorted(p.name for p in ds.path.parent.iterdir()) == ["data.parquet", "meta.json"]
    assert read_table(src).to_pydict() == {"a": [1], "b": [2]}


def test_zip_holding_an_xlsx(tmp_path: Path, root: DataRoot) -> None:
    book = _xlsx(tmp_path / "book.xlsx", SHEETS)
    src = _zip(tmp_path / "book.zip", {"book.xlsx": book.read_bytes()})
    ds = ingest_file(src, root, sheet="scores")
    assert _stored(ds) == {"id": [3, 4], "score": [1.5, 2.0]}
    assert (ds.format, ds.sheet, ds.compression) == ("excel", "scores", "zip")


# ---------------------------------------------------------------- records and re-use


def test_meta_round_trips_and_files_are_read_only(tmp_path: Path, root: DataRoot) -> None:
    src = _write(tmp_path / "le.csv", TEXT_CASES["utf16-le-bom"][1])
    ds = ingest_file(src, root)
    meta = json.loads((ds.path.parent / "meta.json").read_text(encoding="utf-8"))
    assert meta == ds.to_json()
    assert BronzeDataset.from_json(meta) == ds
    assert BronzeDataset.from_json({**meta, "added_later": 1}) == ds
    for stored in ds.path.parent.iterdir():
        assert stored.stat().st_mode & 0o222 == 0, f"{stored.name} is writable"
    assert ingest_file(src, root) == ds


def test_supported_extensions() -> None:
    assert set(SUPPORTED_EXTENSIONS) == {
        ".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xls", ".json", ".jsonl", ".ndjson",
        ".gz", ".zip",
    }  # fmt: skip


# ---------------------------------------------------------------- bad files


def _truncated_parquet(path: Path) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": list(range(1000))}), buffer)
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def _zip_without_data(path: Path) -> None:
    _zip(path, {"readme.md": b"hello", "image.png": PNG})


def _gzip_truncated(path: Path) -> None:
    path.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 1000)[:40])


def _xls_that_is_xlsx(path: Path) -> None:
    _xlsx(path.with_suffix(".xlsx"), SHEETS)
    path.write_bytes(path.with_suffix(".xlsx").read_bytes())


_BOMB_CSV = b"a,b\n" + b"0,0\n" * (17 << 20)  # 68 MiB of one repeated row: packs ~1000:1


def _zip_bomb(path: Path) -> None:
    _zip(path, {"data.csv": _BOMB_CSV})


def _xlsx_bomb(path: Path) -> None:
    _xlsx(path, {"Sheet": [["a"], [1]]})
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/padding.xml", _BOMB_CSV)


def _zero_column_json(path: Path) -> None:
    path.write_bytes(b"[{}, {}]")


# name, content (bytes or a writer), expected part of the message, ingest keyword arguments
BAD: dict[str, tuple[bytes | Callable[[Path], None], str, dict[str, object]]] = {
    "empty.csv": (b"", "is empty", {}),
    "empty.xlsx": (b"", "is empty", {}),
    "truncated.parquet": (_truncated_parquet, "Cannot read 'truncated.parquet' as Parquet", {}),
    "image.csv": (PNG, "Cannot read 'image.csv' as CSV text: its content looks like a PNG", {}),
    "text.parquet": (b"a,b\n1,2\n", "as Parquet: its content looks like text", {}),
    "garbage.csv": (random.Random(1).randbytes(4096), "binary, not text", {}),
    "controls.csv": (bytes(range(1, 32)) * 50, "many control characters", {}),
    "blank.csv": (b"\n\n  \n", "has no columns", {}),
    "nothing.json": (_zero_column_json, "has no columns", {}),
    "header_only.tsv": (b"a\tb\n", "has a header but no data rows", {}),
    "header_only.jsonl": (b"\n", "has no columns", {}),
    "empty_array.json": (b"[]", "has no columns", {}),
    "big.csv": (b"a,b\n" + b"1,2\n" * 100, "over the size limit of 100 B", {"max_bytes": 100}),
    "bomb.csv.gz": (
        gzip.compress(b"a,b\n" + b"1,2\n" * 1000),
        "'bomb.csv.gz' unpacks to more than the size limit of 1.0 KiB",
        {"max_bytes": 1024},
    ),
    "bomb.zip": (_zip_bomb, "'data.csv' in 'bomb.zip' unpacks to over 100 times its packed", {}),
    "ratio_bomb.csv.gz": (
        lambda path: path.write_bytes(gzip.compress(_BOMB_CSV, compresslevel=6)),
        "like a zip bomb",
        {},
    ),
    "bomb.xlsx": (_xlsx_bomb, "'xl/worksheets/padding.xml' in 'bomb.xlsx' unpacks", {}),
    "wide.csv": (
        (",".join(f"c{i}" for i in range(5001)) + "\n" + ",".join("1" * 5001) + "\n").encode(),
        "'wide.csv' has 5,001 columns; fas-ray takes at most 5,000",
        {},
    ),
    "nodata.zip": (_zip_without_data, "holds no data file (it holds readme.md, image.png)", {}),
    "notzip.zip": (b"a,b\n1,2\n", "Cannot read 'notzip.zip' as a ZIP archive", {}),
    "cut.csv.gz": (_gzip_truncated, "Cannot decompress 'cut.csv.gz'", {}),
    "data.gz": (gzip.compress(b"a\n1\n"), "does not say what it holds", {}),
    "renamed.xls": (_xls_that_is_xlsx, "looks like a ZIP archive (or an .xlsx workbook)", {}),
    "text.xlsx": (b"a,b\n1,2\n", "as an Excel workbook (.xlsx): its content looks like text", {}),
    "sheet_for.csv": (b"a\n1\n", "can be chosen only in an Excel workbook", {"sheet": "x"}),
    "scalar.json": (b'"just a string"', "does not hold JSON records", {}),
    "numbers.json": (
        b"[1, 2]",
        "Item 1 of the array of 'numbers.json' is a number, not an object",
        {},
    ),
    "broken.jsonl": (b'{"a": 1}\n{"a": \n', "Line 2 of 'broken.jsonl' is not valid JSON", {}),
    "cut.json": (b'[{"a": 1}, {"a": 2', "Item 2 of the array in 'cut.json' is not valid", {}),
    "ragged.csv": (b"a,b\n1,2\n3,4,5\n", "Cannot parse 'ragged.csv' as CSV", {}),
    "deep.json": (b"[" * 5000 + b"]" * 5000, "nests arrays or objects too deeply", {}),
    "deep_object.json": (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nests arrays or objects", {}),
}


def test_a_field_longer_than_a_block_is_read_whole(tmp_path: Path, root: DataRoot) -> None:
    src = tmp_path / "long_field.csv"
    src.write_bytes(b"a,b\n" + b"x" * (5 << 20) + b",1\n2,3\n")  # one 5 MB value
    stored = ingest_file(src, root)
    table = pq.read_table(stored.path)
    assert table.num_rows == 2 and len(table.column("a")[0].as_py()) == 5 << 20


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_fail_in_one_line_and_store_nothing(
    tmp_path: Path, root: DataRoot, name: str
) -> None:
    content, needle, options = BAD[name]
    src = tmp_path / name
    if callable(content):
        content(src)
    else:
        src.write_bytes(content)
    with pytest.raises(InputError) as info:
        ingest_file(src, root, **options)  # type: ignore[arg-type]
    message = str(info.value)
    assert needle in message
    assert "\n" not in message
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert _bronze_entries(root) == [], "nothing stored, not even a hidden temporary folder"
    with pytest.raises(InputError, match="."):
        read_table(src, **options)  # type: ignore[arg-type]
