"""Optimistic concurrency on every workspace object: ETag on reads, If-Match required to change or delete."""

import pytest
from rest_framework.test import APIClient

from projects.api_workspace import etag
from projects.models import ThreatControl
from tests.api.errors import error_of
from tests.api.workspace import RESOURCE_IDS, RESOURCES, Resource, Workspace, build_workspace, if_match
from tests.conftest import Cast


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def someone_else_changes(resource: Resource, w: Workspace) -> None:
    """A write by another client, straight to the row: its version moves on."""
    obj = resource.obj(w)
    type(obj)._default_manager.filter(pk=obj.pk).update(version=obj.version + 1)


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_a_read_carries_a_strong_etag_naming_the_object_and_its_version(
    resource: Resource, w: Workspace, viewer_api: APIClient
) -> None:
    obj = resource.obj(w)
    response = viewer_api.get(resource.detail_url(w))
    assert response.status_code == 200
    assert response["ETag"] == f'"{resource.name}-{obj.pk}-v1"'
    assert response.json()["version"] == 1


def test_the_etag_reads_like_threat_id_and_version(w: Workspace, viewer_api: APIClient) -> None:
    response = viewer_api.get(RESOURCES[5].detail_url(w))
    assert response["ETag"] == f'"threat-{w.threat.pk}-v1"'


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_a_change_with_the_current_etag_is_saved_and_moves_the_etag_on(
    resource: Resource, w: Workspace, owner_api: APIClient
) -> None:
    url = resource.detail_url(w)
    before = owner_api.get(url)["ETag"]
    response = owner_api.patch(url, resource.change, headers={"If-Match": before})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response["ETag"] not in (before, None)
    assert response["ETag"] == owner_api.get(url)["ETag"]
    for field, value in resource.change.items():
        assert response.json()[field] == value


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_without_if_match_is_428_and_changes_nothing(
    resource: Resource, method: str, w: Workspace, owner_api: APIClient
) -> None:
    url = resource.detail_url(w)
    before = owner_api.get(url).json()
    body = {"put": resource.create(w), "patch": resource.change, "delete": None}[method]
    response = getattr(owner_api, method)(url, body)
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"
    assert "If-Match" in error_of(response)["message"]
    assert owner_api.get(url).json() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_change_without_if_match_is_428_before_its_body_is_read(
    resource: Resource, method: str, w: Workspace, owner_api: APIClient
) -> None:
    url = resource.detail_url(w)
    bad = {field: "\x00" for field in resource.change} | {"name": "", "title": "", "threat_source": ""}
    response = getattr(owner_api, method)(url, bad)
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"
    with_if_match = getattr(owner_api, method)(url, bad, headers=if_match(resource.obj(w)))
    assert with_if_match.status_code == 400  # the same body, read once the precondition is there


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_write_with_a_stale_etag_is_412_with_the_current_object_and_changes_nothing(
    resource: Resource, method: str, w: Workspace, owner_api: APIClient
) -> None:
    url = resource.detail_url(w)
    stale = owner_api.get(url)["ETag"]
    someone_else_changes(resource, w)
    current = owner_api.get(url)
    response = getattr(owner_api, method)(
        url, resource.change if method == "patch" else None, headers={"If-Match": stale}
    )
    assert response.status_code == 412
    body = response.json()
    assert set(body) == {"error", "current"}
    assert body["error"]["code"] == "precondition_failed"
    assert body["current"] == current.json()
    assert body["current"]["version"] == 2
    assert response["ETag"] == current["ETag"]
    assert owner_api.get(url).json() == current.json()


@pytest.mark.parametrize(
    "header",
    ['W/"{tag}"', '"zone-999999-v1"', '"{tag}-and-more"', "v1", '"thing"'],
    ids=["weak", "another-object", "garbled", "bare", "unknown"],
)
def test_an_if_match_that_names_no_version_of_this_object_is_412(
    header: str, w: Workspace, owner_api: APIClient
) -> None:
    url = RESOURCES[5].detail_url(w)
    tag = owner_api.get(url)["ETag"].strip('"')
    response = owner_api.patch(url, {"threat_impact": "fraud"}, headers={"If-Match": header.format(tag=tag)})
    assert response.status_code == 412
    w.threat.refresh_from_db()
    assert (w.threat.threat_impact, w.threat.version) == ("", 1)


def test_if_match_star_does_not_stand_for_a_version(w: Workspace, owner_api: APIClient) -> None:
    response = owner_api.delete(RESOURCES[5].detail_url(w), headers={"If-Match": "*"})
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"


def test_one_of_several_tags_may_name_the_current_version(w: Workspace, owner_api: APIClient) -> None:
    tags = f'"threat-{w.threat.pk}-v7", {etag(w.threat)}'
    response = owner_api.delete(RESOURCES[5].detail_url(w), headers={"If-Match": tags})
    assert response.status_code == 204


def test_a_put_based_on_a_stale_read_is_412_too(w: Workspace, owner_api: APIClient) -> None:
    url = RESOURCES[1].detail_url(w)
    read = owner_api.get(url)
    someone_else_changes(RESOURCES[1], w)
    body = {"name": "Payments VPC", "trust_level": 1}
    assert owner_api.put(url, body, headers={"If-Match": read["ETag"]}).status_code == 412
    w.zone.refresh_from_db()
    assert w.zone.trust_level == 3


def test_a_client_re_applies_its_change_to_the_current_version(w: Workspace, owner_api: APIClient) -> None:
    url = RESOURCES[5].detail_url(w)
    stale = owner_api.get(url)["ETag"]
    owner_api.patch(url, {"prerequisites": "with a stolen session"}, headers={"If-Match": stale})
    conflict = owner_api.patch(url, {"threat_impact": "double charges"}, headers={"If-Match": stale})
    assert conflict.status_code == 412
    assert conflict.json()["current"]["prerequisites"] == "with a stolen session"
    retry = owner_api.patch(url, {"threat_impact": "double charges"}, headers={"If-Match": conflict["ETag"]})
    assert retry.status_code == 200
    assert (retry.json()["prerequisites"], retry.json()["threat_impact"]) == (
        "with a stolen session",
        "double charges",
    )


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_a_read_with_the_current_etag_in_if_none_match_is_304(
    resource: Resource, w: Workspace, viewer_api: APIClient
) -> None:
    url = resource.detail_url(w)
    tag = viewer_api.get(url)["ETag"]
    response = viewer_api.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 304
    assert response["ETag"] == tag
    assert not response.content
    someone_else_changes(resource, w)
    assert viewer_api.get(url, headers={"If-None-Match": tag}).status_code == 200


def test_a_delete_of_a_link_needs_its_own_etag(w: Workspace, owner_api: APIClient) -> None:
    url = RESOURCES[7].detail_url(w)
    response = owner_api.delete(url, headers=if_match(w.threat))
    assert response.status_code == 412
    assert owner_api.delete(url, headers=if_match(w.link)).status_code == 204
    assert not ThreatControl.objects.filter(pk=w.link.pk).exists()
