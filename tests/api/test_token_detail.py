import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import ApiToken
from projects.services import api_token_create
from tests.api.conftest import token_client
from tests.conftest import Cast


def url(token: ApiToken) -> str:
    return reverse("api_token_detail", args=[token.pk])


def test_it_revokes_my_token_at_once(cast: Cast, engineer_api: APIClient) -> None:
    issued = api_token_create(user=cast.engineer, name="CI pipeline")
    client = token_client(issued.plaintext)
    assert client.get(reverse("api_me")).status_code == 200

    assert engineer_api.delete(url(issued.token)).status_code == 204

    assert client.get(reverse("api_me")).status_code == 401
    listed = engineer_api.get(reverse("api_token_list")).json()["results"][0]
    assert listed["active"] is False
    assert listed["revoked_at"] is not None


def test_a_token_can_revoke_itself(cast: Cast) -> None:
    issued = api_token_create(user=cast.engineer, name="CI pipeline")
    client = token_client(issued.plaintext)
    assert client.delete(url(issued.token)).status_code == 204
    assert client.get(reverse("api_me")).status_code == 401


def test_it_hides_other_peoples_tokens(cast: Cast, engineer_api: APIClient) -> None:
    theirs = api_token_create(user=cast.owner, name="Owner's laptop")
    assert engineer_api.delete(url(theirs.token)).status_code == 404
    assert ApiToken.objects.get(pk=theirs.token.pk).is_active


@pytest.mark.parametrize("method", ["get", "put", "patch", "post"])
def test_it_rejects_other_methods(cast: Cast, engineer_api: APIClient, method: str) -> None:
    issued = api_token_create(user=cast.engineer, name="CI pipeline")
    assert getattr(engineer_api, method)(url(issued.token)).status_code == 405
    assert ApiToken.objects.get(pk=issued.token.pk).is_active
