"""The project threat-model report (reports.print_project): what it prints, read back from the PDF; that its
reads cost the same for 5 threats as for 60; and that its fingerprint follows the data."""

import datetime
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from projects import workspace_services as services
from projects.diagram import graphviz_available
from projects.models import (
    ComponentKind,
    Control,
    ControlStatus,
    Project,
    ThreatStatus,
)
from projects.workspace_services import ThreatLinks
from reports import pdf, print_project
from reports.models import PaperSize, Report, ReportKind
from risks import services as risk_services
from risks.models import BusinessRisk
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.queries import count_queries
from tests.risk_register import add_risk, link

SECTIONS = (
    "The system",
    "Data-flow diagram",
    "Trust zones",
    "Assets",
    "Components",
    "Data flows",
    "Threats",
    "Controls plan",
    "History",
    "Latest changes",
)


def report_of(project: Project, **fields: Any) -> Report:
    fields.setdefault("organisation", project.organisation)
    return Report.objects.create(kind=ReportKind.PROJECT, project=project, **fields)


def printed(report: Report) -> tuple[str, int, str]:
    """The report as the worker prints it: the PDF's text (whitespace made single spaces), its pages, the HTML."""
    printable = print_project.build(report, lambda percent, words: None)
    html = render_to_string(
        printable.template, {**printable.context, "report": report, "as_of": printable.as_of}
    )
    made = pdf.html_to_pdf(html, paper=report.paper)
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(made.pdf)).pages)
    return " ".join(text.split()), made.pages, html


@pytest.fixture
def checkout(cast: Cast) -> Project:
    """A small payments system modelled through the services, as its team would: two zones, an asset, three
    components, two flows, two threats (one controlled and leading to a business risk), two controls."""
    lead = cast.membership(cast.security_lead)
    project = services.project_create(
        membership=lead, team=cast.team, name="Checkout", description="Takes card payments for the shop."
    )
    internet = services.zone_create(membership=lead, project=project, name="Internet", trust_level=0)
    internal = services.zone_create(membership=lead, project=project, name="Payments VPC", trust_level=3)
    cards = services.asset_create(membership=lead, project=project, name="Card data")
    shopper = services.component_create(
        membership=lead, project=project, name="Shopper", kind=ComponentKind.ACTOR, zone=internet
    )
    api = services.component_create(
        membership=lead,
        project=project,
        name="Payment API",
        kind=ComponentKind.PROCESS,
        zone=internal,
        technology="Django",
        assets=[cards],
    )
    vault = services.component_create(
        membership=lead, project=project, name="Card vault", kind=ComponentKind.DATA_STORE, zone=internal
    )
    checkout_flow = services.flow_create(
        membership=lead,
        project=project,
        name="Pay",
        source=shopper,
        destination=api,
        protocol="HTTPS",
        is_encrypted=True,
    )
    services.flow_create(membership=lead, project=project, name="Store card", source=api, destination=vault)
    replay = services.threat_create(
        membership=lead,
        project=project,
        threat_source="external attacker",
        prerequisites="with a stolen session",
        threat_action="replay a captured payment request",
        threat_impact="duplicate charges",
        impacted_goals=["integrity"],
        stride=["S", "T"],
        likelihood="high",
        owner=cast.engineer,
        links=ThreatLinks(impacted_assets=[cards], target_flows=[checkout_flow]),
    )
    services.threat_create(
        membership=lead,
        project=project,
        threat_source="malicious insider",
        threat_action="read the card vault",
        stride=["I"],
        links=ThreatLinks(target_components=[vault]),
    )
    nonces = services.control_create(
        membership=lead,
        project=project,
        title="Single-use payment nonces",
        status=ControlStatus.IMPLEMENTED,
        owner=cast.engineer,
        cost_per_year=Decimal("12000"),
    )
    services.control_link(membership=lead, control=nonces, threat=replay, effectiveness=80)
    services.control_create(
        membership=lead,
        project=project,
        title="Vault access reviews",
        status=ControlStatus.PLANNED,
        due_on=datetime.date(2020, 1, 31),
    )
    link(cast, add_risk(cast, "Customers charged twice", impact="high"), replay)
    return project


def test_the_report_prints_the_system_every_threat_its_controls_and_risks_the_plan_and_the_history(
    cast: Cast, checkout: Project
) -> None:
    text, pages, _ = printed(report_of(checkout))
    replay = checkout.threats.get(number=1)
    assert "Project threat model: Checkout" in text
    assert "{%" not in text
    assert "{#" not in text
    assert "Acme Payments" in text
    for heading in SECTIONS:
        assert heading in text
    assert "Takes card payments for the shop." in text
    assert "Payments VPC" in text
    assert "Card vault" in text
    assert "Shopper → Payment API" in text
    assert replay.statement in text
    assert "Spoofing, Tampering · on Pay" in text
    assert f"Identified High {cast.engineer.display_name}" in text  # status, likelihood, owner
    assert "Single-use payment nonces (80 %, implemented)" in text
    # High likelihood by high impact is high on the default matrix; the nonces, in force at 80 %, bring the
    # likelihood down a level, so the scenario is left at moderate.
    assert "R-1 Customers charged twice (residual moderate)" in text
    assert "T-2" in text
    assert "malicious insider" in text
    assert pages >= 7  # cover, contents, the system (turned), its tables, threats, plan, history


def test_the_controls_plan_groups_controls_by_status_with_owner_due_date_cost_and_threats(
    checkout: Project,
) -> None:
    text, _, _ = printed(report_of(checkout))
    plan = text[text.index("Controls plan", text.index("Threats", text.index("Contents") + 200)) :]
    assert plan.index("Planned (1)") < plan.index("Implemented (1)")
    assert "Vault access reviews Preventive — 31 Jan 2020 overdue" in plan
    assert "Single-use payment nonces Preventive" in plan
    assert "€12,000" in plan
    assert "T-1" in plan


def test_the_history_counts_this_months_changes_and_lists_the_latest(checkout: Project) -> None:
    text, _, _ = printed(report_of(checkout))
    history = text[text.rindex("History") :]
    assert timezone.localdate().strftime("%B %Y") in history
    assert "Created control “Vault access reviews”" in history


def test_a_hostile_threat_statement_is_printed_as_text(cast: Cast, checkout: Project) -> None:
    services.threat_create(
        membership=cast.membership(cast.security_lead),
        project=checkout,
        threat_source="attacker",
        threat_action='plant <img src="http://127.0.0.1:9/x"> in a receipt',
    )
    text, _, html = printed(report_of(checkout))
    assert 'plant <img src="http://127.0.0.1:9/' in text  # the line may break after the slash
    assert "<img src" not in html
    assert "&lt;img src=&quot;http://127.0.0.1:9/x&quot;&gt;" in html


def test_without_graphviz_the_report_says_so_and_prints_the_rest(
    cast: Cast, checkout: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    services.component_create(
        membership=cast.membership(cast.security_lead),
        project=checkout,
        name="Never drawn before",
        kind=ComponentKind.PROCESS,
    )  # a diagram no cache has seen
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: the real `dot` is not found
    text, _, html = printed(report_of(checkout))
    assert "Graphviz is not installed on the server that made this report" in text
    assert "<svg" not in html
    assert "Card vault" in text
    assert "Single-use payment nonces" in text


@pytest.mark.skipif(not graphviz_available(), reason="Graphviz's `dot` is not on PATH")
def test_the_diagram_is_drawn_inline_and_the_systems_first_page_is_turned(checkout: Project) -> None:
    report = report_of(checkout, paper=PaperSize.LETTER)
    printable = print_project.build(report, lambda percent, words: None)
    html = render_to_string(
        printable.template, {**printable.context, "report": report, "as_of": printable.as_of}
    )
    made = pdf.html_to_pdf(html, paper=report.paper)
    pages = pypdf.PdfReader(io.BytesIO(made.pdf)).pages
    sizes = [(round(float(page.mediabox.width)), round(float(page.mediabox.height))) for page in pages]
    turned = [number for number, page in enumerate(pages) if "Data-flow diagram" in page.extract_text()]
    assert "<svg" in html
    assert 'class="node component component&#45;data&#45;store"' in html
    assert sizes[turned[-1]] == (792, 612)  # Letter, landscape
    assert sizes[0] == sizes[-1] == (612, 792)


def test_building_says_how_far_it_got(checkout: Project) -> None:
    said: list[tuple[int, str]] = []
    print_project.build(report_of(checkout), lambda percent, words: said.append((percent, words)))
    percents = [percent for percent, _ in said]
    assert len(said) >= 4
    assert percents == sorted(percents)
    assert percents[0] >= 10
    assert percents[-1] <= 55


def test_another_organisations_report_cannot_read_the_project(cast: Cast, checkout: Project) -> None:
    report = report_of(checkout, organisation=cast.outsider_organisation)
    with pytest.raises(Project.DoesNotExist):
        print_project.build(report, lambda percent, words: None)
    with pytest.raises(Project.DoesNotExist):
        print_project.fingerprint(report)


def _project_with(cast: Cast, threats: int) -> Project:
    """A project of `threats` threats, each with a control and a scenario, and the same last changes whatever
    their number (a renamed control), so the history's latest changes read the same kinds of rows."""
    project = ProjectFactory.create(organisation=cast.organisation, team=cast.team)
    risk = add_risk(cast, f"Risk of {project.name}")
    for _ in range(threats):
        made = ThreatControlFactory.create(
            threat=ThreatFactory.create(project=project, likelihood="moderate", owner=cast.engineer)
        )
        link(cast, risk, made.threat)
    control = Control.objects.filter(project=project).first()
    assert control is not None
    lead = cast.membership(cast.security_lead)
    for version in range(1, print_project.LATEST_CHANGES + 1):
        services.control_update(
            membership=lead, control=control, version=version, title=f"Control v{version}"
        )
    return project


def test_building_the_report_takes_the_same_queries_for_5_threats_as_for_60(cast: Cast) -> None:
    few, many = report_of(_project_with(cast, 5)), report_of(_project_with(cast, 60))

    def build(report: Report) -> int:
        return count_queries(lambda: print_project.build(report, lambda percent, words: None))

    assert build(few) == build(many)


def test_the_fingerprint_is_the_same_on_unchanged_data(checkout: Project) -> None:
    report = report_of(checkout)
    assert print_project.fingerprint(report) == print_project.fingerprint(report)
    assert print_project.fingerprint(report) == print_project.fingerprint(report_of(checkout))


def test_the_fingerprint_changes_when_a_threat_is_edited(cast: Cast, checkout: Project) -> None:
    report = report_of(checkout)
    before = print_project.fingerprint(report)
    threat = checkout.threats.get(number=2)
    services.threat_update(
        membership=cast.membership(cast.security_lead),
        threat=threat,
        version=threat.version,
        status=ThreatStatus.CONFIRMED,
    )
    assert print_project.fingerprint(report) != before


def test_the_fingerprint_changes_when_a_control_is_deleted(cast: Cast, checkout: Project) -> None:
    report = report_of(checkout)
    before = print_project.fingerprint(report)
    control = checkout.controls.get(title="Vault access reviews")
    services.control_delete(
        membership=cast.membership(cast.security_lead), control=control, version=control.version
    )
    assert print_project.fingerprint(report) != before


def test_the_fingerprint_changes_when_a_business_risk_it_prints_changes(
    cast: Cast, checkout: Project
) -> None:
    report = report_of(checkout)
    before = print_project.fingerprint(report)
    risk = BusinessRisk.objects.get(title="Customers charged twice")
    risk_services.risk_update(
        membership=cast.membership(cast.security_lead),
        risk=risk,
        version=risk.version,
        title="Double charges",
    )
    assert print_project.fingerprint(report) != before


def test_the_fingerprint_depends_on_the_paper(checkout: Project) -> None:
    a4, letter = report_of(checkout), report_of(checkout, paper=PaperSize.LETTER)
    assert print_project.fingerprint(a4) != print_project.fingerprint(letter)


def test_the_fingerprint_is_two_queries_whatever_the_number_of_threats(cast: Cast) -> None:
    few, many = report_of(_project_with(cast, 2)), report_of(_project_with(cast, 30))
    assert count_queries(lambda: print_project.fingerprint(few)) == count_queries(
        lambda: print_project.fingerprint(many)
    )
    # The project, every aggregate at once, then the members' and the teams' names.
    assert count_queries(lambda: print_project.fingerprint(few)) == 4


@pytest.mark.parametrize("renamed", ["member", "team"])
def test_the_fingerprint_changes_when_a_name_it_prints_changes(
    cast: Cast, checkout: Project, renamed: str
) -> None:
    """Users and teams carry no time of change, so their names are read whole."""
    report = report_of(checkout)
    before = print_project.fingerprint(report)
    if renamed == "member":
        cast.security_lead.name = "Renamed Lead"
        cast.security_lead.save(update_fields=["name"])
    else:
        checkout.team.name = "Renamed team"
        checkout.team.save(update_fields=["name"])
    assert print_project.fingerprint(report) != before


def test_a_bare_project_says_what_it_lacks_rather_than_printing_empty_tables(cast: Cast) -> None:
    project = ProjectFactory.create(organisation=cast.organisation, team=cast.team, name="Bare")
    ThreatFactory.create(project=project, threat_action="guess the admin password")
    text, _, _ = printed(report_of(project))
    assert "guess the admin password" in text
    assert "Identified not estimated None None" in text  # no likelihood, no control, no business risk
    assert "No controls are planned yet." in text
    assert "The project has no components yet" in text
