"""Excel workbooks: ``.xlsx`` streamed row by row (openpyxl, read-only), ``.xls`` via xlrd.

The first sheet by default; a sheet by name; or ``"all"``, which stacks every sheet, aligned by
column name, with the sheet's name in a first column ``__sheet``. Empty rows are skipped. The
first row holds the column names unless it looks like data (see
:func:`~fas_ray.ingest._sniff.first_row_is_data`); then the columns are ``column_1..n``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import Any

from fas_ray.exceptions import InputError
from fas_ray.ingest._rows import Row, RowSource
from fas_ray.ingest._sniff import first_row_is_data, value_kind
from fas_ray.ingest._stream import Details, unique_names

__all__ = ["ALL_SHEETS", "SHEET_COLUMN", "excel_source"]

ALL_SHEETS = "all"
SHEET_COLUMN = "__sheet"
_SNIFF_ROWS = 20
_FLOAT_INTS = float(1 << 53)

Cells = Sequence[object]
Workbook = tuple[list[str], Callable[[str], Iterator[Cells]]]


def _unreadable(name: str, exc: BaseException) -> InputError:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(
        f"Cannot read '{name}' as an Excel workbook: {message}; "
        "open it in Excel and save it again, or export it as CSV."
    )


def _check_members(path: Path, name: str) -> None:
    """Refuse a workbook whose parts unpack like a zip bomb (before openpyxl inflates them)."""
    from fas_ray.ingest._archive import check_inflate_ratio  # _archive imports this module

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unreadable(name, exc) from None
    for info in members:
        check_inflate_ratio(f"'{info.filename}' in '{name}'", info.file_size, info.compress_size)


@contextlib.contextmanager
def _xlsx(path: Path, name: str) -> Iterator[Workbook]:
    import openpyxl

    _check_members(path, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style and extension notices about the workbook
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _unreadable(name, exc) from None
    try:
        sheets = [ws.title for ws in book.worksheets]
        yield sheets, lambda sheet: book[sheet].iter_rows(values_only=True)
    finally:
        book.close()


def _xls_value(cell: Any, datemode: int) -> object:
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if value.is_integer() and abs(value) < _FLOAT_INTS else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(value, datemode)
        except (ValueError, xlrd.xldate.XLDateError):
            return value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_TEXT:
        return value
    return None  # empty, blank, error


@contextlib.contextmanager
def _xls(path: Path, name: str) -> Iterator[Workbook]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True, logfile=io.StringIO())
    except Exception as exc:  # xlrd raises many kinds for a damaged file
        raise _unreadable(name, exc) from None

    def rows(sheet: str) -> Iterator[Cells]:
        table = book.sheet_by_name(sheet)
        for r in range(table.nrows):
            yield [_xls_value(cell, book.datemode) for cell in table.row(r)]

    try:
        yield book.sheet_names(), rows
    finally:
        book.release_resources()


def _blank(value: object) -> bool:
    return value is None or value == ""


def _trim(cells: Cells) -> list[object]:
    out = list(cells)
    while out and _blank(out[-1]):
        out.pop()
    return out


def _heading(value: object) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _sheet_rows(cells: Iterator[Cells], first: Row) -> Iterator[Row]:
    """Rows of one sheet as dicts, each starting with the items of ``first``."""
    rows = (_trim(r) for r in cells)
    rows = (r for r in rows if r)
    head = list(islice(rows, _SNIFF_ROWS))
    if not head:
        return
    if first_row_is_data([[value_kind(v) for v in r] for r in head]):
        names = [f"column_{i}" for i in range(1, max(map(len, head)) + 1)]
        data = chain(head, rows)
    else:
        names = unique_names([_heading(v) for v in head[0]])
        data = chain(head[1:], rows)
    for values in data:
        row = dict(first)
        row.update(zip(names, values, strict=False))
        row.update((n, None) for n in names[len(values) :])
        row.update(
            (f"column_{i}", v)
            for i, v in enumerate(values, start=1)
            if i > len(names) and not _blank(v)
        )
        yield row


def excel_source(path: Path, name: str, ext: str, sheet: str | None) -> RowSource:
    """A source over the sheet(s) of the workbook ``path`` (``.xlsx`` or ``.xls``).

    Raises:
        InputError: the workbook cannot be read, or has no sheet named ``sheet``.
    """
    opener = _xlsx if ext == ".xlsx" else _xls
    with opener(path, name) as (sheets, _):
        pass
    if not sheets:
        raise InputError(f"'{name}' has no worksheets; add a sheet with a header and rows.")
    if sheet is None:
        chosen = sheets[:1]
    elif sheet == ALL_SHEETS:
        chosen = sheets
    elif sheet in sheets:
        chosen = [sheet]
    else:
        raise InputError(
            f"There is no sheet '{sheet}' in '{name}'. Sheets: {', '.join(sheets)}; "
            f"or ask for '{ALL_SHEETS}' to stack them."
        )
    stacked = sheet == ALL_SHEETS

    def rows() -> Iterator[Row]:
        with opener(path, name) as (_, read):
            for title in chosen:
                first: Row = {SHEET_COLUMN: title} if stacked else {}
                try:
                    yield from _sheet_rows(read(title), first)
                except InputError:
                    raise
                except Exception as exc:  # a damaged sheet, found part-way through
                    raise _unreadable(name, exc) from None

    return RowSource(rows, Details(format="excel", sheet=ALL_SHEETS if stacked else chosen[0]))
