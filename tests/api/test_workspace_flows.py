"""Data flows through the API: ends in the same project, and whether they cross a trust boundary."""

import pytest
from rest_framework.test import APIClient

from projects.models import DataFlow
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast
from tests.factories import ComponentFactory, DataFlowFactory, ProjectFactory, TrustZoneFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_lists_flows_with_their_ends_and_boundary(w: Workspace, viewer_api: APIClient) -> None:
    browser = ComponentFactory.create(project=w.project, name="Browser", kind="actor")
    DataFlowFactory.create(project=w.project, source=browser, destination=w.component, name="Checkout form")
    body = viewer_api.get(url("api_flow_list", w.project.pk)).json()
    assert [(flow["name"], flow["crosses_boundary"]) for flow in body["results"]] == [
        ("Checkout form", True),
        ("Order writes", False),
    ]
    writes = body["results"][1]
    assert (writes["source"], writes["destination"], writes["protocol"]) == (
        w.component.pk,
        w.store.pk,
        "TLS",
    )


def test_it_adds_a_flow_across_a_boundary(w: Workspace, engineer_api: APIClient) -> None:
    internet = TrustZoneFactory.create(project=w.project, name="Internet", trust_level=0)
    browser = ComponentFactory.create(project=w.project, name="Browser", kind="actor", zone=internet)
    body = {
        "name": "Card entry",
        "source": browser.pk,
        "destination": w.component.pk,
        "protocol": "HTTPS",
        "data_carried": "card number",
        "is_encrypted": True,
        "is_authenticated": False,
        "assets": [w.asset.pk],
    }
    response = engineer_api.post(url("api_flow_list", w.project.pk), body)
    assert response.status_code == 201
    assert {key: response.json()[key] for key in body} == body
    assert response.json()["crosses_boundary"] is True


def test_crosses_boundary_is_read_only(w: Workspace, engineer_api: APIClient) -> None:
    response = engineer_api.patch(
        url("api_flow_detail", w.project.pk, w.flow.pk),
        {"crosses_boundary": True, "protocol": "mTLS"},
        headers=if_match(w.flow),
    )
    assert (response.json()["crosses_boundary"], response.json()["protocol"]) == (False, "mTLS")


def test_moving_an_end_to_another_zone_makes_the_flow_cross(w: Workspace, engineer_api: APIClient) -> None:
    vault = TrustZoneFactory.create(project=w.project, name="Vault")
    engineer_api.patch(
        url("api_component_detail", w.project.pk, w.store.pk), {"zone": vault.pk}, headers=if_match(w.store)
    )
    assert engineer_api.get(url("api_flow_detail", w.project.pk, w.flow.pk)).json()["crosses_boundary"]


def test_a_flow_with_an_end_in_another_project_is_refused(
    w: Workspace, cast: Cast, owner_api: APIClient
) -> None:
    stranger = ComponentFactory.create(project=ProjectFactory.create(team=cast.team), name="Stranger")
    for body in (
        {"name": "Leak", "source": w.component.pk, "destination": stranger.pk},
        {"name": "Leak", "source": stranger.pk, "destination": w.component.pk},
    ):
        response = owner_api.post(url("api_flow_list", w.project.pk), body)
        assert field_errors(response) == {
            field: [f"This project has no component {stranger.pk}."]
            for field in ("source", "destination")
            if body[field] == stranger.pk
        }
    response = owner_api.patch(
        url("api_flow_detail", w.project.pk, w.flow.pk),
        {"destination": stranger.pk},
        headers=if_match(w.flow),
    )
    assert list(field_errors(response)) == ["destination"]
    assert list(DataFlow.objects.values_list("name", "destination")) == [("Order writes", w.store.pk)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"destination": "component"}, "destination"),
        ({"protocol": "x" * 101}, "protocol"),
        ({"data_carried": "\x00"}, "data_carried"),
        ({"is_encrypted": "perhaps"}, "is_encrypted"),
    ],
)
def test_it_rejects_bad_fields(
    body: dict[str, object], field: str, w: Workspace, owner_api: APIClient
) -> None:
    valid = {"name": "Reads", "source": w.store.pk, "destination": w.component.pk}
    response = owner_api.post(url("api_flow_list", w.project.pk), {**valid, **body})
    assert list(field_errors(response)) == [field]
    assert DataFlow.objects.count() == 1


def test_a_flow_goes_between_two_different_components(w: Workspace, owner_api: APIClient) -> None:
    response = owner_api.post(
        url("api_flow_list", w.project.pk),
        {"name": "Loop", "source": w.component.pk, "destination": w.component.pk},
    )
    assert field_errors(response) == {"destination": ["A flow goes between two different components."]}
