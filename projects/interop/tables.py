"""Lists as spreadsheets: the CSV and XLSX downloads of every list that offers them (the estate's threats and
controls, the business-risk register) and the register import's sample file.

A list view builds its rows from the queryset its page shows, filters and order included, and hands them here
with its columns. Cells are plain values: text, numbers, dates, or None for an empty cell.

Spreadsheet formula injection: a cell of text that starts with = + - @, a tab or a carriage return is run as a
formula by Excel and its kin when a CSV is opened. In CSV such text gets a leading apostrophe, which those
programs read as "this is text"; in XLSX every text cell is written as a string cell, never as a formula, so
it needs no mark. Numbers are never touched: -5 stays a number.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse, QueryDict
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from projects.downloads import attachment

type Value = str | int | float | Decimal | datetime.date | None

CSV = "csv"
XLSX = "xlsx"
FORMATS = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60  # characters: wider columns wrap in the reader's view rather than push the others away
SHEET_TITLE_LENGTH = 31  # Excel's limit on a sheet's name


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 14  # in characters, for XLSX
    money: bool = False  # written with thousands separators and two decimals in XLSX


def requested_format(query: QueryDict) -> str | None:
    """The download a list's `?format=` asks for (csv or xlsx), or None for the page itself."""
    wanted = query.get("format", "")
    return wanted if wanted in FORMATS else None


def download_query(query: QueryDict, fmt: str) -> str:
    """The list's query string as it stands (its filters and order) asking for the download in `fmt`: every
    row, so without the page number."""
    download = query.copy()
    download.pop("page", None)
    download["format"] = fmt
    return download.urlencode()


def neutralised(text: str) -> str:
    """Text that a spreadsheet would run as a formula, marked as text with a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_value(value: Value) -> str | int | float | Decimal:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralised(value)
    return value


def csv_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Value]]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read anything but ASCII right; CRLF line ends."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([neutralised(column.header) for column in columns])
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return text.getvalue().encode("utf-8-sig")


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Value, column: Column) -> WriteOnlyCell:
    if isinstance(value, str):
        # XML cannot carry most control characters; openpyxl refuses them rather than drop them.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # a string cell even when the text starts with "=": never a formula
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    elif column.money and value is not None:
        cell.number_format = "#,##0.00"
    return cell


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Value]], *, title: str) -> bytes:
    """One sheet: the header row in bold and frozen, each column as wide as its `width`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", title)[:SHEET_TITLE_LENGTH] or "Sheet")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(column.width, MAX_WIDTH)
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = _xlsx_cell(sheet, column.header, column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value, column) for value, column in zip(row, columns, strict=True)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_response(
    fmt: str, *, filename: str, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Value]]
) -> HttpResponse:
    """The rows as a download in `fmt` (csv or xlsx). `filename` is without its extension; it goes into the
    header quoted and, when it is not plain ASCII, encoded (RFC 6266), so no name can break the header."""
    if fmt == XLSX:
        body = xlsx_bytes(columns, rows, title=title)
    elif fmt == CSV:
        body = csv_bytes(columns, rows)
    else:
        raise ValueError(f"No table format {fmt!r}.")
    return attachment(HttpResponse(body, content_type=FORMATS[fmt]), f"{filename}.{fmt}")
