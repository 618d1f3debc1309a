"""Who may read and write each kind of workspace object through the API, by session or by token."""

import pytest
from rest_framework.test import APIClient

from projects.models import Threat
from projects.services import api_token_create
from tests.api.conftest import session_client, token_client
from tests.api.errors import error_of
from tests.api.workspace import RESOURCE_IDS, RESOURCES, Resource, Workspace, build_workspace, if_match
from tests.conftest import Cast
from tests.factories import ProjectFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_every_member_reads(resource: Resource, w: Workspace, viewer_api: APIClient) -> None:
    assert viewer_api.get(resource.list_url(w)).status_code == 200
    assert viewer_api.get(resource.detail_url(w)).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_the_owning_teams_engineer_creates_changes_and_deletes(
    resource: Resource, w: Workspace, engineer_api: APIClient
) -> None:
    created = engineer_api.post(resource.list_url(w), resource.create(w))
    assert created.status_code == 201, created.content
    assert created["ETag"].endswith('-v1"')
    url = resource.detail_url(w)
    changed = engineer_api.patch(url, resource.change, headers=if_match(resource.obj(w)))
    assert changed.status_code == 200, changed.content
    assert engineer_api.delete(url, headers={"If-Match": changed["ETag"]}).status_code == 204
    assert engineer_api.get(url).status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
@pytest.mark.parametrize("who", ["viewer", "other_engineer"])
def test_members_who_may_not_edit_the_project_get_403_and_change_nothing(
    resource: Resource, who: str, w: Workspace, cast: Cast
) -> None:
    client = session_client(getattr(cast, who))
    url = resource.detail_url(w)
    before = client.get(url).json()
    headers = if_match(resource.obj(w))
    answers = [
        client.post(resource.list_url(w), resource.create(w)),
        client.put(url, resource.create(w), headers=headers),
        client.patch(url, resource.change, headers=headers),
        client.delete(url, headers=headers),
    ]
    if resource.name == "project" and who == "other_engineer":
        # Engineers create projects, but only for their own teams.
        assert answers[0].status_code == 400
        answers = answers[1:]
    for response in answers:
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "permission_denied"
    assert client.get(url).json() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_outsiders_get_404_for_everything(resource: Resource, w: Workspace, outsider_api: APIClient) -> None:
    url = resource.detail_url(w)
    headers = if_match(resource.obj(w))
    for response in [
        outsider_api.get(resource.list_url(w)),
        outsider_api.post(resource.list_url(w), resource.create(w)),
        outsider_api.get(url),
        outsider_api.put(url, resource.create(w), headers=headers),
        outsider_api.patch(url, resource.change, headers=headers),
        outsider_api.delete(url, headers=headers),
    ]:
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    resource.obj(w).refresh_from_db()


@pytest.mark.parametrize("resource", RESOURCES[1:], ids=RESOURCE_IDS[1:])
def test_an_object_of_another_project_is_not_found_under_this_one(
    resource: Resource, w: Workspace, cast: Cast, owner_api: APIClient
) -> None:
    other = ProjectFactory.create(team=cast.team, name="Ledger")
    url = resource.detail_url(w).replace(f"/projects/{w.project.pk}/", f"/projects/{other.pk}/")
    assert owner_api.get(url).status_code == 404
    assert owner_api.delete(url, headers=if_match(resource.obj(w))).status_code == 404
    resource.obj(w).refresh_from_db()


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_IDS)
def test_other_methods_are_405(resource: Resource, w: Workspace, owner_api: APIClient) -> None:
    for method in ("put", "patch", "delete"):
        assert getattr(owner_api, method)(resource.list_url(w), {}).status_code == 405
    assert owner_api.post(resource.detail_url(w), resource.create(w)).status_code == 405


def test_anonymous_requests_get_401(w: Workspace, anonymous_api: APIClient) -> None:
    response = anonymous_api.get(RESOURCES[5].list_url(w))
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_token_logs_a_threat_with_its_owners_rights(w: Workspace, cast: Cast) -> None:
    client = token_client(api_token_create(user=cast.engineer, name="CI").plaintext)
    response = client.post(
        RESOURCES[5].list_url(w), {"threat_source": "bot", "threat_action": "enumerate coupon codes"}
    )
    assert response.status_code == 201
    assert response.json()["reference"] == "T-2"
    assert Threat.objects.get(project=w.project, number=2).created_by == cast.engineer


def test_a_viewers_token_reads_but_does_not_write(w: Workspace, cast: Cast) -> None:
    client = token_client(api_token_create(user=cast.viewer, name="Reporting").plaintext)
    assert client.get(RESOURCES[5].detail_url(w)).status_code == 200
    response = client.patch(RESOURCES[5].detail_url(w), {"threat_impact": "x"}, headers=if_match(w.threat))
    assert response.status_code == 403
