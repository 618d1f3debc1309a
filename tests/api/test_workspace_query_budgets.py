"""Every workspace list answers with the same number of queries for one row as for a full page of 50."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from projects.models import Project, Threat
from projects.notification_models import Notification, NotificationKind
from projects.services import api_token_create
from tests.api.conftest import session_client, token_client
from tests.api.workspace import url
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    ControlFactory,
    DataFlowFactory,
    ProjectFactory,
    ThreatControlFactory,
    ThreatFactory,
    TrustZoneFactory,
)
from tests.queries import count_queries

FULL_PAGE = 50


def add_project(project: Project, cast: Cast, n: int) -> None:
    other = ProjectFactory.create(team=cast.team if n % 2 else cast.other_team)
    ThreatFactory.create(project=other)
    ComponentFactory.create(project=other)


def add_zone(project: Project, cast: Cast, n: int) -> None:
    zone = TrustZoneFactory.create(project=project, parent=project.zones.first())
    ComponentFactory.create(project=project, zone=zone)


def add_asset(project: Project, cast: Cast, n: int) -> None:
    AssetFactory.create(project=project)


def add_component(project: Project, cast: Cast, n: int) -> None:
    component = ComponentFactory.create(
        project=project, zone=TrustZoneFactory.create(project=project), tags=["a"]
    )
    component.assets.set(AssetFactory.create_batch(2, project=project))
    ThreatFactory.create(project=project).target_components.set([component])


def add_flow(project: Project, cast: Cast, n: int) -> None:
    flow = DataFlowFactory.create(project=project)
    flow.assets.set(AssetFactory.create_batch(2, project=project))
    ThreatFactory.create(project=project).target_flows.set([flow])


def add_threat(project: Project, cast: Cast, n: int) -> None:
    threat = ThreatFactory.create(project=project, owner=cast.engineer, stride=["S", "T"])
    threat.impacted_assets.set(AssetFactory.create_batch(2, project=project))
    threat.target_components.set([ComponentFactory.create(project=project)])
    threat.target_flows.set([DataFlowFactory.create(project=project)])
    ThreatControlFactory.create(threat=threat)


def add_control(project: Project, cast: Cast, n: int) -> None:
    control = ControlFactory.create(project=project, owner=cast.owner)
    for threat in ThreatFactory.create_batch(2, project=project):
        ThreatControlFactory.create(threat=threat, control=control)


def add_link(project: Project, cast: Cast, n: int) -> None:
    ThreatControlFactory.create(threat=ThreatFactory.create(project=project))


LISTS: dict[str, Callable[[Project, Cast, int], None]] = {
    "api_project_list": add_project,
    "api_zone_list": add_zone,
    "api_asset_list": add_asset,
    "api_component_list": add_component,
    "api_flow_list": add_flow,
    "api_threat_list": add_threat,
    "api_control_list": add_control,
    "api_link_list": add_link,
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
    client = session_client(cast.viewer)
    list_url = url(name) if name == "api_project_list" else url(name, project.pk)
    add_row = LISTS[name]
    if name != "api_project_list":  # the project itself is the project list's first row
        add_row(project, cast, 0)
    one_row = queries_for(client, list_url, rows=1)
    for n in range(1, FULL_PAGE):
        add_row(project, cast, n)
    full_page = queries_for(client, list_url, rows=FULL_PAGE)
    assert one_row == full_page, f"{name}: {one_row} queries for 1 row, {full_page} for {FULL_PAGE}"


def test_a_token_request_costs_no_more_queries_for_a_full_page(cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team)
    client = token_client(api_token_create(user=cast.viewer, name="CI").plaintext)
    list_url = url("api_threat_list", project.pk)
    add_threat(project, cast, 0)
    client.get(list_url)  # the first use records last_used_at; later ones within minutes do not
    one_row = queries_for(client, list_url, rows=1)
    for n in range(1, FULL_PAGE):
        add_threat(project, cast, n)
    assert queries_for(client, list_url, rows=FULL_PAGE) == one_row


@pytest.mark.parametrize("library", ["api_component_library", "api_flow_library"])
def test_the_library_list_costs_the_same_queries_for_one_entry_as_for_a_page(
    library: str, cast: Cast
) -> None:
    flow = DataFlowFactory.create(project=ProjectFactory.create(team=cast.team), protocol="HTTPS")
    target = flow.source.pk if library == "api_component_library" else flow.pk
    list_url = url(library, flow.project_id, target)
    client = session_client(cast.viewer)
    entries = client.get(list_url, {"page_size": 200}).json()["count"]
    assert entries > 1
    one_entry = count_queries(lambda: client.get(list_url, {"page_size": 1}))
    assert count_queries(lambda: client.get(list_url, {"page_size": entries})) == one_entry


BULK: dict[str, tuple[Callable[[Project, Cast, int], None], str, str]] = {
    "api_threat_bulk_status": (add_threat, "mitigated", "confirmed"),  # into review: see below
    "api_control_bulk_status": (add_control, "planned", "implemented"),
}


def bulk_body(project: Project, name: str, count: int, status: str) -> dict[str, object]:
    if name == "api_threat_bulk_status":
        threats = project.threats.order_by("number")[:count]
        return {"items": [{"number": t.number, "version": t.version} for t in threats], "status": status}
    controls = project.controls.order_by("pk")[:count]
    return {"items": [{"id": c.pk, "version": c.version} for c in controls], "status": status}


@pytest.mark.parametrize("name", list(BULK))
def test_a_bulk_status_change_costs_the_same_queries_for_one_item_as_for_a_full_page(
    name: str, cast: Cast
) -> None:
    project = ProjectFactory.create(team=cast.team)
    client = session_client(cast.engineer)
    add_row, first_status, second_status = BULK[name]
    for n in range(FULL_PAGE):
        add_row(project, cast, n)

    def change(count: int, status: str) -> int:
        body = bulk_body(project, name, count, status)

        def post() -> None:
            response = client.post(url(name, project.pk), body, format="json")
            assert response.status_code == 200, response.content
            assert len(response.json()) == count

        return count_queries(post)

    one_item = change(1, first_status)
    full_page = change(FULL_PAGE, second_status)
    assert one_item == full_page, f"{name}: {one_item} queries for 1 item, {full_page} for {FULL_PAGE}"


# Threats sent into review tell the members who decide reviews (projects.notifications.threats_sent_for_review):
# who they are, their memberships and preferences, one insert, however many threats.
TELLING_DECIDERS = 3


def test_threats_sent_for_review_in_bulk_cost_the_same_few_queries_more_for_one_as_for_a_full_page(
    cast: Cast,
) -> None:
    project = ProjectFactory.create(team=cast.team)
    client = session_client(cast.engineer)
    for n in range(2 + FULL_PAGE):
        add_threat(project, cast, n)
    threats = list(project.threats.order_by("number"))

    def change(chosen: list[Threat], status: str) -> int:
        items = [{"number": threat.number, "version": threat.version} for threat in chosen]

        def post() -> None:
            response = client.post(
                url("api_threat_bulk_status", project.pk), {"items": items, "status": status}, format="json"
            )
            assert response.status_code == 200, response.content

        return count_queries(post)

    quiet = change(threats[:1], "confirmed")
    one_item = change(threats[1:2], "in_review")
    full_page = change(threats[2:], "in_review")
    assert one_item == full_page == quiet + TELLING_DECIDERS
    assert Notification.objects.filter(kind=NotificationKind.THREAT_REVIEW_REQUESTED).count() == 4
