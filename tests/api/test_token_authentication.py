from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import ApiToken
from projects.services import api_token_create, api_token_revoke
from tests.api.conftest import token_client
from tests.api.errors import error_of
from tests.conftest import Cast

ME = reverse("api_me")


def test_a_token_authenticates_without_a_session(cast: Cast) -> None:
    issued = api_token_create(user=cast.viewer, name="Reporting")
    response = token_client(issued.plaintext).get(reverse("api_team_list", args=["acme"]))
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_a_token_carries_its_owners_role(cast: Cast) -> None:
    issued = api_token_create(user=cast.viewer, name="Reporting")
    response = token_client(issued.plaintext).post(reverse("api_team_list", args=["acme"]), {"name": "Red"})
    assert response.status_code == 403


def test_the_bearer_keyword_is_case_insensitive(cast: Cast) -> None:
    issued = api_token_create(user=cast.viewer, name="Reporting")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {issued.plaintext}")
    assert client.get(ME).status_code == 200


def test_a_revoked_token_gets_401(cast: Cast) -> None:
    issued = api_token_create(user=cast.viewer, name="Reporting")
    api_token_revoke(token=issued.token)
    response = token_client(issued.plaintext).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "authentication_failed"


def test_a_wrong_secret_gets_401(cast: Cast) -> None:
    issued = api_token_create(user=cast.viewer, name="Reporting")
    assert token_client(issued.plaintext[:-2] + "xx").get(ME).status_code == 401


@pytest.mark.parametrize(
    "plaintext",
    ["", "nonsense", "tm_", "tm__secret", "tm_abc", "Tm_abcdef012345_x", "tm_\x00\x00_x", "tm_é_x"],
)
def test_a_malformed_token_gets_401(cast: Cast, plaintext: str) -> None:
    response = token_client(plaintext).get(ME)
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_a_malformed_token_gets_401_even_with_a_session(cast: Cast, viewer_api: APIClient) -> None:
    viewer_api.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    assert viewer_api.get(ME).status_code == 401


def test_a_token_of_a_disabled_account_gets_401(cast: Cast) -> None:
    issued = api_token_create(user=cast.viewer, name="Reporting")
    cast.viewer.is_active = False
    cast.viewer.save(update_fields=["is_active"])
    assert token_client(issued.plaintext).get(ME).status_code == 401


def test_it_records_when_a_token_was_last_used(cast: Cast) -> None:
    issued = api_token_create(user=cast.viewer, name="Reporting")
    token_client(issued.plaintext).get(ME)
    last_used = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert last_used is not None
    assert timezone.now() - last_used < timedelta(minutes=1)


def test_a_session_write_needs_the_csrf_token_but_a_token_write_does_not(cast: Cast) -> None:
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(cast.owner)
    assert session.post(reverse("api_token_list"), {"name": "Forged"}).status_code == 403

    token = token_client(api_token_create(user=cast.owner, name="CI").plaintext)
    token.handler.enforce_csrf_checks = True
    assert token.post(reverse("api_token_list"), {"name": "Scripted"}).status_code == 201
    assert list(ApiToken.objects.order_by("name").values_list("name", flat=True)) == ["CI", "Scripted"]
