from django.test import Client
from django.urls import reverse

from projects.models import Team
from tests.conftest import Cast, signed_in
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory
from tests.queries import count_queries


def list_url(cast: Cast) -> str:
    return reverse("team_list", args=[cast.organisation.slug])


def create_url(cast: Cast) -> str:
    return reverse("team_create", args=[cast.organisation.slug])


def detail_url(cast: Cast, team: Team) -> str:
    return reverse("team_detail", args=[cast.organisation.slug, team.slug])


def test_it_lists_teams_with_member_counts(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(list_url(cast))
    assert response.status_code == 200
    counts = {team.name: team.member_count for team in response.context["teams"]}
    assert counts == {"Payments": 1, "Platform": 1}


def test_team_list_queries_do_not_grow_with_teams(cast: Cast, owner_client: Client) -> None:
    owner_client.get(list_url(cast))
    few = count_queries(lambda: owner_client.get(list_url(cast)))
    for _ in range(20):
        MembershipFactory.create(
            organisation=cast.organisation, teams=[TeamFactory.create(organisation=cast.organisation)]
        )
    assert count_queries(lambda: owner_client.get(list_url(cast))) == few


def test_the_owner_creates_a_team(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(create_url(cast), {"name": "  Mobile Apps "})
    team = Team.objects.get(organisation=cast.organisation, name="Mobile Apps")
    assert team.slug == "mobile-apps"
    assert response["Location"] == detail_url(cast, team)


def test_a_team_may_not_take_the_slug_of_the_create_page(cast: Cast, owner_client: Client) -> None:
    owner_client.post(create_url(cast), {"name": "New"})
    assert Team.objects.get(name="New").slug != "new"


def test_a_duplicate_team_name_is_a_field_error(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(create_url(cast), {"name": "payments"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["A team with this name already exists."]
    assert Team.objects.filter(organisation=cast.organisation).count() == 2


def test_a_nul_byte_or_an_overlong_name_is_refused(cast: Cast, owner_client: Client) -> None:
    assert owner_client.post(create_url(cast), {"name": "bad\x00name"}).status_code == 400
    assert owner_client.post(create_url(cast), {"name": "x" * 121}).status_code == 400
    assert Team.objects.filter(organisation=cast.organisation).count() == 2


def test_only_owners_create_teams(cast: Cast) -> None:
    for user in (cast.security_lead, cast.engineer, cast.viewer):
        assert signed_in(user).post(create_url(cast), {"name": "Sneaky"}).status_code == 403
    assert not Team.objects.filter(name="Sneaky").exists()


def test_create_rejects_get(cast: Cast, owner_client: Client) -> None:
    assert owner_client.get(create_url(cast)).status_code == 405


def test_team_detail_lists_its_members(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(detail_url(cast, cast.team))
    assert [m.user for m in response.context["members"]] == [cast.engineer]


def test_the_owner_renames_a_team(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(detail_url(cast, cast.team), {"name": "Payments Core"})
    assert response.status_code == 302
    cast.team.refresh_from_db()
    assert cast.team.name == "Payments Core"


def test_renaming_to_another_teams_name_is_refused(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(detail_url(cast, cast.team), {"name": "Platform"})
    assert response.status_code == 400
    cast.team.refresh_from_db()
    assert cast.team.name == "Payments"


def test_an_engineer_cannot_rename_their_team(cast: Cast, engineer_client: Client) -> None:
    assert engineer_client.post(detail_url(cast, cast.team), {"name": "Mine"}).status_code == 403
    cast.team.refresh_from_db()
    assert cast.team.name == "Payments"


def test_the_owner_deletes_a_team(cast: Cast, owner_client: Client) -> None:
    url = reverse("team_delete", args=[cast.organisation.slug, cast.team.slug])
    assert signed_in(cast.viewer).post(url).status_code == 403
    assert owner_client.get(url).status_code == 405
    assert owner_client.post(url).status_code == 302
    assert not Team.objects.filter(pk=cast.team.pk).exists()


def test_a_team_that_owns_projects_is_not_deleted(cast: Cast, owner_client: Client) -> None:
    ProjectFactory.create(team=cast.team, name="Checkout")
    response = owner_client.post(
        reverse("team_delete", args=[cast.organisation.slug, cast.team.slug]), follow=True
    )
    assert Team.objects.filter(pk=cast.team.pk).exists()
    assert "owns projects (Checkout). Move them to another team first." in response.text
