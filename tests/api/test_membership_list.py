import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import Cast


def url(slug: str = "acme") -> str:
    return reverse("api_membership_list", args=[slug])


def test_it_lists_every_member_with_role_and_teams_to_every_member(cast: Cast, viewer_api: APIClient) -> None:
    response = viewer_api.get(url())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    rows = {m["user"]["email"]: (m["role"], [t["slug"] for t in m["teams"]]) for m in body["results"]}
    assert rows == {
        "engineer@acme.test": ("engineer", ["payments"]),
        "lead@acme.test": ("security_lead", []),
        "owner@acme.test": ("owner", []),
        "platform@acme.test": ("engineer", ["platform"]),
        "viewer@acme.test": ("viewer", []),
    }


def test_it_lists_only_this_organisations_members(owner_api: APIClient) -> None:
    assert "outsider@globex.test" not in owner_api.get(url()).content.decode()


def test_it_hides_the_members_from_outsiders(outsider_api: APIClient) -> None:
    assert outsider_api.get(url()).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_rejects_other_methods(owner_api: APIClient, method: str) -> None:
    assert getattr(owner_api, method)(url(), {"role": "owner"}).status_code == 405
