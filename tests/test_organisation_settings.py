import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from projects import services
from projects.models import Organisation
from tests.conftest import Cast, signed_in


def url(cast: Cast) -> str:
    return reverse("organisation_settings", args=[cast.organisation.slug])


def test_the_owner_renames_the_organisation(cast: Cast, owner_client: Client) -> None:
    assert owner_client.get(url(cast)).status_code == 200
    assert owner_client.post(url(cast), {"name": "Acme Pay Ltd"}).status_code == 302
    cast.organisation.refresh_from_db()
    assert cast.organisation.name == "Acme Pay Ltd"


def test_an_empty_name_is_a_field_error(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(url(cast), {"name": ""})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_a_name_with_a_line_break_is_a_field_error_and_changes_nothing(
    cast: Cast, owner_client: Client
) -> None:
    response = owner_client.post(url(cast), {"name": "Acme\r\nBcc: victim@x.test"})

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "Write the name on one line, without line breaks, tabs or other control characters."
    ]
    cast.organisation.refresh_from_db()
    assert cast.organisation.name == "Acme Payments"


def test_the_services_refuse_a_name_with_control_characters(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        services.organisation_rename(organisation=cast.organisation, name="Acme\x00\x07")
    assert set(refused.value.message_dict) == {"name"}
    with pytest.raises(ValidationError):
        services.organisation_create(name="Initech\u2028Ltd", owner=cast.owner)
    assert not Organisation.objects.filter(slug__startswith="initech").exists()


def test_only_owners_see_settings(cast: Cast) -> None:
    for user in (cast.security_lead, cast.engineer, cast.viewer):
        assert signed_in(user).get(url(cast)).status_code == 403


def test_outsiders_get_not_found(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(url(cast)).status_code == 404


def test_it_rejects_delete(cast: Cast, owner_client: Client) -> None:
    assert owner_client.delete(url(cast)).status_code == 405
