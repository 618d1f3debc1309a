"""The dashboard benchmark's floors (bench/dashboard.py) on a small estate: the hand-written SQL returns exactly the
figures and rows the dashboard shows, for the organisation and for a team, so a change to the read model that the
floor does not follow stops here rather than twenty minutes into `make bench`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bench.dashboard import Shown, aggregates_floor, check, check_dashboard, dashboard_floor, floor_params
from projects.models import Organisation
from reports.dashboard import DashboardFilters, dashboard
from risks import inputs
from risks.inputs import Scales

SIZE = {
    "teams": 3,
    "projects": 14,  # more than the ten rows a top table shows, so the floors' LIMITs and orders count
    "threats_per_project": 6,
    "controls_per_project": 8,
    "risks": 16,
    "snapshot_days": 12,
}


@pytest.fixture
def estate(db: None) -> Organisation:
    call_command("seed_estate", name="Floor Estate", stdout=StringIO(), **SIZE)
    return Organisation.objects.get(name="Floor Estate")


def _shown_and_params(organisation: Organisation, team_slug: str = "") -> tuple[Shown, dict[str, object]]:
    today = timezone.localdate()
    team = organisation.teams.get(slug=team_slug) if team_slug else None
    params = floor_params(organisation, team, Scales.of(inputs.settings_of(organisation)), today)
    return Shown.of(dashboard(organisation, DashboardFilters(team=team_slug), today)), params


def test_the_floor_reads_every_figure_and_row_the_organisation_dashboard_shows(estate: Organisation) -> None:
    page, params = _shown_and_params(estate)
    # Not an empty comparison: the small estate fills every table the floor is checked on.
    for table in (
        "top_risks",
        "top_projects",
        "review",
        "stale",
        "overdue",
        "acceptances",
        "trend",
        "portfolio",
    ):
        assert getattr(page, table), table
    assert len(page.top_projects) == 10 < page.project_count
    check_dashboard(dashboard(estate, DashboardFilters(), timezone.localdate()), params)


def test_the_floors_read_a_teams_dashboard_without_trend_or_portfolio(estate: Organisation) -> None:
    team = estate.teams.order_by("name")[0]
    page, params = _shown_and_params(estate, team.slug)
    floor = dashboard_floor(params)
    assert (page.trend, page.portfolio, floor.trend, floor.portfolio) == (None, None, None, None)
    assert 0 < floor.project_count < 14
    assert set(floor.aggregates.teams) == {team.slug}
    check_dashboard(dashboard(estate, DashboardFilters(team=team.slug), timezone.localdate()), params)


def test_the_check_stops_on_a_floor_that_reads_something_else(estate: Organisation) -> None:
    page, params = _shown_and_params(estate)
    aggregates = aggregates_floor(params)
    check("risks", page.aggregates.risks, aggregates.risks)
    with pytest.raises(RuntimeError, match="The floor is not the page: risks"):
        check("risks", page.aggregates.risks, aggregates.risks + 1)
    floor = dashboard_floor(params)
    with pytest.raises(RuntimeError, match="top_risks"):
        check("top_risks", page.top_risks, floor.top_risks[1:])
    number, title, owner, treatment, level, loss, above = floor.top_risks[0]
    off = [(number, title, owner, treatment, level, loss * 1.001, above), *floor.top_risks[1:]]
    with pytest.raises(RuntimeError, match="top_risks"):
        check("top_risks", page.top_risks, off)
