import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import Team
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast
from tests.factories import TeamFactory


def url(slug: str = "acme") -> str:
    return reverse("api_team_list", args=[slug])


def test_it_lists_the_teams_to_every_member(viewer_api: APIClient) -> None:
    response = viewer_api.get(url())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(t["slug"], t["name"], t["member_count"]) for t in body["results"]] == [
        ("payments", "Payments", 1),
        ("platform", "Platform", 1),
    ]


def test_it_lists_only_this_organisations_teams(cast: Cast, owner_api: APIClient) -> None:
    TeamFactory.create(organisation=cast.outsider_organisation, name="Secret Ops", slug="secret-ops")
    assert "secret" not in owner_api.get(url()).content.decode().lower()


def test_it_pages_the_teams(cast: Cast, viewer_api: APIClient) -> None:
    TeamFactory.create_batch(53, organisation=cast.organisation)
    first = viewer_api.get(url()).json()
    assert first["count"] == 55
    assert len(first["results"]) == 50
    assert first["previous"] is None
    second = viewer_api.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None


def test_it_hides_the_teams_from_outsiders(outsider_api: APIClient) -> None:
    assert outsider_api.get(url()).status_code == 404
    assert outsider_api.post(url(), {"name": "Intruders"}).status_code == 404
    assert not Team.objects.filter(name="Intruders").exists()


def test_it_creates_a_team_for_the_owner(cast: Cast, owner_api: APIClient) -> None:
    response = owner_api.post(url(), {"name": " Red Team "})
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["name"], body["member_count"]) == ("red-team", "Red Team", 0)
    assert Team.objects.get(organisation=cast.organisation, slug="red-team").name == "Red Team"


@pytest.mark.parametrize("client_name", ["lead_api", "engineer_api", "viewer_api"])
def test_it_forbids_creating_teams_to_members_who_do_not_manage_teams(
    client_name: str, request: pytest.FixtureRequest
) -> None:
    client: APIClient = request.getfixturevalue(client_name)
    response = client.post(url(), {"name": "Red Team"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not Team.objects.filter(name="Red Team").exists()


@pytest.mark.parametrize("name", ["", "   ", "Red\x00Team", "x" * 121, None])
def test_it_rejects_a_bad_name(owner_api: APIClient, name: str | None) -> None:
    response = owner_api.post(url(), {"name": name})
    assert list(field_errors(response)) == ["name"]
    assert Team.objects.count() == 2


def test_it_rejects_a_missing_name(owner_api: APIClient) -> None:
    assert field_errors(owner_api.post(url(), {}))["name"] == ["This field is required."]


def test_it_rejects_a_name_another_team_has(owner_api: APIClient) -> None:
    response = owner_api.post(url(), {"name": "PAYMENTS"})
    assert field_errors(response) == {"name": ["A team with this name already exists."]}


def test_it_accepts_only_json(owner_api: APIClient) -> None:
    response = owner_api.post(url(), {"name": "Red Team"}, format="multipart")
    assert response.status_code == 415
    assert not Team.objects.filter(name="Red Team").exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_rejects_other_methods(owner_api: APIClient, method: str) -> None:
    assert getattr(owner_api, method)(url(), {"name": "X"}).status_code == 405
