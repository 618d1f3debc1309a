from django.test import Client
from django.urls import reverse

from projects.models import Membership
from projects.roles import Role
from tests.conftest import Cast
from tests.factories import UserFactory


def test_it_opens_the_only_organisation(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(reverse("home"))
    assert response["Location"] == reverse("organisation_dashboard", args=["acme"])


def test_it_remembers_the_organisation_last_opened(cast: Cast, viewer_client: Client) -> None:
    Membership.objects.create(user=cast.viewer, organisation=cast.outsider_organisation, role=Role.VIEWER)
    viewer_client.get(reverse("organisation_dashboard", args=["globex"]))
    assert viewer_client.get(reverse("home"))["Location"] == reverse(
        "organisation_dashboard", args=["globex"]
    )
    viewer_client.get(reverse("organisation_dashboard", args=["acme"]))
    assert viewer_client.get(reverse("home"))["Location"] == reverse("organisation_dashboard", args=["acme"])


def test_someone_without_an_organisation_is_told_what_to_do(client: Client, db: None) -> None:
    client.force_login(UserFactory.create())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.templates[0].name == "projects/no_organisation.html"


def test_the_switcher_lists_my_organisations_only(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(reverse("organisation_dashboard", args=["acme"]))
    assert [o.slug for o in response.context["my_organisations"]] == ["acme"]


def test_home_rejects_post(cast: Cast, viewer_client: Client) -> None:
    assert viewer_client.post(reverse("home")).status_code == 405
