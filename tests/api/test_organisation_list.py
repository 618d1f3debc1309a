from django.urls import reverse
from rest_framework.test import APIClient

from projects.roles import Permission
from tests.conftest import Cast
from tests.factories import MembershipFactory, OrganisationFactory

URL = reverse("api_organisation_list")


def test_it_lists_only_my_organisations(cast: Cast, owner_api: APIClient) -> None:
    MembershipFactory.create(
        user=cast.owner, organisation=OrganisationFactory.create(name="Beta Ltd", slug="beta")
    )
    response = owner_api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(o["slug"], o["name"]) for o in body["results"]] == [
        ("acme", "Acme Payments"),
        ("beta", "Beta Ltd"),
    ]
    assert "globex" not in response.content.decode()


def test_it_shows_my_role_and_what_it_allows(viewer_api: APIClient) -> None:
    [organisation] = viewer_api.get(URL).json()["results"]
    assert organisation["role"] == "viewer"
    assert Permission.READ in organisation["permissions"]
    assert Permission.MANAGE_MEMBERS not in organisation["permissions"]


def test_it_rejects_post(owner_api: APIClient) -> None:
    assert owner_api.post(URL, {"name": "New"}).status_code == 405


def test_it_requires_authentication(anonymous_api: APIClient) -> None:
    assert anonymous_api.get(URL).status_code == 401
