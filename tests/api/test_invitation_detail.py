from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Invitation
from tests.conftest import Cast
from tests.factories import InvitationFactory


def url(invitation: Invitation, org_slug: str = "acme") -> str:
    return reverse("api_invitation_detail", args=[org_slug, invitation.pk])


def test_it_withdraws_a_pending_invitation(cast: Cast, owner_api: APIClient) -> None:
    invitation = InvitationFactory.create(organisation=cast.organisation)
    assert owner_api.delete(url(invitation)).status_code == 204
    assert not Invitation.objects.filter(pk=invitation.pk).exists()


def test_it_answers_404_for_an_invitation_already_accepted(cast: Cast, owner_api: APIClient) -> None:
    invitation = InvitationFactory.create(organisation=cast.organisation, accepted_at=timezone.now())
    assert owner_api.delete(url(invitation)).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_it_answers_404_for_an_expired_invitation(cast: Cast, owner_api: APIClient) -> None:
    invitation = InvitationFactory.create(
        organisation=cast.organisation, expires_at=timezone.now() - timedelta(days=1)
    )
    assert owner_api.delete(url(invitation)).status_code == 404


def test_it_hides_the_invitation_from_outsiders(cast: Cast, outsider_api: APIClient) -> None:
    invitation = InvitationFactory.create(organisation=cast.organisation)
    assert outsider_api.delete(url(invitation)).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_it_hides_an_invitation_of_another_organisation(cast: Cast, owner_api: APIClient) -> None:
    theirs = InvitationFactory.create(organisation=cast.outsider_organisation)
    assert owner_api.delete(url(theirs)).status_code == 404
    assert Invitation.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("client_name", ["lead_api", "engineer_api", "viewer_api"])
def test_it_forbids_withdrawing_to_members_who_do_not_manage_members(
    cast: Cast, client_name: str, request: pytest.FixtureRequest
) -> None:
    invitation = InvitationFactory.create(organisation=cast.organisation)
    client: APIClient = request.getfixturevalue(client_name)
    assert client.delete(url(invitation)).status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize("method", ["get", "put", "patch", "post"])
def test_it_rejects_other_methods(cast: Cast, owner_api: APIClient, method: str) -> None:
    invitation = InvitationFactory.create(organisation=cast.organisation)
    assert getattr(owner_api, method)(url(invitation)).status_code == 405
