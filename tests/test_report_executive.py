"""The executive summary (reports.print_executive), read back from the PDF: two to four pages with the headings a
board reads, the organisation's name, the dashboard's figures formatted as the summary formats them, the change
since the last report or about a month ago, the tolerance in words, the planner's investments added up, the
accepted risks; a fixed number of queries; a fingerprint that moves only when what it prints moves."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.models import Control, ControlStatus
from reports import documents, print_executive
from reports.dashboard import DashboardFilters, dashboard
from reports.models import PaperSize, Report, ReportKind, ReportStatus
from risks import inputs, selectors, services
from risks.models import BusinessRisk, RiskAcceptance, RiskSnapshot
from risks.money import format_chance, format_money
from risks.pages import recommendation
from risks.results import recompute
from risks.snapshots import take_snapshot
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.queries import count_queries
from tests.test_dashboard import build_estate, settings_with_tolerance
from tests.test_report_pdf import assert_progress_rises_within_its_share, ignore_progress, read_pdf

HEADINGS = (
    "Contents",
    "In brief",
    "Decisions asked for",
    "Risk against appetite",
    "A bad year, and where risk sits",
    "Where to invest, and where to stop",
    "Accepted risks",
    "Method and assumptions",
)


def summary_report(cast: Cast, paper: str = PaperSize.A4) -> Report:
    return Report(
        organisation=cast.organisation,
        kind=ReportKind.EXECUTIVE_SUMMARY,
        paper=paper,
        requested_by=cast.owner,
    )


def money(amount: float) -> str:
    return format_money(amount, "EUR")


def propose_priced_controls(cast: Cast) -> list[Control]:
    """A proposed control with a cost on every threat that leads to a risk, some cheap, some dear."""
    controls = []
    for n, threat in enumerate(
        threat
        for risk in BusinessRisk.objects.filter(organisation=cast.organisation)
        for threat in risk.threats.all()
    ):
        control = ControlFactory.create(
            project=threat.project,
            title=f"Proposed fix {n}",
            status=ControlStatus.PROPOSED,
            cost_per_year=Decimal([500, 20_000, 2_000_000][n % 3]),
        )
        ThreatControlFactory.create(threat=threat, control=control, effectiveness=70)
        controls.append(control)
    recompute(cast.organisation.pk)
    return controls


@pytest.fixture
def estate(cast: Cast, today: datetime.date) -> list[BusinessRisk]:
    settings_with_tolerance(cast)
    risks = build_estate(cast, 2, today)
    propose_priced_controls(cast)
    return risks


def test_it_reads_as_a_board_report_of_two_to_four_pages(cast: Cast, estate: list[BusinessRisk]) -> None:
    document = documents.render(summary_report(cast), ignore_progress)

    read = read_pdf(document.pdf)
    assert 2 <= document.pages <= 4
    assert len(read.pages) == document.pages
    for heading in HEADINGS:
        assert heading in read.text
    assert "ACME PAYMENTS Executive summary" in read.pages[0]  # the cover
    assert all("Acme Payments" in page for page in read.pages[1:])  # the running header
    assert f"Page {document.pages} of {document.pages}" in read.pages[-1]
    assert cast.owner.display_name in read.pages[0]  # who asked for it


def test_its_figures_are_the_dashboards_as_the_summary_writes_them(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(), today)
    assert board.portfolio is not None

    text = read_pdf(documents.render(summary_report(cast), ignore_progress).pdf).text

    headline = board.headline
    assert (
        f"can expect to lose {money(headline.residual_ale)} a year to the {headline.risks} business risks"
        in text
    )
    assert f"without them it would be {money(headline.inherent_ale)}" in text
    assert f"{headline.above_count} risks are above appetite, carrying {money(headline.above_ale)}" in text
    p90 = board.portfolio.residual.percentiles["p90"]
    assert f"There is a 10 % chance of losing more than {money(p90)} this year" in text
    tolerance = board.portfolio.residual.p_exceeding_tolerance
    assert f"the estimated chance is {format_chance(tolerance)}" in text
    for risk in board.top_risks[: print_executive.TOP]:
        assert f"{risk.reference} {risk.title}" in text
        assert money(risk.residual_ale) in text  # type: ignore[attr-defined]
        assert risk.review_on is not None
        assert risk.review_on.strftime("%-d %b %Y") in text
    assert "Inherent: before controls" in text
    assert "Residual: with the controls in force" in text


def test_the_recommended_investments_add_up_each_risks_plan(cast: Cast, estate: list[BusinessRisk]) -> None:
    every = inputs.risk_inputs(cast.organisation)
    stored = selectors.stored_figures(cast.organisation, [each.risk_id for each in every])
    chosen: dict[int, tuple[float, float]] = {}  # control -> (cost, loss removed)
    for each in every:
        plan = recommendation(each, stored[each.risk_id])
        for ranked in plan.to_do:
            cost, removed = chosen.get(ranked.control.control_id, (ranked.planned.cost, 0.0))
            chosen[ranked.control.control_id] = (cost, removed + ranked.planned.delta_ale)
    assert chosen, "the estate should have controls worth doing"

    printable = print_executive.build(summary_report(cast), ignore_progress)
    text = read_pdf(documents.render(summary_report(cast), ignore_progress).pdf).text

    investments = printable.context["investments"]
    assert investments.count == len(chosen)
    assert investments.cost == pytest.approx(sum(cost for cost, _ in chosen.values()))
    assert investments.removes == pytest.approx(sum(removed for _, removed in chosen.values()))
    assert f"Approve {money(investments.cost)} a year for the {investments.count} recommended control" in text
    assert f"removing about {money(investments.removes)} of expected loss a year" in text
    for each in investments.chosen:
        assert each.title in text


def test_the_change_is_told_against_the_snapshot_of_about_a_month_ago_when_no_report_came_before(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    month_ago = today - datetime.timedelta(days=31)
    take_snapshot(cast.organisation, month_ago)
    then = RiskSnapshot.objects.get(taken_on=month_ago).figures["portfolio"]["residual"]["ale_mean"]
    lead = cast.membership(cast.security_lead)
    risk = services.risk_create(membership=lead, title="New exposure", impact="very_high")
    services.scenario_create(
        membership=lead,
        risk=risk,
        threat=ThreatFactory.create(
            project=ProjectFactory.create(organisation=cast.organisation, team=cast.team), likelihood="high"
        ),
    )
    recompute(cast.organisation.pk)
    now = dashboard(cast.organisation, DashboardFilters(), today).headline.residual_ale

    text = read_pdf(documents.render(summary_report(cast), ignore_progress).pdf).text

    assert now > then
    assert (
        f"Since {month_ago.strftime('%-d %B %Y')} (no earlier executive summary: the figures of about 30 days "
        f"ago), the expected annual loss has risen by {money(now - then)}"
    ) in text
    assert f"from {money(then)}" in text


def test_the_change_is_told_since_the_last_executive_summary(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    made_on = today - datetime.timedelta(days=12)
    take_snapshot(cast.organisation, today - datetime.timedelta(days=40))
    take_snapshot(cast.organisation, made_on)
    Report.objects.create(
        organisation=cast.organisation,
        kind=ReportKind.EXECUTIVE_SUMMARY,
        status=ReportStatus.DONE,
        as_of=timezone.make_aware(datetime.datetime.combine(made_on, datetime.time(9))),
    )

    text = read_pdf(documents.render(summary_report(cast), ignore_progress).pdf).text

    assert (
        f"Since {made_on.strftime('%-d %B %Y')} (the figures of the day of the last executive summary), "
        "the expected annual loss has stayed the same"
    ) in text


def test_without_earlier_figures_it_says_the_change_comes_next_time(
    cast: Cast, estate: list[BusinessRisk]
) -> None:
    text = read_pdf(documents.render(summary_report(cast), ignore_progress).pdf).text

    assert "There are no earlier figures to compare with yet" in text


def test_it_lists_the_accepted_risks_with_their_expiry(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    text = read_pdf(documents.render(summary_report(cast), ignore_progress).pdf).text

    for risk, days, soon in ((estate[0], 10, " (soon)"), (estate[1], 200, "")):
        runs_out = (today + datetime.timedelta(days=days)).strftime("%-d %b %Y")
        assert f"{risk.reference} {risk.title}" in text
        assert f"{runs_out}{soon}" in text
    assert "Renew or end the 1 acceptance that runs out within 30 days." in text
    assert "1 acceptance has run out" in text


def test_long_names_and_many_risks_still_fit_four_pages_of_letter(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    lead = cast.membership(cast.security_lead)
    cast.viewer.name = "Maximilian Alexander von Hohenzollern-Sigmaringen"
    cast.viewer.save(update_fields=["name"])
    project = ProjectFactory.create(
        organisation=cast.organisation, team=cast.team, name="A long project name " * 9
    )
    for n in range(12):
        risk = services.risk_create(
            membership=lead,
            title=f"{n} " + "Customer card data exposed, leading to PCI fines, churn and lawsuits " * 2,
            impact="very_high",
            owner=cast.viewer,
            review_on=today,
        )
        services.scenario_create(
            membership=lead, risk=risk, threat=ThreatFactory.create(project=project, likelihood="high")
        )
        RiskAcceptance.objects.create(
            risk=risk, rationale="Agreed.", expires_on=today + datetime.timedelta(days=n), status="approved"
        )
    propose_priced_controls(cast)
    for days in range(0, 40, 5):
        take_snapshot(cast.organisation, today - datetime.timedelta(days=days))

    document = documents.render(summary_report(cast, PaperSize.LETTER), ignore_progress)

    assert document.pages <= 4
    text = read_pdf(document.pdf).text
    assert "Method and assumptions" in text
    assert "more, in the register." in text


def test_an_organisation_without_risks_gets_a_short_honest_summary(cast: Cast) -> None:
    document = documents.render(summary_report(cast), ignore_progress)

    text = read_pdf(document.pdf).text
    assert "The register has no business risks yet: there is nothing to report." in text
    assert "State the loss the organisation can tolerate in a bad year" in text
    assert 1 <= document.pages <= 4


def test_the_loss_exceedance_chart_draws_with_attributes_that_need_no_style_sheet(
    cast: Cast, estate: list[BusinessRisk]
) -> None:
    """WeasyPrint styles no inline SVG from the page's CSS: every stroke and fill is on the element itself."""
    printable = print_executive.build(summary_report(cast), ignore_progress)

    svg = ET.fromstring(str(printable.context["charts"]["lec"].svg))
    curves = [e for e in svg.iter() if e.tag.endswith("polyline")]
    assert "<style" not in str(printable.context["charts"]["lec"].svg)
    assert [(c.get("fill"), c.get("stroke")) for c in curves] == [("none", "#98a2b3"), ("none", "#4f46e5")]
    assert all(t.get("fill") for t in svg.iter() if t.tag.endswith("text"))


def test_it_costs_the_same_queries_for_a_small_estate_and_a_larger_one(
    cast: Cast, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    risks = build_estate(cast, 1, today)
    propose_priced_controls(cast)
    few = count_queries(lambda: print_executive.build(summary_report(cast), ignore_progress))
    few_fingerprint = count_queries(lambda: print_executive.fingerprint(summary_report(cast)))

    lead = cast.membership(cast.security_lead)
    for n in range(6):
        risk = services.risk_create(membership=lead, title=f"More {n}", impact="high", owner=cast.owner)
        for other in (risk, risks[n % len(risks)]):
            threat = ThreatFactory.create(
                project=ProjectFactory.create(organisation=cast.organisation, team=cast.team),
                likelihood="high",
            )
            services.scenario_create(membership=lead, risk=other, threat=threat)
    propose_priced_controls(cast)
    take_snapshot(cast.organisation, today - datetime.timedelta(days=30))
    many = count_queries(lambda: print_executive.build(summary_report(cast), ignore_progress))
    many_fingerprint = count_queries(lambda: print_executive.fingerprint(summary_report(cast)))

    assert many == few
    assert many_fingerprint == few_fingerprint


def test_progress_rises_within_its_share_of_the_job(cast: Cast, estate: list[BusinessRisk]) -> None:
    assert_progress_rises_within_its_share(print_executive.build, summary_report(cast))


def test_the_fingerprint_is_the_same_on_unchanged_data_and_moves_with_what_is_printed(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    first = print_executive.fingerprint(summary_report(cast))
    documents.render(summary_report(cast), ignore_progress)
    Report.objects.create(  # made today: the next one today compares with the same earlier figures
        organisation=cast.organisation,
        kind=ReportKind.EXECUTIVE_SUMMARY,
        status=ReportStatus.DONE,
        as_of=timezone.now(),
        fingerprint=first,
    )
    assert print_executive.fingerprint(summary_report(cast)) == first

    seen = {first}
    control = Control.objects.filter(project__organisation=cast.organisation).order_by("pk").first()
    assert control is not None
    changes = [
        lambda: Control.objects.filter(pk=control.pk).update(cost_per_year=1, updated_at=timezone.now()),
        lambda: take_snapshot(cast.organisation, today - datetime.timedelta(days=3)),
        lambda: recompute(cast.organisation.pk),
        lambda: Report.objects.create(
            organisation=cast.organisation,
            kind=ReportKind.EXECUTIVE_SUMMARY,
            status=ReportStatus.DONE,
            as_of=timezone.now() - datetime.timedelta(days=2),
        ),
        lambda: type(cast.organisation).objects.filter(pk=cast.organisation.pk).update(name="Acme Holdings"),
    ]
    for change in changes:
        change()
        cast.organisation.refresh_from_db()
        now = print_executive.fingerprint(summary_report(cast))
        assert now not in seen
        seen.add(now)
    assert print_executive.fingerprint(summary_report(cast, PaperSize.LETTER)) not in seen
