"""The risk dashboard (reports.dashboard, reports.views): its figures against an independent count made here from
the same stored results and rows, its links into the lists it counts, its filters, and its query budget."""

import dataclasses
import datetime
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import attention
from projects.models import Control, ControlStatus, Project, Team, Threat, ThreatStatus
from reports import dashboard_charts
from reports.dashboard import TOP, DashboardFilters, Trend, dashboard
from risks import inputs, services
from risks.appetite import AcceptanceState, Standing, position_of
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    RiskAcceptance,
    RiskResult,
    RiskSnapshot,
    ScenarioResult,
    ScoringSettings,
)
from risks.results import recompute
from risks.snapshots import take_snapshot
from tests.conftest import Cast, signed_in
from tests.factories import ControlFactory, ProjectFactory, TeamFactory, ThreatControlFactory, ThreatFactory
from tests.queries import count_queries

LIKELIHOODS = ["very_low", "low", "moderate", "high", "very_high"]
IMPACTS = ["low", "moderate", "high", "very_high"]


def settings_with_tolerance(cast: Cast) -> None:
    ScoringSettings.objects.create(
        organisation=cast.organisation,
        likelihood_scale=inputs.DEFAULT_LIKELIHOOD_SCALE,
        impact_scale=inputs.DEFAULT_IMPACT_SCALE,
        matrix=inputs.DEFAULT_MATRIX,
        appetite_level="low",
        tolerance_amount=Decimal(5_000_000),
        tolerance_probability=Decimal(10),
    )


def build_estate(cast: Cast, projects: int, today: datetime.date) -> list[BusinessRisk]:
    """Projects in two teams with threats of every likelihood and status, controls due and overdue, business
    risks of several impacts linked to them, acceptances in force, running out and ran out; then recomputed."""
    lead = cast.membership(cast.security_lead)
    risks = [
        services.risk_create(
            membership=lead,
            title=f"Business risk {n}",
            impact=IMPACTS[n % len(IMPACTS)],
            categories=["financial"] if n % 2 else ["regulatory"],
            treatment="mitigate" if n % 3 else "transfer",
            treatment_detail="" if n % 3 else "Cyber insurance.",
            owner=cast.viewer,
        )
        for n in range(6)
    ]
    for p in range(projects):
        team = cast.team if p % 2 == 0 else cast.other_team
        project = ProjectFactory.create(
            organisation=cast.organisation,
            team=team,
            name=f"System {p}",
            last_reviewed_on=[None, today - datetime.timedelta(days=200), today][p % 3],
        )
        for t in range(4):
            threat = ThreatFactory.create(
                project=project,
                likelihood=LIKELIHOODS[(p + t) % len(LIKELIHOODS)],
                status=[ThreatStatus.IDENTIFIED, ThreatStatus.IN_REVIEW][t % 2],
                owner=cast.engineer if t == 0 else None,
            )
            services.scenario_create(membership=lead, risk=risks[(p + t) % len(risks)], threat=threat)
            control = ControlFactory.create(
                project=project,
                status=[ControlStatus.PLANNED, ControlStatus.IMPLEMENTED][t % 2],
                due_on=today + datetime.timedelta(days=[-5, 3, -40, 60][t]),
            )
            ThreatControlFactory.create(threat=threat, control=control, effectiveness=60)
    _accept(risks[0], today + datetime.timedelta(days=10))  # in force, running out
    _accept(risks[1], today + datetime.timedelta(days=200))  # in force
    _accept(risks[2], today - datetime.timedelta(days=3))  # ran out
    recompute(cast.organisation.pk)
    return risks


def _accept(risk: BusinessRisk, expires_on: datetime.date) -> None:
    RiskAcceptance.objects.create(
        risk=risk, rationale="Agreed.", expires_on=expires_on, status=AcceptanceStatus.APPROVED
    )


@pytest.fixture
def estate(cast: Cast, today: datetime.date) -> list[BusinessRisk]:
    settings_with_tolerance(cast)
    return build_estate(cast, 6, today)


def independent_positions(cast: Cast, today: datetime.date) -> dict[int, tuple[Standing, float]]:
    """Each risk's standing and residual expected loss, one risk at a time, as the risk page decides it."""
    scales = inputs.Scales.of(inputs.settings_of(cast.organisation))
    positions = {}
    for result in RiskResult.objects.filter(risk__organisation=cast.organisation).select_related("risk"):
        residual = result.figures["residual"]
        acceptance = AcceptanceState.of(result.risk.acceptances.all(), today)
        position = position_of(residual["level"], residual["p_exceeding_tolerance"], scales, acceptance)
        positions[result.risk_id] = (position.standing, residual["ale_mean"])
    return positions


def test_the_headline_figures_equal_a_count_of_each_risk_position(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(), today)

    positions = independent_positions(cast, today).values()
    above = [ale for standing, ale in positions if standing == Standing.ABOVE]
    assert board.headline.risks == len(estate)
    assert board.headline.above_count == len(above) > 0
    assert board.headline.above_ale == pytest.approx(sum(above))
    assert board.headline.accepted_count == sum(1 for s, _ in positions if s == Standing.ACCEPTED) == 2
    assert board.headline.residual_ale == pytest.approx(sum(ale for _, ale in positions))
    assert board.portfolio is not None
    assert board.headline.residual_ale == pytest.approx(board.portfolio.residual.ale_mean)


def test_the_heat_maps_count_each_risk_in_the_cell_of_its_worst_scenario(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(), today)

    for stage in ("inherent", "residual"):
        expected: dict[tuple[str, str], int] = {}
        for each in inputs.risk_inputs(cast.organisation):
            cell = each.cell(inputs.Counted.stage(inputs.Stage(stage)))
            if cell is not None:
                key = (str(cell.likelihood), str(cell.impact))
                expected[key] = expected.get(key, 0) + 1
        counted = {(str(lk), str(im)): n for (lk, im), n in board.heat[stage].items()}
        assert counted == expected
        assert sum(counted.values()) == len(estate)


def test_the_work_waiting_equals_a_count_of_the_rows(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(), today)

    threats = list(Threat.objects.filter(project__organisation=cast.organisation).select_related("project"))
    assert board.in_review == sum(1 for t in threats if t.status == ThreatStatus.IN_REVIEW)
    new = [
        t
        for t in threats
        if (reviewed := t.project.last_reviewed_on) is None or timezone.localdate(t.created_at) > reviewed
    ]
    assert board.new_since_review == len(new)
    controls = Control.objects.filter(project__organisation=cast.organisation)
    overdue = [
        c for c in controls if c.due_on and c.due_on < today and c.status not in ("implemented", "verified")
    ]
    assert board.overdue_count == len(overdue) > 0
    assert [c.pk for c in board.overdue_controls] == [
        c.pk for c in sorted(overdue, key=lambda c: (c.due_on, c.title, c.pk))
    ][:TOP]
    projects = Project.objects.filter(organisation=cast.organisation)
    stale = [
        p
        for p in projects
        if p.last_reviewed_on is None or p.last_reviewed_on < today - attention.REVIEW_INTERVAL
    ]
    assert board.stale_count == len(stale) == 4
    assert board.project_count == 6
    assert (board.expiring_count, board.expired_count) == (1, 1)
    assert [a.risk_id for a in board.acceptances] == [estate[2].pk, estate[0].pk]  # the oldest first


def test_risk_by_team_splits_each_risks_loss_among_the_teams_threats(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(), today)

    by_team: dict[str, float] = {}
    for row in ScenarioResult.objects.filter(risk__organisation=cast.organisation).select_related(
        "project__team"
    ):
        by_team[row.project.team.slug] = by_team.get(row.project.team.slug, 0.0) + row.residual_ale
    assert {row.slug: row.residual_ale for row in board.teams} == pytest.approx(by_team)
    assert sum(row.residual_ale for row in board.teams) == pytest.approx(board.headline.residual_ale)
    assert [row.residual_ale for row in board.teams] == sorted(
        (row.residual_ale for row in board.teams), reverse=True
    )
    assert len(board.projects) == 6


def test_a_team_narrows_the_risks_to_those_its_threats_lead_to_and_the_work_to_its_projects(
    cast: Cast, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    lead = cast.membership(cast.security_lead)
    build_estate(cast, 2, today)
    only_platform = services.risk_create(membership=lead, title="Platform only", impact="high")
    services.scenario_create(
        membership=lead,
        risk=only_platform,
        threat=ThreatFactory.create(project=Project.objects.get(name="System 1"), likelihood="high"),
    )
    recompute(cast.organisation.pk)

    board = dashboard(cast.organisation, DashboardFilters(team="platform"), today)
    payments = dashboard(cast.organisation, DashboardFilters(team="payments"), today)

    assert board.team == cast.other_team
    assert board.project_count == 1
    assert board.in_review == Threat.objects.filter(project__team=cast.other_team, status="in_review").count()
    assert (
        board.overdue_count
        == Control.objects.filter(attention.control_overdue(today), project__team=cast.other_team).count()
    )
    assert (
        payments.headline.risks
        == BusinessRisk.objects.filter(scenarios__threat__project__team=cast.team).distinct().count()
    )
    assert only_platform.pk in {r.pk for r in board.top_risks}
    assert only_platform.pk not in {r.pk for r in payments.top_risks}
    assert [row.slug for row in board.teams] == ["platform"]
    assert board.trend is None
    assert board.portfolio is None


def test_category_and_treatment_narrow_the_business_risks(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(category="financial", treatment="mitigate"), today)

    expected = [r for r in estate if "financial" in r.categories and r.treatment == "mitigate"]
    assert board.headline.risks == len(expected) > 0
    assert board.project_count == 6  # the projects' work is not narrowed by a risk's category


# The page --------------------------------------------------------------------------------------------------


def _url(cast: Cast, query: str = "") -> str:
    return reverse("organisation_dashboard", args=[cast.organisation.slug]) + query


def _links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


def test_every_headline_figure_links_to_a_list_of_as_many_rows(
    cast: Cast, estate: list[BusinessRisk], viewer_client: Client
) -> None:
    page = viewer_client.get(_url(cast)).content.decode()
    board = dashboard(cast.organisation, DashboardFilters(), timezone.localdate())

    for element_id, figure in (
        ("above-count", board.headline.above_count),
        ("accepted-count", board.headline.accepted_count),
        ("in-review-count", board.in_review),
        ("overdue-count", board.overdue_count),
        ("stale-count", board.stale_count),
    ):
        match = re.search(rf'id="{element_id}" href="([^"]+)"', page)
        assert match, element_id
        listed = viewer_client.get(html.unescape(match.group(1)))
        assert listed.status_code == 200
        assert listed.context["page"].paginator.count == figure, element_id
    for element_id, figure in (
        ("expiring-count", board.expiring_count),
        ("expired-count", board.expired_count),
    ):
        match = re.search(rf'href="([^"]+)" id="{element_id}"', page)
        assert match, element_id
        assert viewer_client.get(html.unescape(match.group(1))).context["page"].paginator.count == figure


def test_a_heat_map_cell_links_to_the_risks_in_it(
    cast: Cast, estate: list[BusinessRisk], viewer_client: Client
) -> None:
    page = viewer_client.get(_url(cast, "?category=financial")).content.decode()
    board = dashboard(cast.organisation, DashboardFilters(category="financial"), timezone.localdate())

    cell_links = [link for link in _links(page) if "stage=residual" in link]
    assert len(cell_links) == len(board.heat["residual"]) > 0
    for link in cell_links:
        assert "category=financial" in link
        listed = viewer_client.get(link)
        likelihood = re.search(r"likelihood=(\w+)", link).group(1)  # type: ignore[union-attr]
        impact = re.search(r"impact=(\w+)", link).group(1)  # type: ignore[union-attr]
        expected = [
            r.risk.number
            for r in RiskResult.objects.filter(risk__organisation=cast.organisation).select_related("risk")
            if (r.figures["residual"]["likelihood"], r.figures["residual"]["impact"]) == (likelihood, impact)
            and "financial" in r.risk.categories
        ]
        assert sorted(row.risk.number for row in listed.context["rows"]) == sorted(expected)


def test_the_page_shows_the_charts_as_svg_with_their_labels(
    cast: Cast, estate: list[BusinessRisk], viewer_client: Client
) -> None:
    take_snapshot(cast.organisation)
    page = viewer_client.get(_url(cast)).content.decode()

    assert page.count("<svg") >= 6  # two heat maps, the bars, the curve, two trends
    for label in ("Inherent risk", "Residual risk", "Portfolio loss exceedance", "Top risks", "day by day"):
        assert label in page
    assert "Business risk 0" in page


def test_the_charts_are_drawn_again_when_a_figure_changes_and_reused_while_none_does(
    cast: Cast, estate: list[BusinessRisk], viewer_client: Client
) -> None:
    def chart(page: str) -> str:
        found = re.search(r'<figure class="dashboard-figure">(<svg.*?</svg>)', page, re.S)
        assert found is not None
        return found.group(1)

    first = chart(viewer_client.get(_url(cast)).content.decode())
    assert chart(viewer_client.get(_url(cast)).content.decode()) == first
    assert "Business risk 5" in first

    services.risk_update(
        membership=cast.membership(cast.security_lead),
        risk=estate[5],
        version=estate[5].version,
        title="Renamed risk",
    )
    recompute(cast.organisation.pk)
    redrawn = chart(viewer_client.get(_url(cast)).content.decode())

    assert redrawn != first
    assert "Renamed risk" in redrawn
    assert "Business risk 5" not in redrawn


def test_the_charts_are_drawn_again_when_any_day_of_the_trend_changes(
    cast: Cast, today: datetime.date
) -> None:
    board = dashboard(cast.organisation, DashboardFilters(), today)
    yesterday = today - datetime.timedelta(days=1)
    trends = [
        Trend([today], [3], [100.0], [200.0]),
        Trend([yesterday], [3], [100.0], [200.0]),
        Trend([today], [4], [100.0], [200.0]),
        Trend([today], [3], [100.5], [200.0]),
        Trend([today], [3], [100.0], [200.5]),
        Trend([yesterday, today], [3, 3], [100.0, 100.0], [200.0, 200.0]),
        Trend([], [], [], []),
        None,
    ]

    digests = {
        dashboard_charts._digest(dataclasses.replace(board, trend=trend), "/risks/") for trend in trends
    }

    assert len(digests) == len(trends)


def test_filters_persist_in_the_links(cast: Cast, estate: list[BusinessRisk], viewer_client: Client) -> None:
    page = viewer_client.get(_url(cast, "?team=payments&treatment=mitigate")).content.decode()

    risk_links = [link for link in _links(page) if "/risks/?" in link]
    assert risk_links
    assert all("team=payments" in link and "treatment=mitigate" in link for link in risk_links)
    threat_links = [link for link in _links(page) if "/threats/?" in link and "/projects/" not in link]
    assert threat_links
    assert all("team=payments" in link or "project=" in link for link in threat_links)
    assert 'value="payments" selected' in page


def test_a_new_organisation_sees_what_to_do_first(cast: Cast, owner_client: Client) -> None:
    page = owner_client.get(_url(cast)).content.decode()

    assert "Nothing to show yet" in page
    assert reverse("project_list", args=[cast.organisation.slug]) in page


def test_unknown_filters_are_ignored(cast: Cast, estate: list[BusinessRisk], viewer_client: Client) -> None:
    response = viewer_client.get(_url(cast, "?team=nope&project=x&category=zzz&treatment=1"))

    assert response.status_code == 200
    assert response.context["board"].headline.risks == 0  # no such team: nothing is fed by it


def test_another_organisations_team_shows_nothing_of_it(cast: Cast, viewer_client: Client) -> None:
    other = TeamFactory.create(organisation=cast.outsider_organisation, slug="secret")
    ProjectFactory.create(organisation=cast.outsider_organisation, team=other, name="Secret project")

    response = viewer_client.get(_url(cast, "?team=secret"))

    assert response.status_code == 200
    assert response.context["board"].team is None
    assert response.context["board"].project_count == 0
    assert "Secret project" not in response.content.decode()


def test_the_outsider_is_not_found(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(_url(cast)).status_code == 404


def test_it_rejects_post(cast: Cast, viewer_client: Client) -> None:
    assert viewer_client.post(_url(cast)).status_code == 405


def test_the_page_costs_the_same_queries_for_one_project_and_fifty(cast: Cast, today: datetime.date) -> None:
    settings_with_tolerance(cast)
    client = signed_in(cast.viewer)
    build_estate(cast, 1, today)
    take_snapshot(cast.organisation)
    client.get(_url(cast))  # the first visit remembers the organisation in the session
    few = count_queries(lambda: client.get(_url(cast)))
    few_team = count_queries(lambda: client.get(_url(cast, "?team=payments")))

    for name in ("Team A", "Team B", "Team C"):
        TeamFactory.create(organisation=cast.organisation, name=name)
    build_estate_more(cast, 49, today)
    many = count_queries(lambda: client.get(_url(cast)))
    many_team = count_queries(lambda: client.get(_url(cast, "?team=payments")))

    assert Project.objects.filter(organisation=cast.organisation).count() == 50
    assert few == many
    assert few_team == many_team


def build_estate_more(cast: Cast, projects: int, today: datetime.date) -> None:
    """More projects, threats and links on top of an estate, then recomputed."""
    lead = cast.membership(cast.security_lead)
    risks = list(BusinessRisk.objects.filter(organisation=cast.organisation))
    teams = list(Team.objects.filter(organisation=cast.organisation))
    for p in range(projects):
        project = ProjectFactory.create(
            organisation=cast.organisation, team=teams[p % len(teams)], name=f"More {p}"
        )
        threat = ThreatFactory.create(project=project, likelihood="high", status="in_review")
        services.scenario_create(membership=lead, risk=risks[p % len(risks)], threat=threat)
        ControlFactory.create(project=project, due_on=today - datetime.timedelta(days=1))
    _accept(risks[3], today - datetime.timedelta(days=1))
    recompute(cast.organisation.pk)


def test_a_team_page_and_a_project_page_link_to_their_dashboards(
    cast: Cast, estate: list[BusinessRisk], viewer_client: Client
) -> None:
    team_page = viewer_client.get(reverse("team_detail", args=[cast.organisation.slug, "payments"]))
    project = Project.objects.get(name="System 0")
    project_page = viewer_client.get(reverse("project_detail", args=[cast.organisation.slug, project.pk]))

    assert _url(cast, "?team=payments") in team_page.content.decode()
    assert _url(cast, f"?project={project.pk}") in project_page.content.decode()
    summary = viewer_client.get(_url(cast, f"?project={project.pk}"))
    assert summary.context["board"].project == project
    assert summary.context["board"].project_count == 1


def test_it_sends_anonymous_visitors_to_sign_in(cast: Cast, client: Client) -> None:
    response = client.get(_url(cast))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_security_lead_takes_todays_snapshot_on_demand(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(cast.security_lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("snapshot_take", args=[cast.organisation.slug]))

    assert response.status_code == 302
    assert response["Location"] == _url(cast)
    snapshot = RiskSnapshot.objects.get(organisation=cast.organisation, taken_on=today)
    board = dashboard(cast.organisation, DashboardFilters(), today)
    assert snapshot.figures["above_appetite"]["count"] == board.headline.above_count
    assert board.trend is not None
    assert board.trend.days == [today]


def test_only_those_who_keep_the_register_take_snapshots(cast: Cast, viewer_client: Client) -> None:
    url = reverse("snapshot_take", args=[cast.organisation.slug])

    assert viewer_client.post(url).status_code == 403
    assert signed_in(cast.engineer).post(url).status_code == 403
    assert signed_in(cast.security_lead).get(url).status_code == 405
    assert signed_in(cast.outsider).post(url).status_code == 404
    assert not RiskSnapshot.objects.exists()


def test_every_risk_page_of_the_estate_opens(
    cast: Cast, estate: list[BusinessRisk], viewer_client: Client
) -> None:
    # Some of these risks are within their tolerance whatever is done (an unbounded tolerated loss), which once
    # broke the planner on their page.
    for risk in estate:
        response = viewer_client.get(reverse("risk_detail", args=[cast.organisation.slug, risk.number]))
        assert response.status_code == 200, risk.reference
