"""Trust zones through the API."""

import pytest
from rest_framework.test import APIClient

from projects.models import TrustZone
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast
from tests.factories import ProjectFactory, TrustZoneFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_lists_zones_by_trust_level(w: Workspace, viewer_api: APIClient) -> None:
    internet = TrustZoneFactory.create(project=w.project, name="Internet", trust_level=0)
    body = viewer_api.get(url("api_zone_list", w.project.pk)).json()
    assert [(zone["name"], zone["trust_level"], zone["component_count"]) for zone in body["results"]] == [
        ("Internet", 0, 0),
        ("Payments VPC", 3, 2),
    ]
    assert body["results"][0]["id"] == internet.pk


def test_it_adds_a_zone_inside_another(w: Workspace, engineer_api: APIClient) -> None:
    response = engineer_api.post(
        url("api_zone_list", w.project.pk),
        {"name": "Card vault", "trust_level": 4, "parent": w.zone.pk, "description": "PCI scope"},
    )
    assert response.status_code == 201
    zone = TrustZone.objects.get(name="Card vault")
    assert (zone.parent, zone.trust_level, zone.project) == (w.zone, 4, w.project)
    assert response.json()["parent"] == w.zone.pk


def test_it_changes_and_deletes_a_zone(w: Workspace, engineer_api: APIClient) -> None:
    detail = url("api_zone_detail", w.project.pk, w.zone.pk)
    response = engineer_api.patch(detail, {"name": "Payments subnet"}, headers=if_match(w.zone))
    assert response.json()["name"] == "Payments subnet"
    assert engineer_api.delete(detail, headers=if_match(w.zone)).status_code == 204
    w.component.refresh_from_db()
    assert w.component.zone is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Payments VPC"}, "name"),
        ({"name": "DMZ\x00"}, "name"),
        ({"trust_level": 5}, "trust_level"),
        ({"trust_level": "high"}, "trust_level"),
        ({"parent": 10**20}, "parent"),
        ({"parent": "1"}, "parent"),
        ({"description": "x" * 2_001}, "description"),
    ],
)
def test_it_rejects_bad_fields(
    body: dict[str, object], field: str, w: Workspace, owner_api: APIClient
) -> None:
    response = owner_api.post(url("api_zone_list", w.project.pk), {"name": "DMZ", **body})
    assert list(field_errors(response)) == [field]
    assert TrustZone.objects.count() == 1


def test_a_parent_from_another_project_is_refused(w: Workspace, cast: Cast, owner_api: APIClient) -> None:
    elsewhere = TrustZoneFactory.create(project=ProjectFactory.create(team=cast.team))
    response = owner_api.post(url("api_zone_list", w.project.pk), {"name": "DMZ", "parent": elsewhere.pk})
    assert field_errors(response) == {"parent": [f"This project has no trust zone {elsewhere.pk}."]}
    assert not TrustZone.objects.filter(name="DMZ").exists()


def test_a_zone_cannot_sit_inside_itself(w: Workspace, owner_api: APIClient) -> None:
    inner = TrustZoneFactory.create(project=w.project, name="Inner", parent=w.zone)
    response = owner_api.patch(
        url("api_zone_detail", w.project.pk, w.zone.pk), {"parent": inner.pk}, headers=if_match(w.zone)
    )
    assert list(field_errors(response)) == ["parent"]
    w.zone.refresh_from_db()
    assert (w.zone.parent, w.zone.version) == (None, 1)
