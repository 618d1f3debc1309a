import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import Organisation
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast


def url(slug: str = "acme") -> str:
    return reverse("api_organisation_detail", args=[slug])


def test_it_shows_the_organisation_to_every_member(viewer_api: APIClient) -> None:
    response = viewer_api.get(url())
    assert response.status_code == 200
    assert response.json()["slug"] == "acme"
    assert response.json()["name"] == "Acme Payments"
    assert response.json()["role"] == "viewer"


def test_it_hides_the_organisation_from_outsiders(outsider_api: APIClient) -> None:
    assert outsider_api.get(url()).status_code == 404
    response = outsider_api.patch(url(), {"name": "Pwned"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert Organisation.objects.get(slug="acme").name == "Acme Payments"


def test_it_answers_404_for_an_unknown_organisation(owner_api: APIClient) -> None:
    assert owner_api.get(url("nowhere")).status_code == 404


def test_it_renames_the_organisation_for_the_owner(owner_api: APIClient) -> None:
    response = owner_api.patch(url(), {"name": "  Acme Payments Group "})
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Payments Group"
    assert Organisation.objects.get(slug="acme").name == "Acme Payments Group"


def test_it_changes_nothing_for_an_empty_patch(owner_api: APIClient) -> None:
    response = owner_api.patch(url(), {})
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Payments"


@pytest.mark.parametrize("client_name", ["lead_api", "engineer_api", "viewer_api"])
def test_it_forbids_renaming_to_members_who_do_not_manage_the_organisation(
    client_name: str, request: pytest.FixtureRequest
) -> None:
    client: APIClient = request.getfixturevalue(client_name)
    response = client.patch(url(), {"name": "Renamed"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert Organisation.objects.get(slug="acme").name == "Acme Payments"


@pytest.mark.parametrize("name", ["", "   ", "Acme\x00", "x" * 201, None])
def test_it_rejects_a_bad_name(owner_api: APIClient, name: str | None) -> None:
    response = owner_api.patch(url(), {"name": name})
    assert "name" in field_errors(response)
    assert Organisation.objects.get(slug="acme").name == "Acme Payments"


@pytest.mark.parametrize(
    "name", ["Acme\r\nBcc: victim@x.test", "Acme\nPay", "Acme\tPay", "Acme\x85Pay", "Acme\x1b[2J"]
)
def test_it_rejects_a_name_that_is_not_on_one_line(owner_api: APIClient, name: str) -> None:
    response = owner_api.patch(url(), {"name": name})
    assert response.status_code == 400
    assert field_errors(response)["name"] == [
        "Write the name on one line, without line breaks, tabs or other control characters."
    ]
    assert Organisation.objects.get(slug="acme").name == "Acme Payments"


@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_it_rejects_other_methods(cast: Cast, owner_api: APIClient, method: str) -> None:
    assert getattr(owner_api, method)(url(), {"name": "X"}).status_code == 405
    assert Organisation.objects.filter(slug="acme").exists()
