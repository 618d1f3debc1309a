from django.test import Client
from django.urls import reverse

from projects.models import ApiToken
from projects.services import api_token_create
from tests.conftest import Cast


def test_it_lists_only_my_tokens(cast: Cast, engineer_client: Client) -> None:
    mine = api_token_create(user=cast.engineer, name="CI").token
    api_token_create(user=cast.viewer, name="Not mine")
    response = engineer_client.get(reverse("token_list"))
    assert list(response.context["tokens"]) == [mine]


def test_a_new_token_is_shown_once_and_stored_hashed(cast: Cast, engineer_client: Client) -> None:
    response = engineer_client.post(reverse("token_create"), {"name": "CI pipeline"})
    assert response.status_code == 201
    plaintext = response.context["issued"].plaintext
    assert plaintext in response.content.decode()
    token = ApiToken.objects.get(user=cast.engineer)
    assert token.secret_hash == ApiToken.hash_secret(plaintext)
    assert plaintext not in token.secret_hash
    assert plaintext not in engineer_client.get(reverse("token_list")).content.decode()


def test_a_token_needs_a_name(cast: Cast, engineer_client: Client) -> None:
    response = engineer_client.post(reverse("token_create"), {"name": ""})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_revoked_token_stops_working(cast: Cast, engineer_client: Client) -> None:
    issued = api_token_create(user=cast.engineer, name="CI")
    me = reverse("api_me")
    assert Client().get(me, headers={"Authorization": f"Bearer {issued.plaintext}"}).status_code == 200
    assert engineer_client.post(reverse("token_revoke", args=[issued.token.pk])).status_code == 302
    assert Client().get(me, headers={"Authorization": f"Bearer {issued.plaintext}"}).status_code == 401


def test_nobody_revokes_another_users_token(cast: Cast, engineer_client: Client) -> None:
    theirs = api_token_create(user=cast.viewer, name="Theirs").token
    assert engineer_client.post(reverse("token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


def test_token_pages_reject_wrong_methods(cast: Cast, engineer_client: Client) -> None:
    assert engineer_client.post(reverse("token_list")).status_code == 405
    assert engineer_client.get(reverse("token_create")).status_code == 405


def test_token_pages_require_sign_in(client: Client) -> None:
    assert client.get(reverse("token_list")).status_code == 302
