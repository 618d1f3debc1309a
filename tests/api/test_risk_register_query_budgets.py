"""The register's API lists answer with the same number of queries for one row as for a full page, whatever each
row brings with it (an owner, scenarios, controls, stored figures, acceptances, linked risks)."""

import datetime
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Project, Threat
from risks.models import BusinessRisk
from risks.services import acceptance_request
from tests.api.conftest import session_client
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.queries import count_queries
from tests.risk_register import add_risk, link, store_result

FULL_PAGE = 50


def scored_threat(project: Project) -> Threat:
    threat = ThreatFactory.create(project=project, likelihood="high")
    ThreatControlFactory.create(threat=threat, control__status="implemented", control__cost_per_year=1000)
    return threat


def add_risk_row(cast: Cast, project: Project, n: int) -> None:
    risk = add_risk(cast, f"Risk {n}", owner=cast.viewer, categories=["financial"])
    link(cast, risk, scored_threat(project))
    store_result(risk, "high", current=n % 2 == 0)


def add_scenario_row(cast: Cast, project: Project, n: int) -> None:
    link(cast, BusinessRisk.objects.get(organisation=cast.organisation, number=1), scored_threat(project))


def add_acceptance_row(cast: Cast, project: Project, n: int) -> None:
    acceptance = acceptance_request(
        membership=cast.membership(cast.security_lead),
        risk=BusinessRisk.objects.get(organisation=cast.organisation, number=1),
        rationale=f"Reason {n}",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    acceptance.status = "declined"
    acceptance.decided_by = cast.viewer
    acceptance.save(update_fields=["status", "decided_by"])


def add_linked_threat_row(cast: Cast, project: Project, n: int) -> None:
    threat = scored_threat(project)
    for risk in BusinessRisk.objects.filter(organisation=cast.organisation)[:2]:
        link(cast, risk, threat)


LISTS: dict[str, tuple[Callable[[Cast, Project, int], None], Callable[[Project], str]]] = {
    "risks": (add_risk_row, lambda project: reverse("api_risk_list", args=["acme"])),
    "risks by level": (add_risk_row, lambda project: reverse("api_risk_list", args=["acme"]) + "?level=high"),
    "scenarios": (add_scenario_row, lambda project: reverse("api_scenario_list", args=["acme", 1])),
    "acceptances": (add_acceptance_row, lambda project: reverse("api_acceptance_list", args=["acme", 1])),
    "threats with risks": (
        add_linked_threat_row,
        lambda project: reverse("api_threat_list", args=["acme", project.pk]),
    ),
}


def queries_for(client: APIClient, list_url: str, rows: int) -> int:
    def fetch() -> None:
        response = client.get(list_url)
        assert response.status_code == 200
        assert len(response.json()["results"]) == rows

    return count_queries(fetch)


@pytest.mark.parametrize("name", list(LISTS))
def test_the_list_costs_the_same_queries_for_one_row_as_for_a_full_page(name: str, cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team)
    add_row, list_url = LISTS[name]
    if name != "risks" and name != "risks by level":
        add_risk(cast, "First", owner=cast.viewer)
        add_risk(cast, "Second")
    if name == "risks by level":  # a risk at another level, which the filter leaves out
        store_result(add_risk(cast, "Low one"), "low")
    client = session_client(cast.viewer)
    add_row(cast, project, 0)
    one_row = queries_for(client, list_url(project), rows=1)
    for n in range(1, FULL_PAGE):
        add_row(cast, project, n)
    full_page = queries_for(client, list_url(project), rows=FULL_PAGE)
    assert one_row == full_page, f"{name}: {one_row} queries for 1 row, {full_page} for {FULL_PAGE}"


def test_the_portfolio_and_scoring_cost_the_same_queries_for_one_risk_as_for_many(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team)
    client = session_client(cast.viewer)
    add_risk_row(cast, project, 0)
    portfolio, scoring = reverse("api_portfolio", args=["acme"]), reverse("api_scoring", args=["acme"])
    one = (count_queries(lambda: client.get(portfolio)), count_queries(lambda: client.get(scoring)))
    for n in range(1, 20):
        add_risk_row(cast, project, n)
    assert (count_queries(lambda: client.get(portfolio)), count_queries(lambda: client.get(scoring))) == one
