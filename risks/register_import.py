"""Importing a business-risk register from a spreadsheet: reading a CSV or XLSX upload, matching its columns to
the register's fields, checking every row, and writing the good rows in one transaction.

The steps (risks.register_import_views): the upload is read (read_sheet) and kept between steps
(projects.interop.staging); the person maps the sheet's columns to our fields, guessed from the headers
(guess_mapping); the preview lists every row with its errors by field (register_import_check); the commit
(register_import) writes every good row through risks.services.risk_create, the service a risk added by hand
goes through, so an imported risk is validated, numbered and recorded in history the same way. Nothing is
written while a row has errors, unless the person chose to skip exactly the rows the preview showed with errors.

An import only adds risks: a row whose title is already a risk of the register (case and spacing aside) is an
error, never an update, so importing a file twice cannot change the register or double it.

Reading trusts nothing. A CSV may be UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
(Excel's "Unicode text") or Windows-1252, with a comma, semicolon, tab or bar between cells. An XLSX is opened
read-only once its unpacked size is checked; a formula is never evaluated: a cell gives the value Excel last
stored for it. The first non-empty row names the columns. A file larger than MAX_FILE_BYTES or with more than
MAX_ROWS rows of risks is refused with the limit named, never cut short.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import openpyxl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from openpyxl.utils import get_column_letter

from projects.interop.document import MAX_FILE_BYTES, InvalidModelFile
from projects.models import Membership, Organisation, User
from projects.roles import Permission
from projects.writes import validate
from risks import inputs, services
from risks.models import BusinessRisk, Category, Currency, Level, Treatment

MAX_ROWS = 1_000  # rows of risks in one import: each goes through risk_create, as a risk added by hand does
MAX_COLUMNS = 100  # columns read; cells further right are not
MAX_SCANNED_ROWS = 50_000  # rows read, empty ones included, before a sheet is refused as too long
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX is a ZIP archive: what it may unpack to

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 workbooks, and password-protected XLSX
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
DELIMITERS = ",;\t|"

NOT_A_SPREADSHEET = "This is not a spreadsheet: upload a CSV file or an Excel workbook (.xlsx)."

# What a cell holds: text from a CSV; text, a number, a date, a boolean or None from XLSX.
type CellValue = Any


# Reading a file ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """The rows of one sheet (or of a CSV file) as read, before any field is made of them."""

    name: str  # the sheet read; "" for a CSV file
    names: tuple[str, ...]  # every sheet of the workbook, in order; () for a CSV file
    headers: tuple[str, ...]  # the column names, from the first non-empty row
    header_row: int
    rows: tuple[tuple[int, tuple[CellValue, ...]], ...]  # (number in the file, cells) of non-empty rows

    def column_label(self, index: int) -> str:
        return f"{self.headers[index]} (column {get_column_letter(index + 1)})"


def read_sheet(data: bytes, sheet: str = "") -> Sheet:
    """The named sheet of an XLSX workbook (its first by default), or a CSV file; InvalidModelFile when the file
    cannot be read, with the problem and, where it is known, the place."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidModelFile(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {MAX_FILE_BYTES // 1_048_576} MB."
        )
    if not data.strip():
        raise InvalidModelFile("The file is empty.")
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, sheet)
    if data.startswith(OLE_MAGIC):
        raise InvalidModelFile(
            "This is an Excel 97-2003 workbook (.xls) or a password-protected one: save it as an Excel "
            "workbook (.xlsx) without a password, or as CSV, and upload that."
        )
    if data.startswith(BINARY_MAGIC):
        raise InvalidModelFile(NOT_A_SPREADSHEET)
    return _read_csv(data)


def _decoded(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidModelFile(NOT_A_SPREADSHEET)


def _dialect(text: str) -> tuple[str, str]:
    """The character between cells, and the text without Excel's "sep=;" line when it has one. The header line
    decides when only one of the candidates is in it; between several, csv.Sniffer reads the first lines; a
    file of one column has none, and a comma does no harm."""
    first, _, rest = text.partition("\n")
    told = re.fullmatch(r"\ufeff?sep=(.)\r?", first)
    if told:
        return told[1], rest
    header = next((line for line in text[:65_536].splitlines() if line.strip()), "")
    present = [delimiter for delimiter in DELIMITERS if delimiter in header]
    if len(present) < 2:
        return (present[0] if present else ","), text
    sample = text[:65_536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a sample cut in the middle of a row misleads the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(present)).delimiter, text
    except csv.Error:
        return max(present, key=header.count), text


def _read_csv(data: bytes) -> Sheet:
    text = _decoded(data)
    if CONTROL_CHARACTERS.search(text[:65_536]):
        raise InvalidModelFile(NOT_A_SPREADSHEET)
    delimiter, text = _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, tuple[CellValue, ...]]] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            _check_scanned(number)
            records.append((number, tuple(record[:MAX_COLUMNS])))
    except csv.Error as error:
        raise InvalidModelFile(f"This CSV file cannot be read: {error}.", f"row {number + 1}") from None
    return _sheet("", (), records)


def _read_xlsx(data: bytes, wanted: str) -> Sheet:
    damaged = "This file is damaged or is not an Excel workbook (.xlsx): open it in Excel and save it again."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {info.filename: info.file_size for info in archive.infolist()}
            kind = archive.read("mimetype")[:80] if "mimetype" in parts else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        raise InvalidModelFile(damaged) from None
    if kind.startswith(b"application/vnd.oasis.opendocument"):
        raise InvalidModelFile(
            "This is an OpenDocument file (.ods): save it as an Excel workbook (.xlsx) or as CSV, and upload that."
        )
    if "xl/workbook.xml" not in parts:
        raise InvalidModelFile(NOT_A_SPREADSHEET)
    unpacked = sum(parts.values())
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidModelFile(
            f"The workbook unpacks to {unpacked / 1_048_576:.0f} MB; the limit is "
            f"{MAX_UNPACKED_BYTES // 1_048_576} MB. Copy the register's sheet into a workbook of its own."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of parts it does not read (data validation, styles)
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # a damaged or hostile workbook makes the parser fail in any way it can
            raise InvalidModelFile(damaged) from None
        try:
            return _read_worksheet(book, wanted)
        except InvalidModelFile:
            raise
        except Exception:
            raise InvalidModelFile(damaged) from None
        finally:
            book.close()


def _read_worksheet(book: Any, wanted: str) -> Sheet:
    sheets = list(book.worksheets)  # chart sheets are not among them
    names = tuple(str(sheet.title) for sheet in sheets)
    if not sheets:
        raise InvalidModelFile("The workbook has no sheet of cells.")
    chosen = sheets[names.index(wanted)] if wanted in names else None
    if wanted and chosen is None:
        raise InvalidModelFile(f"The workbook has no sheet named “{wanted}”.")
    chosen = chosen or sheets[0]
    records: list[tuple[int, tuple[CellValue, ...]]] = []
    rows = chosen.iter_rows(max_row=MAX_SCANNED_ROWS + 1, max_col=MAX_COLUMNS, values_only=True)
    for number, row in enumerate(rows, start=1):
        _check_scanned(number)
        records.append((number, tuple(row)))
    return _sheet(str(chosen.title), names, records)


def _check_scanned(number: int) -> None:
    if number > MAX_SCANNED_ROWS:
        raise InvalidModelFile(
            f"The sheet goes on past row {MAX_SCANNED_ROWS:,}; an import takes at most {MAX_ROWS:,} rows of "
            "risks. Delete the empty rows under the register, or split it into several files."
        )


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _looks_like_data(value: CellValue) -> bool:
    """A header cell that holds a number or a date: the first row is a risk, not the column names."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal | datetime.date | datetime.time):
        return True
    return (
        isinstance(value, str)
        and re.fullmatch(r"[-+]?\d[\d.,\s]*|\d{4}-\d{2}-\d{2}", value.strip()) is not None
    )


def _sheet(name: str, names: tuple[str, ...], records: list[tuple[int, tuple[CellValue, ...]]]) -> Sheet:
    filled = [(number, cells) for number, cells in records if not all(_blank(cell) for cell in cells)]
    where = f"sheet “{name}”" if name else ""
    if not filled:
        raise InvalidModelFile("The sheet is empty." if name else "The file is empty.", where)
    header_row, header = filled[0]
    width = max(index + 1 for index, cell in enumerate(header) if not _blank(cell))
    for index, cell in enumerate(header[:width]):
        if _looks_like_data(cell):
            raise InvalidModelFile(
                f"The first row should name the columns (Title, Owner e-mail, Impact, …), but column "
                f"{get_column_letter(index + 1)} holds {_text(cell)}: add a row of column names at the top.",
                f"row {header_row}",
            )
    headers = tuple(
        _text(cell) or f"Column {get_column_letter(index + 1)}" for index, cell in enumerate(header[:width])
    )
    rows = tuple(
        (number, tuple(cells[:width]))
        for number, cells in filled[1:]
        if not all(_blank(cell) for cell in cells[:width])
    )
    if not rows:
        raise InvalidModelFile("The sheet names its columns but has no rows of risks under them.", where)
    if len(rows) > MAX_ROWS:
        raise InvalidModelFile(
            f"The sheet has {len(rows):,} rows of risks; an import takes at most {MAX_ROWS:,}. Split it into "
            "several files.",
            where,
        )
    return Sheet(name=name, names=names, headers=headers, header_row=header_row, rows=rows)


# Columns and fields -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str  # BusinessRisk's field
    label: str  # as the mapping step names it
    short: str  # as an error names it: "row 7, owner: ..."
    synonyms: tuple[str, ...]  # header names that mean it (normalised: see _normal), the likeliest first
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field(
        "title",
        "Title",
        "title",
        ("title", "risk title", "business risk", "risk", "risk name", "name", "risk summary", "summary"),
        required=True,
    ),
    Field(
        "description",
        "Description",
        "description",
        ("description", "risk description", "details", "detail", "risk details"),
    ),
    Field(
        "categories",
        "Categories",
        "categories",
        ("categories", "category", "risk category", "risk categories", "risk type", "type"),
    ),
    Field(
        "owner",
        "Owner (e-mail)",
        "owner",
        (
            "owner e mail",
            "owner email",
            "risk owner e mail",
            "risk owner email",
            "owner mail",
            "e mail",
            "email",
            "owner",
            "risk owner",
        ),
    ),
    Field(
        "impact",
        "Impact level",
        "impact",
        ("impact", "impact level", "business impact", "impact rating", "severity", "consequence"),
    ),
    Field(
        "loss_low",
        "Loss per event, low",
        "loss low",
        (
            "loss low",
            "loss per event low",
            "loss per event low 5th percentile",
            "loss low 5th percentile",
            "low loss",
            "loss min",
            "min loss",
            "minimum loss",
            "loss minimum",
        ),
    ),
    Field(
        "loss_high",
        "Loss per event, high",
        "loss high",
        (
            "loss high",
            "loss per event high",
            "loss per event high 95th percentile",
            "loss high 95th percentile",
            "high loss",
            "loss max",
            "max loss",
            "maximum loss",
            "loss maximum",
        ),
    ),
    Field(
        "treatment",
        "Treatment",
        "treatment",
        ("treatment", "risk treatment", "treatment option", "response", "risk response", "strategy"),
    ),
    Field(
        "treatment_detail",
        "How it is treated",
        "treatment detail",
        (
            "treatment detail",
            "treatment details",
            "how it is treated",
            "treatment plan",
            "action plan",
            "mitigation plan",
            "mitigation",
            "actions",
        ),
    ),
    Field(
        "review_on",
        "Next review",
        "next review",
        ("next review", "next review date", "review date", "review on", "review by", "review due", "review"),
    ),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}

type ColumnMapping = Mapping[str, int]  # field name -> index of the sheet's column that holds it


def _normal(header: str) -> str:
    """A header as the synonyms are written: lower case, words only ("Owner E-mail:" is "owner e mail")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.casefold()).split())


def guess_mapping(headers: Sequence[str]) -> dict[str, int]:
    """Each field's column, where a header names it; a column feeds one field at most."""
    normal = [_normal(header) for header in headers]
    mapping: dict[str, int] = {}
    for f in FIELDS:
        for synonym in f.synonyms:
            index = next(
                (i for i, name in enumerate(normal) if name == synonym and i not in mapping.values()), None
            )
            if index is not None:
                mapping[f.name] = index
                break
    return mapping


# Reading a cell into a field ----------------------------------------------------------------------------------


class _Bad(ValueError):
    """A cell that cannot be read into its field; the message says why."""


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _words(value: str) -> str:
    """A choice as typed, compared without case, spacing, hyphens or underscores: "Very-High" is "very high"."""
    return " ".join(re.sub(r"[\s_\-]+", " ", value.casefold()).split())


def _quoted(value: CellValue) -> str:
    text = _text(value)
    return f"“{text if len(text) <= 60 else text[:59] + '…'}”"


CURRENCY = r"(?:[a-z]{0,2}[$€£¥]|" + "|".join(Currency.values) + ")"
CURRENCY_SIGNS = re.compile(rf"(?i)^{CURRENCY}|{CURRENCY}$")
MULTIPLIERS = {
    "": 1,
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
AMOUNT = re.compile(r"(?i)(-?)(\d[\d.,]*)(k|thousand|mn|m|million|bn|billion)?")
CENT = Decimal("0.01")


def _money(value: CellValue) -> Decimal | None:
    """An amount as spreadsheets hold it: a number (to the cent), or text with a currency sign or code,
    thousands separators (1,000 / 1.000 / 1 000 / 1'000), a decimal point or comma, and k, m or bn for
    thousands, millions and billions. Of a point and a comma, the last is the decimal mark; one alone is a
    thousands separator when it is followed by three digits (250,000 and 250.000 are both a quarter million: no
    currency has amounts in thousandths) and no k, m or bn (1.250m is one and a quarter million)."""
    wrong = f"{_quoted(value)} is not an amount: write it as 250000, €250,000 or 250k."
    if isinstance(value, bool):
        raise _Bad(wrong)
    if isinstance(value, int | float | Decimal):
        try:
            amount = Decimal(str(round(value, 2) if isinstance(value, float) else value))
        except InvalidOperation:
            raise _Bad(wrong) from None
        if not amount.is_finite():
            raise _Bad(wrong)
        return amount
    text = _text(value)
    if not text:
        return None
    compact = re.sub(r"[\s\u00a0\u202f\u2009'\u2019]", "", text)
    match = AMOUNT.fullmatch(CURRENCY_SIGNS.sub("", compact))
    if match is None:
        raise _Bad(wrong)
    sign, digits, suffix = match.groups()
    if "," in digits and "." in digits:
        decimal_mark = "," if digits.rindex(",") > digits.rindex(".") else "."
        digits = digits.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif "," in digits or "." in digits:
        mark = "," if "," in digits else "."
        thousands = digits.count(mark) > 1 or (
            not suffix and re.fullmatch(rf"[1-9]\d{{0,2}}\{mark}\d{{3}}", digits) is not None
        )
        digits = digits.replace(mark, "") if thousands else digits.replace(mark, ".")
    try:
        amount = Decimal(sign + digits) * MULTIPLIERS[(suffix or "").lower()]
        return amount.quantize(CENT) if amount == amount.quantize(CENT) else amount
    except InvalidOperation:
        raise _Bad(wrong) from None


MONTH_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%B %d, %Y", "%b %d, %Y", "%d-%b-%Y")


def _date(value: CellValue) -> datetime.date | None:
    """A date cell, or text as ISO (2025-03-31), day and month names (31 March 2025), or with slashes or dots
    when it cannot be read two ways (31/03/2025 can; 03/04/2025 could be 3 April or March 4, so it is refused)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    hint = f"{_quoted(value)} is not a date: write it as 2025-03-31."
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]+)?", text)
    numeric = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif numeric:
        first, second, year = int(numeric[1]), int(numeric[2]), int(numeric[3])
        if first <= 12 and second <= 12 and first != second:
            raise _Bad(
                f"{_quoted(value)} could be read two ways (day first or month first): write it as "
                f"{year}-{second:02}-{first:02} or {year}-{first:02}-{second:02}."
            )
        day, month = (first, second) if first > 12 or first == second else (second, first)
    if iso or numeric:
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise _Bad(hint) from None
    for pattern in MONTH_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _Bad(hint)


def _choice(value: CellValue, names: Mapping[str, str], what: str, choices: str) -> str:
    found = names.get(_words(_text(value)))
    if found is None:
        raise _Bad(f"{_quoted(value)} is not {what}: {choices}.")
    return found


TREATMENT_NAMES = {_words(value): value for value in Treatment.values} | {
    _words(str(label)): value for value, label in Treatment.choices
}
# The "four Ts" of many registers, and common words for the same four treatments.
TREATMENT_NAMES |= {
    "treat": Treatment.MITIGATE,
    "reduce": Treatment.MITIGATE,
    "mitigation": Treatment.MITIGATE,
    "tolerate": Treatment.ACCEPT,
    "retain": Treatment.ACCEPT,
    "share": Treatment.TRANSFER,
    "insure": Treatment.TRANSFER,
    "terminate": Treatment.AVOID,
}
TREATMENT_CHOICES = "mitigate, transfer or avoid"
CATEGORY_NAMES = {_words(value): value for value in Category.values} | {
    _words(str(label)): value for value, label in Category.choices
}
CATEGORY_CHOICES = ", ".join(value for value in Category.values)


def _treatment(value: CellValue) -> str:
    if not _text(value):
        return Treatment.MITIGATE
    treatment = _choice(value, TREATMENT_NAMES, "a treatment", TREATMENT_CHOICES)
    if treatment == Treatment.ACCEPT:
        raise _Bad(
            f"{_quoted(value)} cannot be imported: a risk is accepted when its owner approves an acceptance "
            "request. Import it as mitigate and request the acceptance on its page."
        )
    return treatment


def _categories(value: CellValue) -> list[str]:
    found: list[str] = []
    for part in re.split(r"[,;/|\n]+", _text(value)):
        if part.strip():
            category = _choice(part, CATEGORY_NAMES, "a category", CATEGORY_CHOICES)
            if category not in found:
                found.append(category)
    return found


def _title(value: CellValue) -> str:
    title = " ".join(_text(value).split())
    if not title:
        raise _Bad("Empty: every business risk needs a title.")
    return title


# Checking the rows --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    field: str  # a field name, or "" for the row as a whole
    message: str

    @property
    def short(self) -> str:
        """The field as an error names it ("loss low"), or "" for the row as a whole."""
        f = FIELDS_BY_NAME.get(self.field)
        return f.short if f else ""

    @property
    def where(self) -> str:
        return f"Row {self.row}, {self.short}" if self.short else f"Row {self.row}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class CheckedRow:
    number: int  # the row's number in the file
    values: dict[str, Any]  # BusinessRisk's fields, as risks.services.risk_create takes them
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.number, name, message))


@dataclass(frozen=True)
class Checked:
    """Every row of the sheet with its errors, and the columns the mapping leaves out."""

    rows: tuple[CheckedRow, ...]
    ignored: tuple[str, ...]  # the headers of the columns no field takes

    @cached_property
    def good(self) -> tuple[CheckedRow, ...]:
        return tuple(row for row in self.rows if row.ok)

    @cached_property
    def bad(self) -> tuple[CheckedRow, ...]:
        return tuple(row for row in self.rows if not row.ok)

    @property
    def bad_numbers(self) -> frozenset[int]:
        return frozenset(row.number for row in self.bad)

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.bad for error in row.errors]


@dataclass(frozen=True)
class _Register:
    """What a row is checked against: the organisation's members by e-mail, its risks' titles, and the names of
    its impact levels (ours, and its scale's own)."""

    organisation: Organisation
    members: dict[str, User]
    titles: dict[str, str]  # a title in lower case, spacing aside -> the reference of the risk that has it
    impact_names: dict[str, str]
    impact_choices: str

    @classmethod
    def of(cls, organisation: Organisation) -> _Register:
        members = {
            user.email.casefold(): user
            for user in User.objects.filter(memberships__organisation=organisation)
        }
        titles = {
            _words(title): f"R-{number}"
            for title, number in BusinessRisk.objects.filter(organisation=organisation).values_list(
                "title", "number"
            )
        }
        ours = {_words(value): value for value in Level.values} | {
            _words(str(label)): value for value, label in Level.choices
        }
        scale = inputs.settings_of(organisation).impact_scale
        own = {_words(str(level["name"])): value for level, value in zip(scale, Level.values, strict=True)}
        choices = ", ".join(str(label).lower() for label in Level.labels)
        renamed = [str(level["name"]) for level in scale if _words(str(level["name"])) not in ours]
        if renamed:
            choices += f" (or your scale's names: {', '.join(str(level['name']) for level in scale)})"
        return cls(organisation, members, titles, own | ours, choices)


def _read_row(
    number: int, cells: Sequence[CellValue], mapping: ColumnMapping, register: _Register
) -> CheckedRow:
    """The row's cells read into BusinessRisk's fields; what cannot be read is an error of its field."""
    row = CheckedRow(number, {})
    readers: dict[str, Any] = {
        "title": _title,
        "description": _text,
        "categories": _categories,
        "owner": lambda value: _owner(value, register),
        "impact": lambda value: (
            _choice(value, register.impact_names, "an impact level", register.impact_choices)
            if _text(value)
            else ""
        ),
        "loss_low": _money,
        "loss_high": _money,
        "treatment": _treatment,
        "treatment_detail": _text,
        "review_on": _date,
    }
    for name, index in mapping.items():
        value = cells[index] if index < len(cells) else None
        try:
            row.values[name] = readers[name](value)
        except _Bad as bad:
            row.fail(name, str(bad))
    if "title" in row.values:
        reference = register.titles.get(_words(row.values["title"]))
        if reference is not None:
            row.fail("title", f"{reference} already has this title; an import only adds new business risks.")
    return row


def _owner(value: CellValue, register: _Register) -> User | None:
    email = _text(value)
    if not email:
        return None
    if "@" not in email:
        raise _Bad(f"{_quoted(value)} is not an e-mail address: give the owner's e-mail.")
    user = register.members.get(email.casefold())
    if user is None:
        raise _Bad(f"No member of {register.organisation.name} has the e-mail {email}.")
    return user


def _model_errors(row: CheckedRow, organisation: Organisation) -> None:
    """The register's own rules for the row (risks.services.risk_create validates the same way): lengths, an
    impact or a loss range, a loss range in order, a transfer or avoidance that says how."""
    risk = BusinessRisk(organisation=organisation, number=0, **row.values)
    try:
        # The organisation and owner are the member's own and titles were compared already (without case).
        validate(risk, exclude=["number", "organisation", "owner"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                row.fail(name if name in FIELDS_BY_NAME else "", message)


def _check_mapping(mapping: ColumnMapping, sheet: Sheet) -> None:
    if "title" not in mapping:
        raise ValidationError({"title": "Choose the column that holds each risk's title."})
    unknown = [name for name in mapping if name not in FIELDS_BY_NAME]
    if unknown or not all(0 <= index < len(sheet.headers) for index in mapping.values()):
        raise ValidationError("Choose columns of the sheet for the register's fields.")
    if len(set(mapping.values())) < len(mapping):
        raise ValidationError("Choose each column for one field at most.")


def _checked(membership: Membership, sheet: Sheet, mapping: ColumnMapping, *, with_model: bool) -> Checked:
    _check_mapping(mapping, sheet)
    organisation = membership.organisation
    register = _Register.of(organisation)
    rows: list[CheckedRow] = []
    first_with: dict[str, int] = {}
    for number, cells in sheet.rows:
        row = _read_row(number, cells, mapping, register)
        key = _words(row.values.get("title", ""))
        if key and key in first_with:
            row.fail("title", f"Row {first_with[key]} has the same title.")
        first_with.setdefault(key, number)
        if with_model and row.ok:
            _model_errors(row, organisation)
        rows.append(row)
    taken = set(mapping.values())
    ignored = tuple(header for index, header in enumerate(sheet.headers) if index not in taken)
    return Checked(rows=tuple(rows), ignored=ignored)


def register_import_check(*, membership: Membership, sheet: Sheet, mapping: ColumnMapping) -> Checked:
    """The preview: every row of the sheet read with the mapping and checked as the import will check it, and
    nothing written. A ValidationError when the mapping itself is wrong (no title column, a column twice)."""
    return _checked(membership, sheet, mapping, with_model=True)


# Writing ----------------------------------------------------------------------------------------------------


class ImportRefused(Exception):
    """Nothing was written: rows have errors the person did not choose to skip, or no row can be imported."""

    def __init__(self, message: str, checked: Checked) -> None:
        super().__init__(message)
        self.message = message
        self.checked = checked


def _rows_named(numbers: frozenset[int]) -> str:
    listed = sorted(numbers)
    shown = ", ".join(str(n) for n in listed[:20])
    return f"rows {shown}{' and more' if len(listed) > 20 else ''}" if len(listed) > 1 else f"row {shown}"


def register_import(
    *, membership: Membership, sheet: Sheet, mapping: ColumnMapping, skip: frozenset[int] | None = None
) -> list[BusinessRisk]:
    """Add every row of the sheet to the register, in one transaction, through risks.services.risk_create.

    `skip`: the rows the person saw with errors in the preview and chose to leave out. The rows with errors now
    must be exactly those, or (without `skip`) there must be none; otherwise ImportRefused and nothing written.
    """
    if not membership.can(Permission.EDIT_RISK_REGISTER):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot import business risks.")
    checked = _checked(membership, sheet, mapping, with_model=False)
    created: list[BusinessRisk] = []
    with transaction.atomic():
        for row in checked.good:
            try:
                created.append(services.risk_create(membership=membership, **row.values))
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        row.fail(name if name in FIELDS_BY_NAME else "", message)
            except IntegrityError:
                # Someone added the same title meanwhile; risk_create's savepoint undid its own write.
                row.fail("title", "A business risk with this title was added while this file was imported.")
        found = frozenset(row.number for row in checked.rows if not row.ok)
        if found and skip is None:
            raise ImportRefused(
                f"{len(found):,} {'rows have' if len(found) > 1 else 'row has'} errors, so nothing was "
                "imported: correct the file and upload it again, or choose to skip them.",
                _again(checked),
            )
        if skip is not None and found != skip:
            now = f"now {_rows_named(found)}" if found else "none has errors now"
            raise ImportRefused(
                f"The rows with errors are not the ones the preview showed ({now}), so nothing was imported: "
                "check the preview again.",
                _again(checked),
            )
        if not created:
            raise ImportRefused("No row can be imported, so nothing was.", _again(checked))
    return created


def _again(checked: Checked) -> Checked:
    """The check as it stands after the attempt (errors were added to rows), its row sets counted afresh."""
    return Checked(rows=checked.rows, ignored=checked.ignored)
