"""The lists as spreadsheets: `?format=csv|xlsx` on the estate's threat and control lists and on the register
answers every row the page's filters select, in the page's order, read back here with the csv module and
openpyxl; cells a spreadsheet would run as formulas are made harmless, and another organisation's rows are
never in them."""

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import ControlStatus, LikelihoodLevel, Project, ThreatStatus, User
from risks.models import Category
from tests.conftest import Cast
from tests.factories import (
    ControlFactory,
    ProjectFactory,
    TeamFactory,
    ThreatControlFactory,
    ThreatFactory,
    UserFactory,
)
from tests.queries import count_queries
from tests.risk_register import add_risk, link, store_result

HIDDEN = "Globex-Hidden"  # in every name of the outsider organisation's rows
LISTS = ["estate_threat_list", "estate_control_list", "risk_list"]
FORMATS = ["csv", "xlsx"]


def url(cast: Cast, name: str) -> str:
    return reverse(name, args=[cast.organisation.slug])


def table_of(response: Any) -> list[list[Any]]:
    """The downloaded rows, header first: CSV cells as text, XLSX cells as openpyxl reads them."""
    assert response.status_code == 200
    if response["Content-Type"].startswith("text/csv"):
        assert response.content.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read UTF-8"
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def column(table: list[list[Any]], header: str) -> list[Any]:
    index = table[0].index(header)
    return [row[index] for row in table[1:]]


def download(client: Client, cast: Cast, name: str, fmt: str, **query: Any) -> list[list[Any]]:
    return table_of(client.get(url(cast, name), {**query, "format": fmt}))


class Estate:
    """Two projects of two teams, threats and controls in several states, risks linked to threats; and the same
    in the outsider's organisation, whose names carry HIDDEN."""

    def __init__(self, cast: Cast) -> None:
        self.checkout = ProjectFactory.create(team=cast.team, name="Checkout")
        self.build = ProjectFactory.create(team=cast.other_team, name="Build farm")
        self.replay = ThreatFactory.create(
            project=self.checkout,
            threat_source="fraudster",
            threat_action="replay a payment",
            stride=["S", "T"],
            status=ThreatStatus.CONFIRMED,
            likelihood=LikelihoodLevel.HIGH,
            owner=cast.engineer,
        )
        self.leak = ThreatFactory.create(project=self.checkout, threat_action="read card numbers from logs")
        self.poison = ThreatFactory.create(
            project=self.build, threat_action="poison a build", status=ThreatStatus.CONFIRMED
        )
        self.tokens = ControlFactory.create(
            project=self.checkout,
            title="One-time payment tokens",
            status=ControlStatus.PLANNED,
            owner=cast.engineer,
            due_on=timezone.localdate() - datetime.timedelta(days=3),
            cost_per_year=Decimal("12000.50"),
        )
        ThreatControlFactory.create(threat=self.replay, control=self.tokens)
        ThreatControlFactory.create(
            threat=self.leak, control=ControlFactory.create(project=self.checkout, title="Log scrubbing")
        )
        self.signing = ControlFactory.create(
            project=self.build, title="Signed builds", status=ControlStatus.IMPLEMENTED
        )
        self.card = add_risk(
            cast,
            "Card data exposed",
            categories=[Category.FINANCIAL],
            owner=cast.owner,
            loss_low=Decimal(250_000),
            loss_high=Decimal(4_000_000),
        )
        self.outage = add_risk(cast, "Checkout outage", categories=[Category.OPERATIONAL], impact="moderate")
        link(cast, self.card, self.replay)
        link(cast, self.card, self.leak)
        store_result(self.card, "high")
        team = TeamFactory.create(organisation=cast.outsider_organisation, name=f"{HIDDEN} team")
        hidden = ProjectFactory.create(team=team, name=f"{HIDDEN} project")
        ThreatFactory.create(project=hidden, threat_action=f"steal {HIDDEN}", status=ThreatStatus.CONFIRMED)
        ControlFactory.create(project=hidden, title=f"{HIDDEN} control", status=ControlStatus.PLANNED)


@pytest.fixture
def estate(cast: Cast) -> Estate:
    return Estate(cast)


# What each list writes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_threat_list_writes_the_threats_its_filters_select(
    cast: Cast, viewer_client: Client, estate: Estate, fmt: str
) -> None:
    table = download(viewer_client, cast, "estate_threat_list", fmt, status="confirmed", order="-project")
    assert table[0] == [
        "Project",
        "Team",
        "Reference",
        "Threat statement",
        "STRIDE",
        "Status",
        "Likelihood",
        "Owner",
        "Owner e-mail",
        "Controls",
        "Business risks",
        "Updated",
    ]
    assert column(table, "Project") == ["Checkout", "Build farm"], "the list's order, without the others"
    replay = table[1]
    assert replay[:3] == ["Checkout", "Payments", estate.replay.reference]
    assert replay[3] == "A fraudster can replay a payment."
    assert replay[4:9] == ["ST", "Confirmed", "High", cast.engineer.display_name, "engineer@acme.test"]
    assert str(replay[9]) == "1"
    assert replay[10] == "R-1: Card data exposed"
    assert column(table, "Owner")[1] in ("", None)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_control_list_writes_the_controls_its_filters_select(
    cast: Cast, viewer_client: Client, estate: Estate, fmt: str
) -> None:
    table = download(viewer_client, cast, "estate_control_list", fmt, team="payments", due="overdue")
    assert column(table, "Control") == ["One-time payment tokens"]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Status"] == "Planned"
    assert row["Owner e-mail"] == "engineer@acme.test"
    assert row["Overdue"] == "yes"
    assert row["Threats"] == estate.replay.reference
    due = estate.tokens.due_on
    assert due is not None
    if fmt == "csv":
        assert (row["Due"], row["Cost per year"]) == (due.isoformat(), "12000.50")
    else:
        assert (row["Due"].date(), row["Cost per year"]) == (due, 12000.5)
    everything = download(viewer_client, cast, "estate_control_list", fmt)
    assert sorted(column(everything, "Control")) == [
        "Log scrubbing",
        "One-time payment tokens",
        "Signed builds",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_register_writes_the_risks_its_filters_select_with_their_figures(
    cast: Cast, viewer_client: Client, estate: Estate, fmt: str
) -> None:
    table = download(viewer_client, cast, "risk_list", fmt, category="financial")
    assert column(table, "Title") == ["Card data exposed"]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["ID"] == "R-1"
    assert row["Owner e-mail"] == "owner@acme.test"
    assert row["Categories"] == "Financial"
    assert row["Residual level"] == "High"
    assert row["Inherent level"] == "Very high"
    assert row["Against appetite"] == "Above appetite"
    assert str(row["Threats"]) == "2"
    assert float(row["Loss low"]) == 250_000
    assert float(row["Expected annual loss (residual)"]) == 100_000
    both = download(viewer_client, cast, "risk_list", fmt, order="-title")
    assert column(both, "Title") == ["Checkout outage", "Card data exposed"]
    assert column(both, "Residual level")[0] in ("", None), "a risk never computed has no figures"


def test_the_xlsx_header_is_bold_and_frozen_and_its_columns_sized(
    cast: Cast, viewer_client: Client, estate: Estate
) -> None:
    response = viewer_client.get(url(cast, "estate_threat_list"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Threats"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.column_dimensions["D"].width == 60


@pytest.mark.parametrize(("name", "fmt"), [(name, fmt) for name in LISTS for fmt in FORMATS])
def test_a_download_is_an_attachment_named_by_the_organisation_and_the_day(
    cast: Cast, viewer_client: Client, estate: Estate, name: str, fmt: str
) -> None:
    response = viewer_client.get(url(cast, name), {"format": fmt})
    noun = {"estate_threat_list": "threats", "estate_control_list": "controls", "risk_list": "business-risks"}
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="acme-{noun[name]}-{today}.{fmt}"'
    assert response["Content-Type"].startswith("text/csv" if fmt == "csv" else "application/vnd.openxml")
    assert response["Cache-Control"] == "private, no-store"


# Formula injection ----------------------------------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("https://evil.test","x")', "+1+1", "-2+3", "@SUM(1+1)", "\t=1", "\r=1"]


@pytest.fixture
def dangerous(cast: Cast) -> list[str]:
    project = ProjectFactory.create(team=cast.team, name=DANGEROUS[0])
    for title in DANGEROUS:
        ControlFactory.create(project=project, title=title)
    return DANGEROUS


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_marked_as_text(
    cast: Cast, viewer_client: Client, dangerous: list[str]
) -> None:
    table = download(viewer_client, cast, "estate_control_list", "csv", order="title")
    assert sorted(column(table, "Control")) == sorted(f"'{title}" for title in dangerous)
    assert set(column(table, "Project")) == {f"'{dangerous[0]}"}


def test_xlsx_cells_are_strings_never_formulas(
    cast: Cast, viewer_client: Client, dangerous: list[str]
) -> None:
    response = viewer_client.get(url(cast, "estate_control_list"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active  # formulas would read as formulas
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return as a line feed: still text, never a formula.
    assert sorted(cell.value for cell in cells) == sorted(title.replace("\r", "\n") for title in dangerous)
    assert {cell.data_type for cell in cells} == {"s"}


def test_numbers_are_written_as_numbers_not_marked(cast: Cast, viewer_client: Client) -> None:
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    ControlFactory.create(project=project, title="Refunds", cost_per_year=Decimal("-0.00"))
    table = download(viewer_client, cast, "estate_control_list", "csv")
    assert column(table, "Cost per year") == ["0.00"]


# Tenancy and access ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [(name, fmt) for name in LISTS for fmt in FORMATS])
def test_another_organisation_s_rows_are_never_written(
    cast: Cast, owner_client: Client, estate: Estate, name: str, fmt: str
) -> None:
    response = owner_client.get(url(cast, name), {"format": fmt})
    text = "\n".join(str(cell) for row in table_of(response) for cell in row)
    assert text
    assert HIDDEN not in text
    hidden_project = Project.objects.get(name=f"{HIDDEN} project")
    filtered = owner_client.get(url(cast, name), {"format": fmt, "project": str(hidden_project.pk)})
    assert len(table_of(filtered)) == 1, "another organisation's project selects nothing: the header alone"


@pytest.mark.parametrize("name", LISTS)
def test_an_outsider_downloads_nothing(
    cast: Cast, outsider_client: Client, estate: Estate, name: str
) -> None:
    assert outsider_client.get(url(cast, name), {"format": "csv"}).status_code == 404


@pytest.mark.parametrize("name", LISTS)
def test_an_unknown_format_shows_the_page(
    cast: Cast, viewer_client: Client, estate: Estate, name: str
) -> None:
    response = viewer_client.get(url(cast, name), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# The links on the pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "prefix", "query"),
    [
        ("estate_threat_list", "estate-threat", {"status": "confirmed", "order": "-project", "page": "1"}),
        ("estate_control_list", "estate-control", {"team": "payments", "page": "1"}),
        ("risk_list", "risk", {"category": "financial", "page": "1"}),
    ],
)
def test_the_download_links_carry_the_filters_shown(
    cast: Cast, viewer_client: Client, estate: Estate, name: str, prefix: str, query: dict[str, str]
) -> None:
    for headers in ({}, {"HX-Request": "true", "HX-Target": f"{prefix}-results"}):
        response = viewer_client.get(url(cast, name), query, headers=headers)
        page = response.content.decode()
        kept = "&amp;".join(f"{key}={value}" for key, value in query.items() if key != "page")
        for fmt in FORMATS:
            assert f'id="{prefix}-{fmt}"' in page
            assert f'href="{url(cast, name)}?{kept}&amp;format={fmt}"' in page


# Query budgets --------------------------------------------------------------------------------------------------


def _fill(cast: Cast, owners: list[User], rows: int) -> None:
    """`rows` threats, controls and risks, each with an owner, links and a stored result."""
    project = ProjectFactory.create(team=cast.team, name=f"Project {Project.objects.count()}")
    for n in range(rows):
        threat = ThreatFactory.create(project=project, owner=owners[n % len(owners)], stride=["S"])
        control = ControlFactory.create(project=project, owner=owners[n % len(owners)])
        ThreatControlFactory.create(threat=threat, control=control)
        risk = add_risk(cast, f"Risk {threat.pk}", owner=owners[n % len(owners)])
        link(cast, risk, threat)
        store_result(risk)


def _queries(client: Client, address: str, fmt: str) -> int:
    return count_queries(lambda: client.get(address, {"format": fmt}))


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_queries_of_a_download_do_not_grow_with_its_rows(
    cast: Cast, viewer_client: Client, fmt: str
) -> None:
    owners = [UserFactory.create() for _ in range(3)]
    for owner in owners:
        cast.organisation.memberships.create(user=owner, role="engineer")
    _fill(cast, owners, 1)
    for name in LISTS:
        viewer_client.get(url(cast, name))  # the first visit remembers the organisation in the session
    few = {name: _queries(viewer_client, url(cast, name), fmt) for name in LISTS}
    _fill(cast, owners, 49)
    for name in LISTS:
        response = viewer_client.get(url(cast, name), {"format": fmt})
        assert len(table_of(response)) == 51
        assert _queries(viewer_client, url(cast, name), fmt) == few[name], name
