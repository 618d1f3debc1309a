import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import Team
from tests.api.errors import field_errors
from tests.conftest import Cast
from tests.factories import ProjectFactory, TeamFactory


def url(team_slug: str = "payments", org_slug: str = "acme") -> str:
    return reverse("api_team_detail", args=[org_slug, team_slug])


def test_it_shows_a_team_to_every_member(cast: Cast, viewer_api: APIClient) -> None:
    response = viewer_api.get(url())
    assert response.status_code == 200
    assert response.json() == {
        "id": cast.team.pk,
        "slug": "payments",
        "name": "Payments",
        "member_count": 1,
        "created_at": response.json()["created_at"],
    }


def test_it_hides_the_team_from_outsiders(outsider_api: APIClient) -> None:
    assert outsider_api.get(url()).status_code == 404
    assert outsider_api.patch(url(), {"name": "Pwned"}).status_code == 404
    assert outsider_api.delete(url()).status_code == 404
    assert Team.objects.filter(slug="payments", name="Payments").exists()


def test_it_hides_a_team_of_another_organisation(cast: Cast, owner_api: APIClient) -> None:
    TeamFactory.create(organisation=cast.outsider_organisation, name="Secret Ops", slug="secret-ops")
    assert owner_api.get(url("secret-ops")).status_code == 404
    assert owner_api.patch(url("secret-ops"), {"name": "Mine"}).status_code == 404
    assert owner_api.delete(url("secret-ops")).status_code == 404
    assert Team.objects.filter(slug="secret-ops", name="Secret Ops").exists()


def test_it_renames_a_team_and_keeps_its_slug(owner_api: APIClient) -> None:
    response = owner_api.patch(url(), {"name": "Payments Core"})
    assert response.status_code == 200
    assert (response.json()["slug"], response.json()["name"]) == ("payments", "Payments Core")
    assert Team.objects.get(slug="payments").name == "Payments Core"


def test_it_deletes_a_team(owner_api: APIClient) -> None:
    response = owner_api.delete(url())
    assert response.status_code == 204
    assert not Team.objects.filter(slug="payments").exists()


@pytest.mark.parametrize("client_name", ["lead_api", "engineer_api", "viewer_api"])
def test_it_forbids_changes_to_members_who_do_not_manage_teams(
    client_name: str, request: pytest.FixtureRequest
) -> None:
    client: APIClient = request.getfixturevalue(client_name)
    assert client.get(url()).status_code == 200
    assert client.patch(url(), {"name": "Renamed"}).status_code == 403
    assert client.delete(url()).status_code == 403
    assert Team.objects.filter(slug="payments", name="Payments").exists()


@pytest.mark.parametrize("name", ["", "Pay\x00ments", "x" * 121, "Platform"])
def test_it_rejects_a_bad_name(owner_api: APIClient, name: str) -> None:
    response = owner_api.patch(url(), {"name": name})
    assert list(field_errors(response)) == ["name"]
    assert Team.objects.get(slug="payments").name == "Payments"


@pytest.mark.parametrize("method", ["put", "post"])
def test_it_rejects_other_methods(owner_api: APIClient, method: str) -> None:
    assert getattr(owner_api, method)(url(), {"name": "X"}).status_code == 405


def test_it_refuses_to_delete_a_team_that_owns_projects(cast: Cast, owner_api: APIClient) -> None:
    ProjectFactory.create(team=cast.team, name="Checkout")
    response = owner_api.delete(url())
    assert response.status_code == 400
    assert "Move them to another team first" in response.json()["error"]["message"]
    assert Team.objects.filter(pk=cast.team.pk).exists()
