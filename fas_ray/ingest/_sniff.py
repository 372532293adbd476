"""Guesses from the first bytes of a file: what it is, its text encoding, its CSV dialect.

Pure functions over a byte or text sample; nothing here opens a file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

__all__ = [
    "DELIMITERS",
    "EXPECTED_SIGNATURES",
    "Dialect",
    "arrow_codec",
    "decode_sample",
    "describe_signature",
    "detect_encoding",
    "first_row_is_data",
    "python_codec",
    "signature_problem",
    "sniff_dialect",
    "text_problem",
    "value_kind",
]

DELIMITERS = (",", ";", "\t", "|")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Signatures of binary files people commonly mistake for data files, with how to name them.
_SIGNATURES = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx workbook)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (OLE, "an OLE document (an .xls workbook or another old Office file)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
# What a binary container must start with.
EXPECTED_SIGNATURES = {
    "parquet": (b"PAR1",),
    "xlsx": (b"PK\x03\x04",),
    "xls": (OLE,),
    "gz": (b"\x1f\x8b",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
}
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_C1 = re.compile(rb"[\x80-\x9f]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.01


def describe_signature(head: bytes) -> str | None:
    """Name the kind of binary file ``head`` starts like, or ``None`` if it matches none."""
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    return None


def signature_problem(head: bytes, kind: str) -> str | None:
    """Why ``head`` cannot start a file of ``kind`` (a key of the expected signatures, or
    ``text``), or ``None`` if it can."""
    seen = describe_signature(head)
    if kind == "text":
        return f"its content looks like {seen}" if seen else None
    if head.startswith(EXPECTED_SIGNATURES[kind]):
        return None
    if seen:
        return f"its content looks like {seen}"
    if head.isascii() and b"\x00" not in head:
        return "its content looks like text"
    return "it does not start with the signature of that format"


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text sample: a BOM's, else UTF-8 if it decodes, else cp1252 or Latin-1.

    cp1252 (Windows Western) is chosen over Latin-1 only when the sample holds bytes 0x80–0x9F,
    which Latin-1 maps to control characters and cp1252 to letters and punctuation.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _C1.search(sample):
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return "latin-1"


def python_codec(encoding: str) -> str:
    """The Python codec that reads a whole file in ``encoding`` (BOMs included)."""
    return "utf-16" if encoding.startswith("utf-16") else encoding


def arrow_codec(encoding: str) -> str:
    """The ``encoding`` to give pyarrow's CSV reader (it skips a UTF-8 BOM by itself)."""
    return "utf8" if encoding in ("utf-8", "utf-8-sig") else python_codec(encoding)


def decode_sample(sample: bytes, encoding: str) -> str:
    """Decode ``sample``, which may end part-way through a character."""
    decoder = codecs.getincrementaldecoder(python_codec(encoding))(errors="replace")
    return decoder.decode(sample, final=False)


def text_problem(text: str) -> str | None:
    """Why decoded ``text`` is not a text file (NUL bytes, many control characters), or None."""
    if "\x00" in text:
        return "it holds NUL bytes, so it is binary, not text (UTF-16 text needs a byte-order mark)"
    if text and len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        return "it holds many control characters, so it is binary, not text"
    return None


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def value_kind(value: object) -> str:
    """``empty``, ``int``, ``float``, ``date``, ``bool`` or ``text``: what a cell looks like."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, date):
        return "date"
    text = str(value).strip()
    if not text:
        return "empty"
    if _INT.fullmatch(text):
        return "int"
    if _FLOAT.fullmatch(text):
        return "float"
    if _DATE.fullmatch(text):
        return "date"
    if text.lower() in ("true", "false"):
        return "bool"
    return "text"


def first_row_is_data(rows: list[list[str]]) -> bool:
    """Whether the first of ``rows`` (cell kinds, see :func:`value_kind`) is data, not names.

    It is data when it holds at least one number or date, and each of its cells is of a kind
    found below it in the same column. A text cell over numbers, or an integer over decimals
    (a year heading a column of amounts), makes it a header. When in doubt: a header.
    """
    if len(rows) < 2:
        return False
    first, rest = rows[0], rows[1:]
    has_value = False
    for j, kind in enumerate(first):
        below = {row[j] for row in rest if j < len(row)} - {"empty"}
        if kind == "empty" or not below:
            continue
        if kind == "text":
            if below != {"text"}:
                return False
            continue
        fits = kind in below or (kind == "float" and "int" in below)
        if not fits:
            return False
        has_value = True
    return has_value


@dataclass(frozen=True)
class Dialect:
    """A sniffed CSV dialect: the delimiter, whether row 1 holds names, and its width."""

    delimiter: str
    header: bool
    columns: int


def _records(text: str, delimiter: str, complete: bool, limit: int) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"'):
            if row:
                rows.append(row)
            if len(rows) > limit:
                break
    except csv.Error:
        complete = False
    if not complete and len(rows) > 1:
        rows.pop()  # may be cut short by the end of the sample
    return rows[:limit]


def sniff_dialect(text: str, complete: bool, prefer_tab: bool = False, limit: int = 200) -> Dialect:
    """Sniff the delimiter among :data:`DELIMITERS` and whether the first row is a header.

    The delimiter wins that splits the most rows into the same number (>1) of fields, the
    first row included; ties go to ``,`` (to tab when ``prefer_tab``). ``complete`` says
    whether ``text`` is the whole file rather than its beginning.
    """
    order = ("\t", ",", ";", "|") if prefer_tab else DELIMITERS
    best: tuple[tuple[bool, int, float, int], str, list[list[str]]] | None = None
    for rank, delimiter in enumerate(order):
        rows = _records(text, delimiter, complete, limit)
        if not rows:
            continue
        counts = [len(row) for row in rows]
        width, hits = Counter(counts).most_common(1)[0]
        share = hits / len(counts)
        score = (counts[0] == width and share >= 0.9, width, share, -rank)
        if width > 1 and (best is None or score > best[0]):
            best = (score, delimiter, rows)
    if best is None:
        rows = _records(text, order[0], complete, limit)
        delimiter = order[0]
    else:
        _, delimiter, rows = best
    width = len(rows[0]) if rows else 0
    header = not first_row_is_data([[value_kind(cell) for cell in row] for row in rows])
    return Dialect(delimiter=delimiter, header=header, columns=width)
