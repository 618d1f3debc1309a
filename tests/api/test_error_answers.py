"""Every failure answers in the one error shape, and odd input is a 4xx, never a 500."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.errors import error_of
from tests.conftest import Cast

HUGE_ID = 10**20  # beyond PostgreSQL's bigint


@pytest.mark.parametrize(
    "url",
    [
        reverse("api_membership_detail", args=["acme", HUGE_ID]),
        reverse("api_invitation_detail", args=["acme", HUGE_ID]),
        reverse("api_token_detail", args=[HUGE_ID]),
    ],
)
def test_an_id_beyond_the_database_range_is_not_found(owner_api: APIClient, url: str) -> None:
    response = owner_api.delete(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("page", ["abc", "0", "99"])
def test_a_page_that_does_not_exist_is_not_found(owner_api: APIClient, page: str) -> None:
    response = owner_api.get(reverse("api_team_list", args=["acme"]), {"page": page})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_malformed_json_is_a_parse_error(cast: Cast, owner_api: APIClient) -> None:
    url = reverse("api_team_list", args=["acme"])
    response = owner_api.post(url, "{name:", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_a_body_that_is_not_an_object_is_invalid(owner_api: APIClient) -> None:
    response = owner_api.post(reverse("api_team_list", args=["acme"]), ["Red Team"])
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["fields"]) == ("invalid", {})
    assert "Expected a dictionary" in error["message"]


def test_field_errors_name_each_field_and_list_item(cast: Cast, owner_api: APIClient) -> None:
    url = reverse("api_membership_detail", args=["acme", cast.membership(cast.viewer).pk])
    response = owner_api.patch(url, {"role": "admin", "teams": ["payments", 1.5]})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "role": ['"admin" is not a valid choice.'],
        "teams": {"1": ["Name a team by its id (a number) or its slug (text)."]},
    }
