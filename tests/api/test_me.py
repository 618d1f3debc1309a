from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.errors import error_of
from tests.conftest import Cast
from tests.factories import MembershipFactory, OrganisationFactory

URL = reverse("api_me")


def test_it_shows_me_and_my_organisations_with_my_role(cast: Cast, engineer_api: APIClient) -> None:
    response = engineer_api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == cast.engineer.pk
    assert body["email"] == "engineer@acme.test"
    assert body["name"] == cast.engineer.name
    assert [(o["slug"], o["role"]) for o in body["organisations"]] == [("acme", "engineer")]


def test_it_lists_only_my_organisations(cast: Cast, outsider_api: APIClient) -> None:
    OrganisationFactory.create(name="Initech", slug="initech")
    MembershipFactory.create(
        user=cast.outsider, organisation=OrganisationFactory.create(name="Hooli", slug="hooli")
    )
    response = outsider_api.get(URL)
    assert [o["slug"] for o in response.json()["organisations"]] == ["globex", "hooli"]


def test_it_rejects_post(viewer_api: APIClient) -> None:
    response = viewer_api.post(URL, {})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_it_requires_authentication(anonymous_api: APIClient) -> None:
    response = anonymous_api.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "not_authenticated"
