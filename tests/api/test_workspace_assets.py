"""Assets through the API."""

import pytest
from rest_framework.test import APIClient

from projects.models import Asset
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_lists_assets_with_their_ratings(w: Workspace, viewer_api: APIClient) -> None:
    body = viewer_api.get(url("api_asset_list", w.project.pk)).json()
    assert body["count"] == 1
    asset = body["results"][0]
    assert {key: asset[key] for key in ("id", "name", "kind", "classification", "confidentiality")} == {
        "id": w.asset.pk,
        "name": "Card data",
        "kind": "data",
        "classification": "internal",
        "confidentiality": 2,
    }


def test_it_adds_an_asset(w: Workspace, engineer_api: APIClient) -> None:
    body = {
        "name": "Signing key",
        "kind": "credential",
        "classification": "restricted",
        "confidentiality": 4,
        "integrity": 4,
        "availability": 1,
    }
    response = engineer_api.post(url("api_asset_list", w.project.pk), body)
    assert response.status_code == 201
    assert {key: response.json()[key] for key in body} == body
    assert Asset.objects.get(name="Signing key").project == w.project


def test_it_replaces_and_deletes_an_asset(w: Workspace, engineer_api: APIClient) -> None:
    detail = url("api_asset_detail", w.project.pk, w.asset.pk)
    response = engineer_api.put(
        detail, {"name": "Cardholder data", "integrity": 3}, headers=if_match(w.asset)
    )
    assert (response.json()["name"], response.json()["integrity"], response.json()["confidentiality"]) == (
        "Cardholder data",
        3,
        2,
    )
    assert engineer_api.delete(detail, headers=if_match(w.asset)).status_code == 204
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Card data"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "person"}, "kind"),
        ({"confidentiality": 0}, "confidentiality"),
        ({"integrity": 5}, "integrity"),
        ({"availability": None}, "availability"),
        ({"description": "\x00"}, "description"),
    ],
)
def test_it_rejects_bad_fields(
    body: dict[str, object], field: str, w: Workspace, owner_api: APIClient
) -> None:
    response = owner_api.post(url("api_asset_list", w.project.pk), {"name": "Tokens", **body})
    assert list(field_errors(response)) == [field]
    assert Asset.objects.count() == 1
