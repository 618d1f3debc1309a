from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Invitation, Membership, User
from projects.roles import Role
from tests.conftest import Cast, signed_in
from tests.factories import UserFactory


@pytest.fixture
def invitation(cast: Cast) -> Invitation:
    invitation = Invitation.objects.create(
        organisation=cast.organisation,
        email="newcomer@example.com",
        role=Role.ENGINEER,
        invited_by=cast.owner,
    )
    invitation.teams.set([cast.team])
    return invitation


def url(invitation: Invitation) -> str:
    return reverse("invitation_accept", args=[invitation.token])


def test_it_shows_who_invites_to_what(invitation: Invitation, client: Client) -> None:
    response = client.get(url(invitation))
    assert response.status_code == 200
    assert response.context["invitation"] == invitation


def test_a_newcomer_sets_a_password_and_joins(invitation: Invitation, client: Client) -> None:
    response = client.post(
        url(invitation),
        {"name": "New Comer", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="newcomer@example.com")
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role) == (invitation.organisation, Role.ENGINEER)
    assert list(membership.teams.all()) == [invitation.organisation.teams.get(slug="payments")]
    assert client.session[SESSION_KEY] == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_mismatched_or_weak_passwords_are_field_errors(invitation: Invitation, client: Client) -> None:
    response = client.post(url(invitation), {"password1": "a-long-pass-phrase", "password2": "different-one"})
    assert response.status_code == 400
    assert "password2" in response.context["form"].errors
    response = client.post(url(invitation), {"password1": "123", "password2": "123"})
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_a_signed_in_person_with_the_invited_email_joins(invitation: Invitation) -> None:
    user = UserFactory.create(email="newcomer@example.com")
    response = signed_in(user).post(url(invitation))
    assert response.status_code == 302
    assert Membership.objects.filter(user=user, organisation=invitation.organisation).exists()


def test_someone_else_cannot_use_the_invitation(invitation: Invitation, cast: Cast) -> None:
    signed_in(cast.outsider).post(url(invitation))
    assert not Membership.objects.filter(user=cast.outsider, organisation=invitation.organisation).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_expired_invitation_cannot_be_used(invitation: Invitation, client: Client) -> None:
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save(update_fields=["expires_at"])
    client.post(url(invitation), {"password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"})
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_an_invitation_is_used_once(invitation: Invitation, client: Client) -> None:
    body = {"password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    client.post(url(invitation), body)
    response = Client().post(url(invitation), body)
    assert response.status_code == 200
    assert User.objects.filter(email="newcomer@example.com").count() == 1


def test_an_unknown_token_is_not_found(client: Client, db: None) -> None:
    assert client.get(reverse("invitation_accept", args=["nope"])).status_code == 404


def test_it_rejects_put(invitation: Invitation, client: Client) -> None:
    assert client.put(url(invitation)).status_code == 405
