from collections.abc import Callable

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import Membership, User
from projects.roles import Role
from tests.api.conftest import token_client
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast
from tests.factories import MembershipFactory, OrganisationFactory, TeamFactory


def url(membership: Membership, org_slug: str = "acme") -> str:
    return reverse("api_membership_detail", args=[org_slug, membership.pk])


def teams_of(membership: Membership) -> list[str]:
    return sorted(membership.teams.values_list("slug", flat=True))


def test_it_shows_a_member_to_every_member(cast: Cast, viewer_api: APIClient) -> None:
    engineer = cast.membership(cast.engineer)
    response = viewer_api.get(url(engineer))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == engineer.pk
    assert body["user"] == {"id": cast.engineer.pk, "email": "engineer@acme.test", "name": cast.engineer.name}
    assert body["role"] == "engineer"
    assert body["teams"] == [{"id": cast.team.pk, "slug": "payments", "name": "Payments"}]


def test_it_hides_members_from_outsiders(cast: Cast, outsider_api: APIClient) -> None:
    engineer = cast.membership(cast.engineer)
    assert outsider_api.get(url(engineer)).status_code == 404
    assert outsider_api.patch(url(engineer), {"role": "viewer"}).status_code == 404
    assert outsider_api.delete(url(engineer)).status_code == 404
    assert Membership.objects.get(pk=engineer.pk).role == Role.ENGINEER


def test_it_hides_a_membership_of_another_organisation(cast: Cast, owner_api: APIClient) -> None:
    theirs = Membership.objects.get(user=cast.outsider)
    assert owner_api.get(url(theirs)).status_code == 404
    assert owner_api.patch(url(theirs), {"role": "viewer"}).status_code == 404
    assert owner_api.delete(url(theirs)).status_code == 404
    assert Membership.objects.get(pk=theirs.pk).role == Role.OWNER


def test_it_changes_a_members_role(cast: Cast, owner_api: APIClient) -> None:
    engineer = cast.membership(cast.engineer)
    response = owner_api.patch(url(engineer), {"role": "security_lead"})
    assert response.status_code == 200
    assert response.json()["role"] == "security_lead"
    assert [t["slug"] for t in response.json()["teams"]] == ["payments"]
    assert Membership.objects.get(pk=engineer.pk).role == Role.SECURITY_LEAD


def test_it_sets_a_members_teams_by_slug_and_by_id(cast: Cast, owner_api: APIClient) -> None:
    viewer = cast.membership(cast.viewer)
    response = owner_api.patch(url(viewer), {"teams": ["payments", cast.other_team.pk]})
    assert response.status_code == 200
    assert [t["slug"] for t in response.json()["teams"]] == ["payments", "platform"]
    assert teams_of(viewer) == ["payments", "platform"]
    assert Membership.objects.get(pk=viewer.pk).role == Role.VIEWER


def test_it_takes_a_member_out_of_every_team_with_an_empty_list(cast: Cast, owner_api: APIClient) -> None:
    engineer = cast.membership(cast.engineer)
    assert owner_api.patch(url(engineer), {"teams": []}).json()["teams"] == []
    assert teams_of(engineer) == []


def test_it_refuses_a_team_of_another_organisation(cast: Cast, owner_api: APIClient) -> None:
    theirs = TeamFactory.create(organisation=cast.outsider_organisation, name="Secret Ops", slug="secret-ops")
    engineer = cast.membership(cast.engineer)
    for reference in (theirs.pk, "secret-ops"):
        response = owner_api.patch(url(engineer), {"role": "viewer", "teams": ["platform", reference]})
        assert field_errors(response) == {"teams": [f"This organisation has no team {reference}."]}
    assert teams_of(engineer) == ["payments"]
    assert Membership.objects.get(pk=engineer.pk).role == Role.ENGINEER


def test_it_refuses_an_unknown_team(cast: Cast, owner_api: APIClient) -> None:
    response = owner_api.patch(url(cast.membership(cast.engineer)), {"teams": ["nope", 999999]})
    assert field_errors(response) == {"teams": ["This organisation has no team nope, 999999."]}


@pytest.mark.parametrize(
    "teams", [True, [True], [1.5], [None], ["bad slug!"], [{}], ["x\x00"], [2**63], "payments"]
)
def test_it_refuses_malformed_team_references(cast: Cast, owner_api: APIClient, teams: object) -> None:
    engineer = cast.membership(cast.engineer)
    assert "teams" in field_errors(owner_api.patch(url(engineer), {"teams": teams}))
    assert teams_of(engineer) == ["payments"]


@pytest.mark.parametrize("role", ["admin", "OWNER", "", None, "owner\x00"])
def test_it_rejects_an_unknown_role(cast: Cast, owner_api: APIClient, role: str | None) -> None:
    engineer = cast.membership(cast.engineer)
    assert "role" in field_errors(owner_api.patch(url(engineer), {"role": role}))
    assert Membership.objects.get(pk=engineer.pk).role == Role.ENGINEER


def test_it_keeps_the_last_owner(cast: Cast, owner_api: APIClient) -> None:
    owner = cast.membership(cast.owner)
    assert "role" in field_errors(owner_api.patch(url(owner), {"role": "viewer"}))
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_it_removes_a_member(cast: Cast, owner_api: APIClient) -> None:
    engineer = cast.membership(cast.engineer)
    assert owner_api.delete(url(engineer)).status_code == 204
    assert not Membership.objects.filter(pk=engineer.pk).exists()


def test_it_does_not_remove_the_last_owner(cast: Cast, owner_api: APIClient) -> None:
    owner = cast.membership(cast.owner)
    response = owner_api.delete(url(owner))
    assert response.status_code == 400
    assert "at least one owner" in error_of(response)["message"]
    assert Membership.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize("client_name", ["lead_api", "engineer_api", "viewer_api"])
def test_it_forbids_changes_to_members_who_do_not_manage_members(
    cast: Cast, client_name: str, request: pytest.FixtureRequest
) -> None:
    client: APIClient = request.getfixturevalue(client_name)
    viewer = cast.membership(cast.viewer)
    assert client.patch(url(viewer), {"role": "owner"}).status_code == 403
    assert client.delete(url(viewer)).status_code == 403
    assert Membership.objects.get(pk=viewer.pk).role == Role.VIEWER


def test_a_removed_member_loses_the_organisation_at_once_but_keeps_their_others(
    cast: Cast, owner_api: APIClient, token_for: Callable[[User], str]
) -> None:
    MembershipFactory.create(user=cast.engineer, organisation=OrganisationFactory.create(slug="elsewhere"))
    client = token_client(token_for(cast.engineer))
    teams_url = reverse("api_team_list", args=["acme"])
    assert client.get(teams_url).status_code == 200

    assert owner_api.delete(url(cast.membership(cast.engineer))).status_code == 204

    assert client.get(teams_url).status_code == 404
    assert client.get(reverse("api_organisation_detail", args=["acme"])).status_code == 404
    assert [o["slug"] for o in client.get(reverse("api_me")).json()["organisations"]] == ["elsewhere"]


def test_a_member_removed_from_their_last_organisation_loses_their_tokens(
    cast: Cast, owner_api: APIClient, token_for: Callable[[User], str]
) -> None:
    client = token_client(token_for(cast.engineer))
    assert owner_api.delete(url(cast.membership(cast.engineer))).status_code == 204
    assert client.get(reverse("api_me")).status_code == 401


@pytest.mark.parametrize("method", ["put", "post"])
def test_it_rejects_other_methods(cast: Cast, owner_api: APIClient, method: str) -> None:
    assert getattr(owner_api, method)(url(cast.membership(cast.viewer)), {"role": "owner"}).status_code == 405
