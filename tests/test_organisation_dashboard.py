from django.test import Client
from django.urls import reverse

from tests.conftest import Cast


def url(cast: Cast) -> str:
    return reverse("organisation_dashboard", args=[cast.organisation.slug])


def test_it_shows_the_dashboard_to_every_member(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(url(cast))
    assert response.status_code == 200
    assert response.context["organisation"] == cast.organisation


def test_it_hides_the_organisation_from_outsiders(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(url(cast)).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(cast: Cast, client: Client) -> None:
    response = client.get(url(cast))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_rejects_post(cast: Cast, viewer_client: Client) -> None:
    assert viewer_client.post(url(cast)).status_code == 405
