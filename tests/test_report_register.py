"""The risk register report (reports.print_register): every business risk with its stored figures, owner,
treatment, acceptance and scenarios, read back from the PDF; the same figures as the register and the dashboard;
a fixed number of queries; a fingerprint that moves only when what it prints moves."""

import datetime
import re

import pytest

from projects.models import Threat
from reports import documents, print_register
from reports.dashboard import DashboardFilters, dashboard
from reports.models import PaperSize, Report, ReportKind
from risks import services
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance, RiskResult, Scenario
from risks.money import format_money
from risks.results import recompute
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatFactory
from tests.queries import count_queries
from tests.test_dashboard import build_estate, settings_with_tolerance
from tests.test_report_pdf import assert_progress_rises_within_its_share, ignore_progress, read_pdf


def register_report(cast: Cast) -> Report:
    return Report(
        organisation=cast.organisation,
        kind=ReportKind.REGISTER,
        paper=PaperSize.A4,
        requested_by=cast.security_lead,
    )


@pytest.fixture
def estate(cast: Cast, today: datetime.date) -> list[BusinessRisk]:
    settings_with_tolerance(cast)
    return build_estate(cast, 4, today)


def test_it_prints_every_risk_with_its_stored_figures_owner_treatment_and_threats(
    cast: Cast, estate: list[BusinessRisk]
) -> None:
    document = documents.render(register_report(cast), ignore_progress)

    text = read_pdf(document.pdf).text
    for heading in ("Contents", "The register at a glance", "Each business risk", "How to read the figures"):
        assert heading in text
    assert "Acme Payments" in text
    assert cast.viewer.display_name in text  # every risk's owner
    assert "Transfer: Cyber insurance." in text
    for result in RiskResult.objects.filter(risk__organisation=cast.organisation).select_related("risk"):
        assert f"{result.risk.reference} {result.risk.title}" in text
        for stage in ("inherent", "residual", "projected"):
            assert format_money(result.figures[stage]["ale_mean"], "EUR") in text
    for scenario in Scenario.objects.filter(risk__organisation=cast.organisation).select_related("threat"):
        assert scenario.threat.project.name in text
        assert f"{scenario.threat.reference} {scenario.threat.statement}" in text


def test_its_totals_and_positions_are_the_dashboards(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(), today)

    printable = print_register.build(register_report(cast), ignore_progress)

    totals = printable.context["totals"]
    assert (totals.risks, totals.above, totals.accepted) == (
        board.headline.risks,
        board.headline.above_count,
        board.headline.accepted_count,
    )
    assert totals.residual_ale == pytest.approx(board.headline.residual_ale)
    assert totals.inherent_ale == pytest.approx(board.headline.inherent_ale)
    text = read_pdf(documents.render(register_report(cast), ignore_progress).pdf).text
    assert f"Total {format_money(board.headline.residual_ale, 'EUR')}" in text
    assert "Ran out on" in text  # the acceptance that ran out is said, not hidden
    assert "Accepted until" in text


def test_the_summary_gives_the_page_each_risk_is_on(cast: Cast, estate: list[BusinessRisk]) -> None:
    read = read_pdf(documents.render(register_report(cast), ignore_progress).pdf)

    summary = next(page for page in read.pages if "The register at a glance BUSINESS RISKS" in page)
    for risk in estate:
        name = re.escape(f"{risk.reference} {risk.title}")
        heading = re.compile(rf"{name} (Accepted|Above appetite|Within appetite|Not scored yet) OWNER")
        on_page = [number for number, page in enumerate(read.pages, start=1) if heading.search(page)]
        row = re.search(rf"{name} .*? (\d+) (R-\d+ |Total )", summary)
        assert row is not None
        assert on_page == [int(row.group(1))]


def test_an_empty_register_says_so(cast: Cast) -> None:
    document = documents.render(register_report(cast), ignore_progress)

    text = read_pdf(document.pdf).text
    assert "The register has no business risks yet." in text
    assert document.pages >= 2


def test_it_costs_the_same_queries_for_few_risks_and_many(cast: Cast, today: datetime.date) -> None:
    build_estate(cast, 1, today)
    few = count_queries(lambda: print_register.build(register_report(cast), ignore_progress))

    lead = cast.membership(cast.security_lead)
    project = ProjectFactory.create(organisation=cast.organisation, team=cast.team)
    for n in range(12):
        risk = services.risk_create(membership=lead, title=f"More {n}", impact="high", owner=cast.owner)
        for _ in range(3):
            threat = ThreatFactory.create(project=project, likelihood="moderate")
            services.scenario_create(membership=lead, risk=risk, threat=threat)
    many = count_queries(lambda: print_register.build(register_report(cast), ignore_progress))

    assert many == few


def test_progress_rises_within_its_share_of_the_job(cast: Cast, estate: list[BusinessRisk]) -> None:
    assert_progress_rises_within_its_share(print_register.build, register_report(cast))


def test_the_fingerprint_is_the_same_on_unchanged_data_and_moves_with_what_is_printed(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    report = register_report(cast)
    first = print_register.fingerprint(report)
    assert print_register.fingerprint(register_report(cast)) == first

    fingerprints = {first}
    risk = BusinessRisk.objects.get(pk=estate[0].pk)
    lead = cast.membership(cast.security_lead)
    changes = [
        lambda: services.risk_update(membership=lead, risk=risk, version=risk.version, title="Renamed"),
        lambda: RiskAcceptance.objects.create(
            risk=estate[4], rationale="Fine.", expires_on=today, status=AcceptanceStatus.APPROVED
        ),
        lambda: Threat.objects.filter(scenarios__risk=estate[1]).first().delete(),  # type: ignore[union-attr]
        lambda: Scenario.objects.filter(risk=estate[2]).first().delete(),  # type: ignore[union-attr]
    ]
    for change in changes:
        change()
        now = print_register.fingerprint(report)
        assert now not in fingerprints
        fingerprints.add(now)
    letter = Report(organisation=cast.organisation, kind=ReportKind.REGISTER, paper=PaperSize.LETTER)
    assert print_register.fingerprint(letter) not in fingerprints


def test_a_risk_with_many_threats_prints_those_with_the_largest_shares_and_says_how_many_more(
    cast: Cast, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    lead = cast.membership(cast.security_lead)
    project = ProjectFactory.create(organisation=cast.organisation, team=cast.team, name="Busy system")
    risk = services.risk_create(membership=lead, title="Widely caused", impact="high")
    likelihoods = ["very_high"] * 3 + ["low"] * (print_register.SCENARIOS_SHOWN + 2)
    threats = [ThreatFactory.create(project=project, likelihood=level) for level in likelihoods]
    for threat in threats:
        services.scenario_create(membership=lead, risk=risk, threat=threat)
    recompute(cast.organisation.pk)

    printable = print_register.build(register_report(cast), ignore_progress)
    (entry,) = printable.context["entries"]
    text = read_pdf(documents.render(register_report(cast), ignore_progress).pdf).text

    shares = sorted(
        Scenario.objects.filter(risk=risk).values_list("result__residual_ale", flat=True), reverse=True
    )
    assert entry.scenario_count == len(threats)
    assert [line.residual_ale for line in entry.scenarios] == shares[: print_register.SCENARIOS_SHOWN]
    assert {line.reference for line in entry.scenarios[:3]} == {t.reference for t in threats[:3]}
    assert "And 5 more threats with smaller shares" in text
