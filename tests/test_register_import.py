"""Importing the business-risk register from a spreadsheet: upload, columns, preview, import.

Files are made in the tests (CSV as bytes, XLSX with openpyxl) and go through the pages as a security lead
would send them; what is written is read back from the database.
"""

import datetime
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from projects.interop.document import MAX_FILE_BYTES, InvalidModelFile
from projects.roles import Role
from risks import inputs
from risks.models import BusinessRisk, Category, ScoringSettings, Treatment
from risks.register_import import (
    MAX_ROWS,
    guess_mapping,
    read_sheet,
    register_import,
    register_import_check,
)
from tests.conftest import Cast, signed_in
from tests.factories import MembershipFactory, UserFactory
from tests.risk_register import add_risk

HEADERS = [
    "Risk",
    "Owner email",
    "Impact",
    "Loss low",
    "Loss high",
    "Category",
    "Treatment",
    "Treatment detail",
    "Review date",
    "Likelihood",
]
GOOD_ROWS = [
    [
        "Card data exposed",
        "OWNER@acme.test",
        "Very high",
        "€250,000",
        "€4,000,000",
        "Financial; Regulatory",
        "Mitigate",
        "",
        "2030-03-31",
        "High",
    ],
    ["Checkout down on a sales day", "", "moderate", "", "", "operational", "", "", "", "Low"],
    [
        "Supplier breach",
        "lead@acme.test",
        "",
        "50k",
        "1.5m",
        "Reputational",
        "Transfer",
        "Cyber insurance with Example Insurer",
        "31 December 2030",
        "",
    ],
]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    def cell(value: str) -> str:
        return f'"{value}"' if delimiter in value or '"' in value else value

    return "\r\n".join(delimiter.join(cell(value) for value in row) for row in rows).encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def url(cast: Cast, name: str) -> str:
    return reverse(name, args=[cast.organisation.slug])


class Importer:
    """A member going through the steps with the test client."""

    def __init__(self, cast: Cast, client: Client) -> None:
        self.cast = cast
        self.client = client

    def upload(self, data: bytes, name: str = "register.csv") -> Any:
        return self.client.post(url(self.cast, "register_import"), {"file": SimpleUploadedFile(name, data)})

    def columns_of(self, data: bytes, name: str = "register.csv") -> dict[str, str]:
        """The columns step's form as the page fills it in (guessed from the headers)."""
        response = self.upload(data, name)
        assert response.status_code == 200, response.content.decode()
        return dict(response.context["form"].initial)

    def preview(self, fields: dict[str, str]) -> Any:
        return self.client.post(url(self.cast, "register_import_preview"), fields)

    def commit(self, fields: dict[str, str], *, skip: str | None = None) -> Any:
        body = dict(fields)
        if skip is not None:
            body |= {"skip_errors": "on", "skipped": skip}
        return self.client.post(url(self.cast, "register_import_commit"), body)


@pytest.fixture
def lead(cast: Cast) -> Importer:
    return Importer(cast, signed_in(cast.security_lead))


def titles(cast: Cast) -> list[str]:
    return list(BusinessRisk.objects.filter(organisation=cast.organisation).values_list("title", flat=True))


def errors_of(response: Any) -> list[str]:
    return [str(error) for error in response.context["checked"].errors]


# The happy path -----------------------------------------------------------------------------------------------


def test_a_good_csv_imports_every_row_with_its_fields(cast: Cast, lead: Importer) -> None:
    fields = lead.columns_of(csv_bytes([HEADERS, *GOOD_ROWS]))

    preview = lead.preview(fields)
    assert preview.status_code == 200
    checked = preview.context["checked"]
    assert (len(checked.good), len(checked.bad)) == (3, 0)
    assert checked.ignored == ("Likelihood",)
    assert titles(cast) == [], "the preview writes nothing"

    response = lead.commit(fields)
    assert response.status_code == 302
    assert response["Location"] == url(cast, "risk_list")
    risks = {risk.title: risk for risk in BusinessRisk.objects.filter(organisation=cast.organisation)}
    assert sorted(risk.reference for risk in risks.values()) == ["R-1", "R-2", "R-3"]
    card = risks["Card data exposed"]
    assert card.owner == cast.owner
    assert card.impact == "very_high"
    assert (card.loss_low, card.loss_high) == (Decimal("250000.00"), Decimal("4000000.00"))
    assert card.categories == [Category.FINANCIAL, Category.REGULATORY]
    assert card.treatment == Treatment.MITIGATE
    assert card.review_on == datetime.date(2030, 3, 31)
    checkout = risks["Checkout down on a sales day"]
    assert (checkout.owner, checkout.impact, checkout.loss_low) == (None, "moderate", None)
    assert checkout.review_on is not None, "an empty review date follows from the level, as by hand"
    supplier = risks["Supplier breach"]
    assert supplier.owner == cast.security_lead
    assert (supplier.loss_low, supplier.loss_high) == (Decimal("50000.00"), Decimal("1500000.00"))
    assert supplier.treatment == Treatment.TRANSFER
    assert supplier.treatment_detail == "Cyber insurance with Example Insurer"
    assert supplier.review_on == datetime.date(2030, 12, 31)
    follow = lead.client.get(response["Location"])
    assert "3 business risks imported (R-1 to R-3)." in follow.content.decode()


def test_imported_risks_are_recorded_in_history_as_the_importer_s(cast: Cast, lead: Importer) -> None:
    lead.commit(lead.columns_of(csv_bytes([HEADERS, GOOD_ROWS[0]])))
    risk = BusinessRisk.objects.get(organisation=cast.organisation)
    event = BusinessRisk.pgh_event_model.objects.get(pgh_obj=risk)  # type: ignore[attr-defined]
    assert event.pgh_label == "created"
    assert event.pgh_context.metadata["user"] == cast.security_lead.pk


def test_a_good_xlsx_imports_the_sheet_chosen_with_typed_cells(cast: Cast, lead: Importer) -> None:
    register: list[list[Any]] = [
        ["Title", "Owner e-mail", "Impact level", "Loss low", "Loss high", "Next review", "Description"],
        [
            "Card data exposed",
            "owner@acme.test",
            "HIGH",
            250000,
            4000000.0,
            datetime.date(2031, 1, 15),
            "=2+2",
        ],
        ["Checkout down", None, "Low", None, None, None, "Outage"],
    ]
    data = xlsx_bytes({"Notes": [["Read me"], ["Register is on the next sheet"]], "Register": register})

    first = lead.upload(data, "register.xlsx")
    assert first.context["sheet"].name == "Notes", "the first sheet is read first"
    assert first.context["sheet_form"] is not None
    token = first.context["form"].initial["token"]
    chosen = lead.client.post(url(cast, "register_import_columns"), {"token": token, "sheet": "Register"})
    assert chosen.status_code == 200
    fields = dict(chosen.context["form"].initial)
    assert fields["sheet"] == "Register"

    assert lead.commit(fields).status_code == 302
    card = BusinessRisk.objects.get(organisation=cast.organisation, title="Card data exposed")
    assert (card.impact, card.loss_low, card.loss_high) == ("high", Decimal(250000), Decimal(4000000))
    assert card.review_on == datetime.date(2031, 1, 15)
    assert card.description == "", "a formula is never evaluated: without a stored value the cell is empty"
    assert BusinessRisk.objects.get(title="Checkout down").description == "Outage"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (csv_bytes([HEADERS, *GOOD_ROWS], delimiter=";", encoding="cp1252"), "semicolons in Windows-1252"),
        (b"\xef\xbb\xbf" + csv_bytes([HEADERS, *GOOD_ROWS]), "UTF-8 with a byte-order mark"),
        (b"\xff\xfe" + csv_bytes([HEADERS, *GOOD_ROWS], delimiter="\t", encoding="utf-16-le"), "UTF-16 tabs"),
        (b"sep=|\r\n" + csv_bytes([HEADERS, *GOOD_ROWS], delimiter="|"), "Excel's sep= line"),
    ],
)
def test_a_csv_is_read_whatever_its_encoding_and_delimiter(
    cast: Cast, lead: Importer, data: bytes, what: str
) -> None:
    sheet = read_sheet(data)
    assert sheet.headers == tuple(HEADERS), what
    assert [cells[0] for _, cells in sheet.rows] == [row[0] for row in GOOD_ROWS]
    assert sheet.rows[0][1][3] == "€250,000"


def test_text_in_windows_1252_keeps_its_accents(cast: Cast) -> None:
    data = csv_bytes([["Title", "Description"], ["Données exposées", "Coût: 5 000 €"]], encoding="cp1252")
    sheet = read_sheet(data)
    assert sheet.rows[0][1] == ("Données exposées", "Coût: 5 000 €")


def test_the_sample_file_has_every_column_the_import_recognises(cast: Cast, lead: Importer) -> None:
    response = lead.client.get(url(cast, "register_import_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="business-risks-template.csv"'
    sheet = read_sheet(response.content)
    assert len(guess_mapping(sheet.headers)) == len(sheet.headers)
    fields = lead.columns_of(response.content)
    assert lead.commit(fields).status_code == 302
    assert len(titles(cast)) == 2


# Columns --------------------------------------------------------------------------------------------------------


def test_columns_are_guessed_from_their_names_without_case_or_punctuation() -> None:
    headers = ["ID", "Risk Name", "Risk owner", "Owner E-Mail", "Severity", "LOSS (LOW)", "loss_high", "Type"]
    assert guess_mapping(headers) == {
        "title": 1,
        "owner": 3,
        "impact": 4,
        "loss_low": 5,
        "loss_high": 6,
        "categories": 7,
    }


def test_a_preview_needs_a_column_for_the_title(cast: Cast, lead: Importer) -> None:
    fields = lead.columns_of(csv_bytes([HEADERS, *GOOD_ROWS])) | {"column_title": ""}
    response = lead.preview(fields)
    assert response.status_code == 400
    assert response.context["form"].errors["column_title"] == [
        "Choose the column that holds each risk's title."
    ]


def test_a_column_feeds_one_field_at_most(cast: Cast, lead: Importer) -> None:
    fields = lead.columns_of(csv_bytes([HEADERS, *GOOD_ROWS])) | {"column_description": "0"}
    response = lead.preview(fields)
    assert response.status_code == 400
    assert "This column already feeds “Title”" in response.context["form"].errors["column_description"][0]


def test_changing_the_columns_keeps_those_of_the_preview(cast: Cast, lead: Importer) -> None:
    fields = lead.columns_of(csv_bytes([HEADERS, *GOOD_ROWS])) | {"column_description": "9"}
    response = lead.client.post(url(cast, "register_import_columns"), fields)
    assert response.status_code == 200
    assert response.context["form"].initial["column_description"] == "9"


# Bad rows --------------------------------------------------------------------------------------------------------

BAD_ROWS = [
    ["Card data exposed", "owner@acme.test", "High", "", "", "", "", "", "", ""],  # row 2: good
    ["Unknown owner", "x@y.test", "High", "", "", "", "", "", "", ""],  # row 3
    ["Severe impact", "", "Severe", "", "", "", "", "", "", ""],  # row 4
    ["Backwards losses", "", "", "5m", "1m", "", "", "", "", ""],  # row 5
    ["Existing risk", "", "Low", "", "", "", "", "", "", ""],  # row 6: the register has it
    ["Card data exposed", "", "Low", "", "", "", "", "", "", ""],  # row 7: row 2 has it
    ["Accepted as is", "", "Low", "", "", "", "Accept", "", "", ""],  # row 8
    ["Transferred somewhere", "", "Low", "", "", "", "Transfer", "", "", ""],  # row 9
    ["Next year", "", "Low", "", "", "", "", "", "next year", ""],  # row 10
    ["Two ways", "", "Low", "", "", "", "", "", "03/04/2030", ""],  # row 11
    ["No impact", "", "", "", "", "Legal", "", "", "", ""],  # row 12
    ["", "", "High", "", "", "", "", "", "", ""],  # row 13
    ["Lots", "", "", "lots", "a fortune", "", "", "", "", ""],  # row 14
    ["Good as well", "lead@acme.test", "very_low", "", "", "", "", "", "31/12/2030", ""],  # row 15: good
]


@pytest.fixture
def bad_file(cast: Cast) -> bytes:
    add_risk(cast, "Existing Risk")
    return csv_bytes([HEADERS, *BAD_ROWS])


def test_the_preview_lists_each_bad_row_with_its_row_and_field(
    cast: Cast, lead: Importer, bad_file: bytes
) -> None:
    response = lead.preview(lead.columns_of(bad_file))
    assert response.status_code == 200
    checked = response.context["checked"]
    assert [row.number for row in checked.good] == [2, 15]
    assert sorted(checked.bad_numbers) == list(range(3, 15))
    errors = errors_of(response)
    expected = [
        "Row 3, owner: No member of Acme Payments has the e-mail x@y.test.",
        "Row 4, impact: “Severe” is not an impact level: very low, low, moderate, high, very high.",
        "Row 5, loss high: Give both ends of the loss per event, the high one above the low one (the low one "
        "above 0), or neither.",
        "Row 6, title: R-1 already has this title; an import only adds new business risks.",
        "Row 7, title: Row 2 has the same title.",
        "Row 8, treatment: “Accept” cannot be imported: a risk is accepted when its owner approves an "
        "acceptance request. Import it as mitigate and request the acceptance on its page.",
        "Row 9, treatment detail: Say how: the insurer or contract it is transferred to, or what is retired or "
        "stopped to avoid it.",
        "Row 10, next review: “next year” is not a date: write it as 2025-03-31.",
        "Row 11, next review: “03/04/2030” could be read two ways (day first or month first): write it as "
        "2030-04-03 or 2030-03-04.",
        "Row 12, categories: “Legal” is not a category: financial, regulatory, reputational, operational, safety.",
        "Row 13, title: Empty: every business risk needs a title.",
        "Row 14, loss low: “lots” is not an amount: write it as 250000, €250,000 or 250k.",
        "Row 14, loss high: “a fortune” is not an amount: write it as 250000, €250,000 or 250k.",
    ]
    for message in expected:
        assert message in errors
    assert "Row 12, impact: Give the impact as a level, or as a loss per event, or both." not in errors, (
        "a row whose cells cannot be read is not judged by the register's rules yet"
    )
    page = response.content.decode()
    assert 'id="import-good">2<' in page
    assert 'id="import-bad">12<' in page
    assert "Skip the 12 rows with errors and import the other 2" in page


def test_the_register_s_rules_are_checked_once_the_cells_are_read(cast: Cast, lead: Importer) -> None:
    rows = [["Title", "Impact", "Description"], ["No impact at all", "", "x" * 5_001]]
    response = lead.preview(lead.columns_of(csv_bytes(rows)))
    assert errors_of(response) == [
        "Row 2, description: Keep this to 5,000 characters or fewer (it has 5,001).",
        "Row 2, impact: Give the impact as a level, or as a loss per event, or both.",
    ]


def test_nothing_is_written_while_rows_have_errors(cast: Cast, lead: Importer, bad_file: bytes) -> None:
    before = titles(cast)
    response = lead.commit(lead.columns_of(bad_file))
    assert response.status_code == 400
    assert response.context["refusal"] == (
        "12 rows have errors, so nothing was imported: correct the file and upload it again, or choose to skip "
        "them."
    )
    assert titles(cast) == before


def test_skipping_the_rows_with_errors_on_purpose_writes_only_the_good_ones(
    cast: Cast, lead: Importer, bad_file: bytes
) -> None:
    fields = lead.columns_of(bad_file)
    skipped = lead.preview(fields).context["skipped"]
    assert skipped == ",".join(str(n) for n in range(3, 15))

    response = lead.commit(fields, skip=skipped)
    assert response.status_code == 302
    assert sorted(titles(cast)) == ["Card data exposed", "Existing Risk", "Good as well"]
    follow = lead.client.get(response["Location"]).content.decode()
    assert "2 business risks imported (R-2 to R-3); 12 with errors left out." in follow


def test_skipping_other_rows_than_the_preview_showed_writes_nothing(
    cast: Cast, lead: Importer, bad_file: bytes
) -> None:
    before = titles(cast)
    response = lead.commit(lead.columns_of(bad_file), skip="3,4")
    assert response.status_code == 400
    assert response.context["refusal"].startswith(
        "The rows with errors are not the ones the preview showed (now rows 3, 4, 5, 6"
    )
    assert titles(cast) == before


def test_a_row_that_goes_bad_after_the_preview_stops_the_import(cast: Cast, lead: Importer) -> None:
    """A member who was the owner of a row leaves between the preview and the import: nothing is written."""
    leaving = UserFactory.create(email="leaving@acme.test")
    membership = MembershipFactory.create(user=leaving, organisation=cast.organisation, role=Role.VIEWER)
    rows = [["Title", "Owner", "Impact"], ["Theirs", "leaving@acme.test", "High"], ["Ours", "", "Low"]]
    fields = lead.columns_of(csv_bytes(rows))
    assert lead.preview(fields).context["checked"].bad == ()
    membership.delete()

    response = lead.commit(fields)
    assert response.status_code == 400
    assert errors_of(response) == [
        "Row 2, owner: No member of Acme Payments has the e-mail leaving@acme.test."
    ]
    assert titles(cast) == []


def test_a_file_with_no_good_row_cannot_be_imported(cast: Cast, lead: Importer) -> None:
    fields = lead.columns_of(csv_bytes([["Title", "Impact"], ["Severe one", "Severe"]]))
    page = lead.preview(fields).content.decode()
    assert 'id="import-nothing"' in page
    assert 'id="import-commit"' not in page
    response = lead.commit(fields, skip="2")
    assert response.status_code == 400
    assert response.context["refusal"] == "No row can be imported, so nothing was."
    assert titles(cast) == []


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("250000", Decimal("250000")),
        ("€250,000", Decimal("250000")),
        ("250,000.50 EUR", Decimal("250000.50")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("12,5", Decimal("12.5")),
        ("€250.000", Decimal("250000")),
        ("1.250m", Decimal("1250000")),
        ("0.125k", Decimal("125")),
        ("1234.56", Decimal("1234.56")),
        ("CHF 1'000", Decimal("1000")),
        ("1 000 000", Decimal("1000000")),
        ("US$ 2.5m", Decimal("2500000")),
        ("250k", Decimal("250000")),
        ("2 bn", Decimal("2000000000")),
    ],
)
def test_amounts_are_read_as_spreadsheets_write_them(cast: Cast, typed: str, amount: Decimal) -> None:
    sheet = read_sheet(csv_bytes([["Title", "Loss low", "Loss high"], ["Risk", typed, "3000000000"]]))
    membership = cast.membership(cast.security_lead)
    checked = register_import_check(membership=membership, sheet=sheet, mapping=guess_mapping(sheet.headers))
    assert checked.rows[0].values["loss_low"] == amount


@pytest.mark.parametrize("typed", ["Very high", "VERY HIGH", "very_high", "very-high", " Very  High "])
def test_levels_are_read_by_name_or_value_without_case_or_spacing(cast: Cast, typed: str) -> None:
    sheet = read_sheet(csv_bytes([["Title", "Impact"], ["Risk", typed]]))
    membership = cast.membership(cast.security_lead)
    checked = register_import_check(membership=membership, sheet=sheet, mapping={"title": 0, "impact": 1})
    assert checked.rows[0].values["impact"] == "very_high"


def test_levels_are_read_by_the_names_of_the_organisation_s_own_scale(cast: Cast) -> None:
    scale = [dict(level) for level in inputs.DEFAULT_IMPACT_SCALE]
    for level, name in zip(scale, ["Negligible", "Minor", "Serious", "Major", "Catastrophic"], strict=True):
        level["name"] = name
    ScoringSettings.objects.create(
        organisation=cast.organisation,
        likelihood_scale=inputs.DEFAULT_LIKELIHOOD_SCALE,
        impact_scale=scale,
        matrix=inputs.DEFAULT_MATRIX,
    )
    sheet = read_sheet(csv_bytes([["Title", "Impact"], ["Ours", "catastrophic"], ["Theirs", "Severe"]]))
    membership = cast.membership(cast.security_lead)
    checked = register_import_check(membership=membership, sheet=sheet, mapping={"title": 0, "impact": 1})
    assert checked.rows[0].values["impact"] == "very_high"
    assert str(checked.errors[0]) == (
        "Row 3, impact: “Severe” is not an impact level: very low, low, moderate, high, very high (or your "
        "scale's names: Negligible, Minor, Serious, Major, Catastrophic)."
    )


# Malformed files ----------------------------------------------------------------------------------------------


def _zip_of(files: dict[str, bytes]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


MALFORMED = [
    (b"", "The submitted file is empty."),
    (b" \r\n \r\n", "The file is empty."),
    (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "This is not a spreadsheet: upload a CSV file or an Excel workbook",
    ),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "This is not a spreadsheet: upload a CSV file or an Excel workbook"),
    (b"title\x00\x01\x02,impact\n", "This is not a spreadsheet: upload a CSV file or an Excel workbook"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
        "This is an Excel 97-2003 workbook (.xls) or a password-protected one",
    ),
    (b"PK\x03\x04 not really a zip", "This file is damaged or is not an Excel workbook (.xlsx)"),
    (_zip_of({"word/document.xml": b"<w/>"}), "This is not a spreadsheet"),
    (
        _zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        "This is an OpenDocument file (.ods)",
    ),
    (_zip_of({"xl/workbook.xml": b"<not a workbook"}), "This file is damaged or is not an Excel workbook"),
    (csv_bytes([["Title", "Impact"]]), "The sheet names its columns but has no rows of risks under them."),
    (
        csv_bytes([["Card data exposed", "High", "250000"], ["Outage", "Low", "1000"]]),
        "row 1: The first row should name the columns (Title, Owner e-mail, Impact, …), but column C holds "
        "250000: add a row of column names at the top.",
    ),
    (
        csv_bytes([["Title"], *([f"Risk {n}"] for n in range(MAX_ROWS + 1))]),
        f"The sheet has {MAX_ROWS + 1:,} rows of risks; an import takes at most {MAX_ROWS:,}.",
    ),
    (xlsx_bytes({"Empty": []}), "sheet “Empty”: The sheet is empty."),
    (b'Title,Impact\n"Unclosed,High\n', None),  # read as one long cell: a row the preview shows, not a crash
]


@pytest.mark.parametrize(("data", "message"), MALFORMED)
def test_a_malformed_file_is_refused_with_a_clear_message_and_nothing_kept(
    cast: Cast, lead: Importer, data: bytes, message: str | None
) -> None:
    response = lead.upload(data)
    if message is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert message in response.context["form"].errors["file"][0]
    assert titles(cast) == []


def test_a_file_over_the_size_limit_is_refused(cast: Cast, lead: Importer) -> None:
    response = lead.upload(b"Title\n" + b"x" * MAX_FILE_BYTES)
    assert response.status_code == 400
    assert "the limit is 10 MB" in response.context["form"].errors["file"][0]


def test_a_workbook_that_unpacks_too_large_is_refused_unread() -> None:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b" " * (60 * 1024 * 1024))
    with pytest.raises(InvalidModelFile, match=r"The workbook unpacks to 60 MB; the limit is 50 MB"):
        read_sheet(out.getvalue())


def test_a_sheet_named_but_missing_is_refused(cast: Cast) -> None:
    with pytest.raises(InvalidModelFile, match=r"The workbook has no sheet named “Other”\."):
        read_sheet(xlsx_bytes({"Register": [["Title"], ["Risk"]]}), "Other")


def test_an_upload_without_a_file_says_so(cast: Cast, lead: Importer) -> None:
    response = lead.client.post(url(cast, "register_import"), {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["This field is required."]


# Who may import --------------------------------------------------------------------------------------------------

STEPS = ["register_import_columns", "register_import_preview", "register_import_commit"]


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_a_member_who_cannot_edit_the_register_cannot_import(cast: Cast, lead: Importer, role: str) -> None:
    fields = lead.columns_of(csv_bytes([HEADERS, *GOOD_ROWS]))
    client = signed_in(getattr(cast, role))
    assert client.get(url(cast, "register_import")).status_code == 403
    assert client.get(url(cast, "register_import_template")).status_code == 403
    assert Importer(cast, client).upload(csv_bytes([HEADERS, *GOOD_ROWS])).status_code == 403
    for step in STEPS:
        assert client.post(url(cast, step), fields).status_code == 403
    sheet = read_sheet(csv_bytes([HEADERS, *GOOD_ROWS]))
    with pytest.raises(PermissionDenied):
        register_import(
            membership=cast.membership(getattr(cast, role)), sheet=sheet, mapping=guess_mapping(sheet.headers)
        )
    assert titles(cast) == []


def test_the_register_links_to_the_import_for_those_who_may_edit_it(
    cast: Cast, lead: Importer, viewer_client: Client
) -> None:
    link = f'href="{url(cast, "register_import")}"'
    assert link in lead.client.get(url(cast, "risk_list")).content.decode()
    assert link not in viewer_client.get(url(cast, "risk_list")).content.decode()


def test_an_outsider_reaches_no_step(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(url(cast, "register_import")).status_code == 404
    for step in STEPS:
        assert outsider_client.post(url(cast, step), {}).status_code == 404


def test_an_upload_is_found_only_by_the_member_who_sent_it(cast: Cast, lead: Importer) -> None:
    fields = lead.columns_of(csv_bytes([HEADERS, *GOOD_ROWS]))
    owner = signed_in(cast.owner)
    for step in STEPS:
        response = owner.post(url(cast, step), fields)
        assert response.status_code == 302
        assert response["Location"] == url(cast, "register_import")
    follow = owner.get(url(cast, "register_import")).content.decode()
    assert "This upload has expired or is not yours; upload the file again." in follow
    assert titles(cast) == []


def test_an_upload_is_gone_once_imported(cast: Cast, lead: Importer) -> None:
    fields = lead.columns_of(csv_bytes([HEADERS, *GOOD_ROWS]))
    assert lead.commit(fields).status_code == 302
    again = lead.commit(fields)
    assert again.status_code == 302
    assert again["Location"] == url(cast, "register_import")
    assert len(titles(cast)) == 3


@pytest.mark.parametrize("step", STEPS)
def test_the_steps_after_the_upload_only_take_posts(cast: Cast, lead: Importer, step: str) -> None:
    assert lead.client.get(url(cast, step)).status_code == 405
