"""Components through the API."""

import pytest
from rest_framework.test import APIClient

from projects.models import Component
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast
from tests.factories import AssetFactory, ProjectFactory, TrustZoneFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_lists_components_with_zone_assets_and_threat_count(w: Workspace, viewer_api: APIClient) -> None:
    w.component.assets.set([w.asset])
    body = viewer_api.get(url("api_component_list", w.project.pk)).json()
    api = body["results"][0]
    assert (api["name"], api["zone"], api["assets"], api["threat_count"], api["kind"]) == (
        "Checkout API",
        w.zone.pk,
        [w.asset.pk],
        1,
        "process",
    )


def test_it_adds_a_component(w: Workspace, engineer_api: APIClient) -> None:
    body = {
        "name": "Fraud scorer",
        "kind": "external_service",
        "zone": None,
        "technology": "Vendor REST API",
        "tags": ["vendor", "pci"],
        "assets": [w.asset.pk],
    }
    response = engineer_api.post(url("api_component_list", w.project.pk), body)
    assert response.status_code == 201
    assert {key: response.json()[key] for key in body} == body
    component = Component.objects.get(name="Fraud scorer")
    assert list(component.assets.all()) == [w.asset]


def test_it_changes_a_components_zone_and_assets(w: Workspace, engineer_api: APIClient) -> None:
    dmz = TrustZoneFactory.create(project=w.project, name="DMZ")
    tokens = AssetFactory.create(project=w.project, name="Tokens")
    response = engineer_api.patch(
        url("api_component_detail", w.project.pk, w.component.pk),
        {"zone": dmz.pk, "assets": [tokens.pk, w.asset.pk]},
        headers=if_match(w.component),
    )
    assert response.status_code == 200
    assert (response.json()["zone"], response.json()["assets"]) == (dmz.pk, [w.asset.pk, tokens.pk])


def test_deleting_a_component_deletes_its_flows(w: Workspace, engineer_api: APIClient) -> None:
    detail = url("api_component_detail", w.project.pk, w.component.pk)
    assert engineer_api.delete(detail, headers=if_match(w.component)).status_code == 204
    assert not w.project.flows.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "robot"}, "kind"),
        ({"name": "Orders DB"}, "name"),
        ({"technology": "x" * 201}, "technology"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"tags": "pci"}, "tags"),
        ({"assets": [10**20]}, "assets"),
        ({"assets": ["card data"]}, "assets"),
        ({"zone": 0}, "zone"),
    ],
)
def test_it_rejects_bad_fields(
    body: dict[str, object], field: str, w: Workspace, owner_api: APIClient
) -> None:
    response = owner_api.post(
        url("api_component_list", w.project.pk), {"name": "Queue", "kind": "data_store", **body}
    )
    assert list(field_errors(response)) == [field]
    assert Component.objects.count() == 2


def test_a_zone_or_asset_of_another_project_is_refused(
    w: Workspace, cast: Cast, owner_api: APIClient
) -> None:
    other = ProjectFactory.create(team=cast.team)
    zone, asset = TrustZoneFactory.create(project=other), AssetFactory.create(project=other)
    detail = url("api_component_detail", w.project.pk, w.component.pk)
    for body in ({"zone": zone.pk}, {"assets": [w.asset.pk, asset.pk]}):
        response = owner_api.patch(detail, body, headers=if_match(w.component))
        assert list(field_errors(response)) == list(body)
    w.component.refresh_from_db()
    assert (w.component.zone, list(w.component.assets.all()), w.component.version) == (w.zone, [], 1)
