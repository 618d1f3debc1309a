import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import ApiToken
from projects.services import api_token_create
from tests.api.conftest import token_client
from tests.api.errors import field_errors
from tests.conftest import Cast

URL = reverse("api_token_list")


def test_it_lists_only_my_tokens(cast: Cast, engineer_api: APIClient) -> None:
    mine = api_token_create(user=cast.engineer, name="CI pipeline")
    api_token_create(user=cast.owner, name="Owner's laptop")
    response = engineer_api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert (row["id"], row["name"], row["active"]) == (mine.token.pk, "CI pipeline", True)
    assert row["prefix"] == f"tm_{mine.token.prefix}"


def test_it_never_shows_a_secret_in_the_list(cast: Cast, engineer_api: APIClient) -> None:
    issued = api_token_create(user=cast.engineer, name="CI pipeline")
    text = engineer_api.get(URL).content.decode()
    assert issued.plaintext not in text
    assert issued.token.secret_hash not in text
    assert "token" not in engineer_api.get(URL).json()["results"][0]


def test_it_creates_a_token_and_shows_it_once(cast: Cast, engineer_api: APIClient) -> None:
    response = engineer_api.post(URL, {"name": " CI pipeline "})
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(user=cast.engineer)
    assert (body["id"], body["name"], body["active"]) == (token.pk, "CI pipeline", True)
    assert body["token"].startswith(f"tm_{token.prefix}_")
    assert token_client(body["token"]).get(reverse("api_me")).json()["email"] == "engineer@acme.test"
    assert body["token"] not in engineer_api.get(URL).content.decode()
    assert body["token"] not in engineer_api.get(reverse("api_me")).content.decode()


def test_it_issues_a_new_secret_every_time(engineer_api: APIClient) -> None:
    first = engineer_api.post(URL, {"name": "One"}).json()["token"]
    second = engineer_api.post(URL, {"name": "One"}).json()["token"]
    assert first != second


@pytest.mark.parametrize("name", ["", "   ", "CI\x00", "x" * 101, None])
def test_it_rejects_a_bad_name(engineer_api: APIClient, name: str | None) -> None:
    assert list(field_errors(engineer_api.post(URL, {"name": name}))) == ["name"]
    assert not ApiToken.objects.exists()


def test_it_requires_authentication(db: None, anonymous_api: APIClient) -> None:
    assert anonymous_api.get(URL).status_code == 401
    assert anonymous_api.post(URL, {"name": "Sneaky"}).status_code == 401
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_rejects_other_methods(engineer_api: APIClient, method: str) -> None:
    assert getattr(engineer_api, method)(URL, {"name": "X"}).status_code == 405
