"""Every API list answers with the same number of queries for one row as for twenty."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import Organisation, Team, User
from projects.roles import Role
from projects.services import api_token_create
from tests.api.conftest import session_client
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
)
from tests.queries import count_queries


@dataclass
class Estate:
    """An organisation with only its owner, so each list starts from the rows a test adds."""

    organisation: Organisation
    owner: User

    def new_teams(self) -> list[Team]:
        return TeamFactory.create_batch(2, organisation=self.organisation)

    def add_team(self, n: int) -> None:
        team = TeamFactory.create(organisation=self.organisation)
        MembershipFactory.create(organisation=self.organisation, teams=[team])

    def add_member(self, n: int) -> None:
        MembershipFactory.create(organisation=self.organisation, role=Role.VIEWER, teams=self.new_teams())

    def add_invitation(self, n: int) -> None:
        invitation = InvitationFactory.create(organisation=self.organisation, invited_by=UserFactory.create())
        invitation.teams.set(self.new_teams())

    def add_token(self, n: int) -> None:
        api_token_create(user=self.owner, name=f"token {n}")

    def add_organisation(self, n: int) -> None:
        MembershipFactory.create(
            user=self.owner, organisation=OrganisationFactory.create(), role=Role.ENGINEER
        )


@pytest.fixture
def estate(db: None) -> Estate:
    organisation = OrganisationFactory.create(slug="estate")
    owner = UserFactory.create()
    MembershipFactory.create(user=owner, organisation=organisation, role=Role.OWNER)
    return Estate(organisation=organisation, owner=owner)


LISTS: dict[str, tuple[str, list[str], Callable[[Estate, int], None]]] = {
    # name: (URL name, URL arguments, how to add one row); the owner's own membership and organisation are
    # the first row of the member and organisation lists.
    "organisations": ("api_organisation_list", [], Estate.add_organisation),
    "me": ("api_me", [], Estate.add_organisation),
    "teams": ("api_team_list", ["estate"], Estate.add_team),
    "memberships": ("api_membership_list", ["estate"], Estate.add_member),
    "invitations": ("api_invitation_list", ["estate"], Estate.add_invitation),
    "tokens": ("api_token_list", [], Estate.add_token),
}
ALREADY_ONE_ROW = {"organisations", "me", "memberships"}


def queries_for(client: APIClient, url: str, rows: int) -> int:
    def fetch() -> None:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert len(body["organisations"] if "organisations" in body else body["results"]) == rows

    return count_queries(fetch)


@pytest.mark.parametrize("name", list(LISTS))
def test_the_list_costs_the_same_queries_for_one_row_as_for_twenty(estate: Estate, name: str) -> None:
    url_name, args, add_row = LISTS[name]
    url = reverse(url_name, args=args)
    client = session_client(estate.owner)
    if name not in ALREADY_ONE_ROW:
        add_row(estate, 0)
    one_row = queries_for(client, url, rows=1)
    for n in range(1, 20):
        add_row(estate, n)
    twenty_rows = queries_for(client, url, rows=20)
    assert one_row == twenty_rows, f"{name}: {one_row} queries for 1 row, {twenty_rows} for 20"


def test_a_token_request_costs_no_more_queries_for_twenty_rows(estate: Estate) -> None:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=estate.owner, name='CI').plaintext}"
    )
    url = reverse("api_membership_list", args=["estate"])
    client.get(url)  # the first use records last_used_at; later ones within minutes do not
    one_row = queries_for(client, url, rows=1)
    for n in range(1, 20):
        estate.add_member(n)
    assert queries_for(client, url, rows=20) == one_row
