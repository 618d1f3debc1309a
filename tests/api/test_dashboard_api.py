"""The risk dashboard through the API (reports.api): the same figures as the read model the page shows, every
count's URL listing as many rows, heat-map cells listing exactly their risks, the filters, who may read it, and
a query budget that does not grow with the estate."""

import dataclasses
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import Project, User
from reports.dashboard import Dashboard, DashboardFilters, dashboard
from risks.models import BusinessRisk, RiskResult
from risks.snapshots import take_snapshot
from tests.api.conftest import session_client, token_client
from tests.conftest import Cast
from tests.factories import ProjectFactory, TeamFactory
from tests.queries import count_queries
from tests.test_dashboard import build_estate, build_estate_more, settings_with_tolerance

type Body = dict[str, Any]


def url(query: str = "", slug: str = "acme") -> str:
    return reverse("api_dashboard", args=[slug]) + query


@pytest.fixture
def estate(cast: Cast, today: datetime.date) -> list[BusinessRisk]:
    settings_with_tolerance(cast)
    risks = build_estate(cast, 6, today)
    take_snapshot(cast.organisation)
    return risks


def read(api: APIClient, query: str = "") -> Body:
    response = api.get(url(query))
    assert response.status_code == 200, response.content
    body: Body = response.json()
    return body


def follow(api: APIClient, link: str) -> Body:
    """GET an absolute URL the dashboard gave, as a client would."""
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("http", "testserver"), link
    response = api.get(parts.path + ("?" + parts.query if parts.query else ""))
    assert response.status_code == 200, (link, response.content)
    body: Body = response.json()
    return body


def listed(api: APIClient, link: str) -> int:
    count: int = follow(api, link)["count"]
    return count


# The figures ----------------------------------------------------------------------------------------------


def assert_same_figures(body: Body, board: Dashboard) -> None:
    """Every figure of the answer against the read model's, section by section."""
    h = board.headline
    headline = body["headline"]
    assert (
        headline["risks"]["count"],
        headline["scored"]["count"],
        headline["above_appetite"]["count"],
        headline["accepted"]["count"],
    ) == (h.risks, h.scored, h.above_count, h.accepted_count)
    assert headline["above_appetite"]["ale_mean"] == pytest.approx(h.above_ale)
    assert (headline["residual_ale"], headline["inherent_ale"]) == pytest.approx(
        (h.residual_ale, h.inherent_ale)
    )
    top: list[Any] = board.top_risks  # annotated: residual_level, residual_ale, above, accepted
    for stage in ("inherent", "residual"):
        cells = body["heat_maps"][stage]
        assert len(cells) == 25
        assert {(c["likelihood"], c["impact"]): c["count"] for c in cells if c["count"]} == {
            (str(likelihood), str(impact)): n for (likelihood, impact), n in board.heat[stage].items()
        }
        assert all(c["level"] == board.scales.matrix.level(c["likelihood"], c["impact"]) for c in cells)
    assert [
        (
            r["number"],
            r["level"],
            r["ale_mean"],
            r["above_appetite"],
            r["accepted"],
            (r["owner"] or {}).get("id"),
        )
        for r in body["top_risks"]
    ] == [(r.number, r.residual_level, r.residual_ale, r.above, r.accepted, r.owner_id) for r in top]
    assert [
        (t["slug"], t["name"], t["residual_ale"], t["inherent_ale"], t["projects"]) for t in body["teams"]
    ] == [dataclasses.astuple(row) for row in board.teams]
    assert [
        (p["id"], p["name"], p["team"], p["residual_ale"], p["inherent_ale"]) for p in body["projects"]
    ] == [dataclasses.astuple(row) for row in board.projects]
    assert body["project_count"]["count"] == board.project_count
    queue = body["review_queue"]
    assert (queue["in_review"]["count"], queue["new_since_review"]["count"]) == (
        board.in_review,
        board.new_since_review,
    )
    assert [
        (r["project"], r["in_review"]["count"], r["new_since_review"]["count"], r["last_reviewed_on"])
        for r in queue["rows"]
    ] == [(r.project_id, r.in_review, r.new_since_review, _iso(r.last_reviewed_on)) for r in board.review]
    overdue = body["overdue_controls"]
    assert overdue["count"] == board.overdue_count
    assert [(c["id"], c["due_on"], c["project"]["id"]) for c in overdue["rows"]] == [
        (c.pk, _iso(c.due_on), c.project_id) for c in board.overdue_controls
    ]
    acceptances = body["acceptances"]
    assert (acceptances["expiring"]["count"], acceptances["expired"]["count"]) == (
        board.expiring_count,
        board.expired_count,
    )
    assert [(a["risk"]["number"], a["expires_on"], a["expired"]) for a in acceptances["rows"]] == [
        (a.risk.number, _iso(a.expires_on), a.expires_on < board.today) for a in board.acceptances
    ]
    stale = body["projects_not_reviewed"]
    assert stale["count"] == board.stale_count
    assert [(p["id"], p["last_reviewed_on"]) for p in stale["rows"]] == [
        (row.project_id, _iso(row.last_reviewed_on)) for row in board.stale_projects
    ]


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def test_the_figures_are_the_read_models_that_the_page_shows(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date, viewer_api: APIClient
) -> None:
    body = read(viewer_api)
    board = dashboard(cast.organisation, DashboardFilters(), today)

    assert_same_figures(body, board)
    assert body["headline"]["above_appetite"]["count"] > 0
    assert body["overdue_controls"]["count"] > 0
    assert len(body["top_risks"]) > 0
    assert (body["acceptances"]["expiring"]["count"], body["acceptances"]["expired"]["count"]) == (1, 1)
    assert body["currency"] == "EUR"
    assert body["appetite"] == {"level": "low", "tolerance": {"amount": 5_000_000.0, "probability": 0.1}}
    assert body["filters"] == {"team": None, "project": None, "category": None, "treatment": None}


def test_the_portfolio_and_the_trend_are_the_whole_organisations(
    cast: Cast, estate: list[BusinessRisk], today: datetime.date, viewer_api: APIClient
) -> None:
    body = read(viewer_api)
    board = dashboard(cast.organisation, DashboardFilters(), today)

    assert board.portfolio is not None
    assert board.trend is not None
    for stage in ("inherent", "residual", "projected"):
        figures = getattr(board.portfolio, stage)
        assert body["portfolio"][stage] == {
            "ale_mean": pytest.approx(figures.ale_mean),
            "p90": pytest.approx(figures.percentiles["p90"]),
            "p_exceeding_tolerance": pytest.approx(figures.p_exceeding_tolerance),
        }
    assert body["portfolio"]["stale"] is False
    assert follow(viewer_api, body["portfolio"]["url"])["figures"]["residual"]["ale_mean"] == pytest.approx(
        body["portfolio"]["residual"]["ale_mean"]
    )
    assert body["trend"] == [
        {
            "date": today.isoformat(),
            "above_appetite_count": board.trend.above_count[0],
            "above_appetite_ale": pytest.approx(board.trend.above_ale[0]),
            "residual_ale": pytest.approx(board.trend.residual_ale[0]),
        }
    ]
    assert body["trend"][0]["above_appetite_count"] == body["headline"]["above_appetite"]["count"]


def test_a_new_organisation_gets_zeros_and_no_portfolio(cast: Cast, viewer_api: APIClient) -> None:
    body = read(viewer_api)

    assert body["headline"]["risks"]["count"] == 0
    assert all(cell["count"] == 0 for cell in body["heat_maps"]["residual"])
    assert (body["top_risks"], body["teams"], body["projects"]) == ([], [], [])
    assert body["portfolio"] is None
    assert body["trend"] == []
    assert body["appetite"]["tolerance"] is None


# The links ------------------------------------------------------------------------------------------------


def test_every_count_links_to_an_api_list_of_as_many_rows(
    cast: Cast, estate: list[BusinessRisk], viewer_api: APIClient
) -> None:
    body = read(viewer_api)

    counts = [
        body["headline"]["risks"],
        body["headline"]["scored"],
        body["headline"]["above_appetite"],
        body["headline"]["accepted"],
        body["acceptances"]["expiring"],
        body["acceptances"]["expired"],
        body["project_count"],
        body["projects_not_reviewed"],
        *[row[kind] for row in body["review_queue"]["rows"] for kind in ("in_review", "new_since_review")],
    ]
    assert len(counts) > 8
    for counted in counts:
        assert listed(viewer_api, counted["url"]) == counted["count"], counted["url"]
    assert body["headline"]["above_appetite"]["count"] > 0
    # The API lists threats and controls per project: estate-wide totals have no list to link to.
    assert body["review_queue"]["in_review"]["url"] is None
    assert body["overdue_controls"]["url"] is None


def test_narrowed_to_a_project_the_work_links_to_the_projects_lists(
    cast: Cast, estate: list[BusinessRisk], viewer_api: APIClient
) -> None:
    project = Project.objects.get(organisation=cast.organisation, name="System 0")
    body = read(viewer_api, f"?project={project.pk}")

    queue, overdue = body["review_queue"], body["overdue_controls"]
    for counted in (queue["in_review"], queue["new_since_review"], overdue):
        assert f"/projects/{project.pk}/" in counted["url"]
        assert listed(viewer_api, counted["url"]) == counted["count"] > 0
    assert body["project_count"] == {"count": 1, "url": None}  # the project list has no project filter
    assert read(viewer_api, f"?project={project.pk}&team=platform")["overdue_controls"] == {
        "count": 0,
        "url": None,
        "rows": [],
    }


def test_the_rows_link_to_what_they_show(
    cast: Cast, estate: list[BusinessRisk], viewer_api: APIClient
) -> None:
    body = read(viewer_api)

    risk = body["top_risks"][0]
    assert follow(viewer_api, risk["url"])["number"] == risk["number"]
    control = body["overdue_controls"]["rows"][0]
    assert follow(viewer_api, control["url"])["id"] == control["id"]
    acceptance = body["acceptances"]["rows"][0]
    assert follow(viewer_api, acceptance["url"])["count"] == 1
    stale = body["projects_not_reviewed"]["rows"][0]
    assert follow(viewer_api, stale["url"])["id"] == stale["id"]
    team = body["teams"][0]
    assert follow(viewer_api, team["dashboard"])["filters"]["team"] == team["slug"]
    project = body["projects"][0]
    assert follow(viewer_api, project["dashboard"])["filters"]["project"] == project["id"]
    assert follow(viewer_api, project["url"])["name"] == project["name"]


def test_a_heat_map_cell_lists_exactly_its_risks(
    cast: Cast, estate: list[BusinessRisk], viewer_api: APIClient
) -> None:
    body = read(viewer_api, "?category=financial")
    results = list(RiskResult.objects.filter(risk__organisation=cast.organisation).select_related("risk"))

    for stage in ("inherent", "residual"):
        for cell in body["heat_maps"][stage]:
            expected = sorted(
                r.risk.number
                for r in results
                if (r.figures[stage]["likelihood"], r.figures[stage]["impact"])
                == (cell["likelihood"], cell["impact"])
                and "financial" in r.risk.categories
            )
            rows = follow(viewer_api, cell["risks"])["results"]
            assert sorted(row["number"] for row in rows) == expected, (stage, cell)
            assert cell["count"] == len(expected)
    assert (
        sum(cell["count"] for cell in body["heat_maps"]["residual"]) == body["headline"]["risks"]["count"] > 0
    )


# Filters --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["?team=platform", "?team=payments&treatment=mitigate", "?category=financial", "?treatment=transfer"],
)
def test_filters_narrow_the_figures_as_they_narrow_the_page(
    query: str, cast: Cast, estate: list[BusinessRisk], today: datetime.date, viewer_api: APIClient
) -> None:
    body = read(viewer_api, query)
    filters = DashboardFilters.from_query(dict(part.split("=") for part in query[1:].split("&")))
    board = dashboard(cast.organisation, filters, today)

    assert_same_figures(body, board)
    assert body["headline"]["risks"]["count"] < len(estate) or body["project_count"]["count"] < 6
    assert body["filters"] == {
        "team": filters.team or None,
        "project": None,
        "category": filters.category or None,
        "treatment": filters.treatment or None,
    }
    assert (body["portfolio"], body["trend"]) == (None, None)
    for link in (body["headline"]["risks"]["url"], body["heat_maps"]["residual"][0]["risks"]):
        assert all(part in link for part in query[1:].split("&"))


def test_unknown_filters_are_ignored(cast: Cast, estate: list[BusinessRisk], viewer_api: APIClient) -> None:
    body = read(viewer_api, "?project=x&category=zzz&treatment=1")

    assert body["filters"] == {"team": None, "project": None, "category": None, "treatment": None}
    assert body["headline"]["risks"]["count"] == len(estate)


def test_another_organisations_team_and_project_show_nothing_of_it(
    cast: Cast, estate: list[BusinessRisk], viewer_api: APIClient
) -> None:
    secret = TeamFactory.create(organisation=cast.outsider_organisation, slug="secret")
    project = ProjectFactory.create(
        organisation=cast.outsider_organisation, team=secret, name="Secret project"
    )

    for query in ("?team=secret", f"?project={project.pk}"):
        response = viewer_api.get(url(query))
        assert response.status_code == 200
        body = response.json()
        assert (body["headline"]["risks"]["count"], body["project_count"]["count"]) == (0, 0)
        assert "Secret project" not in response.content.decode()


# Who may read it ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer", "viewer"])
def test_every_member_reads_it(role: str, cast: Cast, estate: list[BusinessRisk]) -> None:
    user = getattr(cast, role)
    assert read(session_client(user))["headline"]["risks"]["count"] == len(estate)


def test_a_personal_access_token_reads_it(
    cast: Cast, estate: list[BusinessRisk], token_for: Callable[[User], str]
) -> None:
    api = token_client(token_for(cast.viewer))

    body = read(api)

    assert body["headline"]["risks"]["count"] == len(estate)
    assert (
        listed(api, body["headline"]["above_appetite"]["url"]) == body["headline"]["above_appetite"]["count"]
    )


def test_outsiders_find_nothing_and_strangers_must_sign_in(
    cast: Cast, estate: list[BusinessRisk], outsider_api: APIClient, anonymous_api: APIClient
) -> None:
    assert outsider_api.get(url()).status_code == 404
    assert anonymous_api.get(url()).status_code == 401
    assert session_client(cast.viewer).get(url(slug="globex")).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_refuses_writes(method: str, cast: Cast, lead_api: APIClient) -> None:
    assert getattr(lead_api, method)(url(), {}, format="json").status_code == 405


def test_it_answers_304_while_the_figures_hold(
    cast: Cast, estate: list[BusinessRisk], viewer_api: APIClient
) -> None:
    first = viewer_api.get(url())

    assert viewer_api.get(url(), headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert viewer_api.get(url("?team=platform"), headers={"If-None-Match": first["ETag"]}).status_code == 200


# Cost -----------------------------------------------------------------------------------------------------


def test_it_costs_the_same_queries_for_one_project_and_fifty(cast: Cast, today: datetime.date) -> None:
    settings_with_tolerance(cast)
    api = session_client(cast.viewer)
    build_estate(cast, 1, today)
    take_snapshot(cast.organisation)
    read(api)
    few = count_queries(lambda: read(api))
    few_team = count_queries(lambda: read(api, "?team=payments"))

    for name in ("Team A", "Team B", "Team C"):
        TeamFactory.create(organisation=cast.organisation, name=name)
    build_estate_more(cast, 49, today)
    many = count_queries(lambda: read(api))
    many_team = count_queries(lambda: read(api, "?team=payments"))

    assert Project.objects.filter(organisation=cast.organisation).count() == 50
    assert len(read(api)["top_risks"]) > 1
    assert few == many
    assert few_team == many_team


# The schema -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> Body:
    """The operation as `manage.py spectacular --fail-on-warn` writes it: a warning fails it."""
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    document = yaml.safe_load(Path(target).read_text())
    found: Body = document["paths"]["/api/v1/organisations/{org_slug}/dashboard/"]
    found["components"] = document["components"]["schemas"]
    return found


def test_the_schema_documents_it_with_its_filters_and_figures(operation: Body) -> None:
    get = operation["get"]
    assert set(operation) - {"components"} == {"get"}
    assert (get["operationId"], get["tags"]) == ("dashboard_retrieve", ["dashboards"])
    assert get["summary"]
    queries = {p["name"]: p for p in get["parameters"] if p["in"] == "query"}
    assert set(queries) == {"team", "project", "category", "treatment"}
    assert set(queries["category"]["schema"]["enum"]) == {
        "financial",
        "regulatory",
        "reputational",
        "operational",
        "safety",
    }
    assert set(queries["treatment"]["schema"]["enum"]) == {"mitigate", "accept", "transfer", "avoid"}
    assert all(p["description"] for p in queries.values())
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Dashboard"
    }
    assert {"304", "401", "404"} <= set(get["responses"])
    documented = set(operation["components"]["Dashboard"]["properties"])
    assert documented == {
        "filters",
        "currency",
        "appetite",
        "headline",
        "heat_maps",
        "top_risks",
        "teams",
        "projects",
        "project_count",
        "review_queue",
        "overdue_controls",
        "acceptances",
        "projects_not_reviewed",
        "portfolio",
        "trend",
    }
