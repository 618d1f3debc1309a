from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Invitation
from tests.api.errors import field_errors
from tests.conftest import Cast
from tests.factories import InvitationFactory, TeamFactory


def url(slug: str = "acme") -> str:
    return reverse("api_invitation_list", args=[slug])


def test_it_lists_pending_invitations_to_the_owner(cast: Cast, owner_api: APIClient) -> None:
    pending = InvitationFactory.create(
        organisation=cast.organisation, email="new@acme.test", invited_by=cast.owner
    )
    pending.teams.set([cast.team])
    InvitationFactory.create(organisation=cast.organisation, expires_at=timezone.now() - timedelta(days=1))
    InvitationFactory.create(organisation=cast.organisation, accepted_at=timezone.now())
    InvitationFactory.create(organisation=cast.outsider_organisation, email="spy@globex.test")
    response = owner_api.get(url())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert (row["id"], row["email"], row["role"]) == (pending.pk, "new@acme.test", "engineer")
    assert row["teams"] == [{"id": cast.team.pk, "slug": "payments", "name": "Payments"}]
    assert row["invited_by"]["email"] == "owner@acme.test"


def test_it_never_shows_the_invitation_secret(cast: Cast, owner_api: APIClient) -> None:
    invitation = InvitationFactory.create(organisation=cast.organisation)
    response = owner_api.get(url())
    assert invitation.token not in response.content.decode()
    assert "token" not in response.json()["results"][0]


def test_it_hides_invitations_from_outsiders(outsider_api: APIClient) -> None:
    assert outsider_api.get(url()).status_code == 404
    assert outsider_api.post(url(), {"email": "spy@globex.test", "role": "owner"}).status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("client_name", ["lead_api", "engineer_api", "viewer_api"])
def test_it_forbids_invitations_to_members_who_do_not_manage_members(
    cast: Cast, client_name: str, request: pytest.FixtureRequest
) -> None:
    client: APIClient = request.getfixturevalue(client_name)
    assert client.get(url()).status_code == 403
    assert client.post(url(), {"email": "new@acme.test", "role": "viewer"}).status_code == 403
    assert not Invitation.objects.exists()


def test_it_invites_someone_into_teams_by_slug_and_by_id(cast: Cast, owner_api: APIClient) -> None:
    body = {"email": " New@Acme.TEST ", "role": "security_lead", "teams": ["payments", cast.other_team.pk]}
    response = owner_api.post(url(), body)
    assert response.status_code == 201
    invitation = Invitation.objects.get()
    assert response.json()["id"] == invitation.pk
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new@acme.test",
        "security_lead",
        cast.owner,
    )
    assert sorted(invitation.teams.values_list("slug", flat=True)) == ["payments", "platform"]
    assert [t["slug"] for t in response.json()["teams"]] == ["payments", "platform"]


def test_it_invites_without_teams(owner_api: APIClient) -> None:
    response = owner_api.post(url(), {"email": "new@acme.test", "role": "viewer"})
    assert response.status_code == 201
    assert response.json()["teams"] == []


def test_it_sends_the_invitation_by_email(
    owner_api: APIClient, django_capture_on_commit_callbacks: pytest.FixtureDef[object]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert owner_api.post(url(), {"email": "new@acme.test", "role": "viewer"}).status_code == 201
    assert [message.to for message in mail.outbox] == [["new@acme.test"]]


def test_it_refuses_a_team_of_another_organisation(cast: Cast, owner_api: APIClient) -> None:
    theirs = TeamFactory.create(organisation=cast.outsider_organisation, name="Secret Ops", slug="secret-ops")
    for reference in (theirs.pk, "secret-ops"):
        response = owner_api.post(url(), {"email": "new@acme.test", "role": "viewer", "teams": [reference]})
        assert field_errors(response) == {"teams": [f"This organisation has no team {reference}."]}
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "new@acme.test", "role": "superuser"}, "role"),
        ({"email": "new@acme.test"}, "role"),
        ({"email": "not an email", "role": "viewer"}, "email"),
        ({"email": "new\x00@acme.test", "role": "viewer"}, "email"),
        ({"email": "x" * 250 + "@acme.test", "role": "viewer"}, "email"),
        ({"role": "viewer"}, "email"),
        ({"email": "new@acme.test", "role": "viewer", "teams": "payments"}, "teams"),
    ],
)
def test_it_rejects_bad_input(owner_api: APIClient, body: dict[str, object], field: str) -> None:
    assert field in field_errors(owner_api.post(url(), body))
    assert not Invitation.objects.exists()


def test_it_refuses_to_invite_a_member(owner_api: APIClient) -> None:
    response = owner_api.post(url(), {"email": "Viewer@acme.test", "role": "owner"})
    assert field_errors(response) == {"email": ["This person is already a member."]}


def test_it_refuses_a_second_invitation_of_the_same_person(cast: Cast, owner_api: APIClient) -> None:
    InvitationFactory.create(organisation=cast.organisation, email="new@acme.test")
    response = owner_api.post(url(), {"email": "new@acme.test", "role": "viewer"})
    assert field_errors(response) == {"email": ["This person has already been invited."]}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_rejects_other_methods(owner_api: APIClient, method: str) -> None:
    assert getattr(owner_api, method)(url(), {"email": "new@acme.test", "role": "viewer"}).status_code == 405
