from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from projects.models import Invitation, Membership, Organisation
from projects.roles import Role
from projects.tasks import send_invitation_email
from projects.views import MEMBERS_PER_PAGE
from tests.conftest import Cast, signed_in
from tests.factories import InvitationFactory, MembershipFactory
from tests.queries import count_queries


def members_url(cast: Cast) -> str:
    return reverse("member_list", args=[cast.organisation.slug])


def update_url(cast: Cast, membership: Membership) -> str:
    return reverse("member_update", args=[cast.organisation.slug, membership.pk])


def remove_url(cast: Cast, membership: Membership) -> str:
    return reverse("member_remove", args=[cast.organisation.slug, membership.pk])


def invite_url(cast: Cast) -> str:
    return reverse("member_invite", args=[cast.organisation.slug])


def test_it_lists_members_to_every_member(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.get(members_url(cast))
    assert response.status_code == 200
    assert {m.user.email for m in response.context["members"]} >= {"owner@acme.test", "viewer@acme.test"}
    assert response.context["can_manage"] is False


def test_it_hides_members_from_outsiders(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(members_url(cast)).status_code == 404


def test_member_list_queries_do_not_grow_with_members(cast: Cast, owner_client: Client) -> None:
    url = members_url(cast)
    InvitationFactory.create(organisation=cast.organisation)
    owner_client.get(url)
    few = count_queries(lambda: owner_client.get(url))
    for _ in range(20):
        MembershipFactory.create(organisation=cast.organisation, teams=[cast.team, cast.other_team])
        InvitationFactory.create(organisation=cast.organisation)
    assert count_queries(lambda: owner_client.get(url)) == few


def test_a_long_member_list_is_paged(cast: Cast, viewer_client: Client) -> None:
    existing = Membership.objects.filter(organisation=cast.organisation).count()
    MembershipFactory.create_batch(MEMBERS_PER_PAGE + 1 - existing, organisation=cast.organisation)
    first = viewer_client.get(members_url(cast))
    assert len(first.context["members"]) == MEMBERS_PER_PAGE
    assert f"Showing 1\u2013{MEMBERS_PER_PAGE} of {MEMBERS_PER_PAGE + 1}" in first.text
    assert 'href="?page=2"' in first.text
    second = viewer_client.get(members_url(cast), {"page": 2})
    assert len(second.context["members"]) == 1
    shown = {m.pk for m in first.context["members"]} | {m.pk for m in second.context["members"]}
    assert len(shown) == MEMBERS_PER_PAGE + 1
    assert viewer_client.get(members_url(cast), {"page": "nonsense"}).status_code == 200


def test_the_owner_invites_a_member_and_an_email_goes_out(
    cast: Cast, owner_client: Client, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = owner_client.post(
            invite_url(cast),
            {"email": "New.Person@Example.com", "role": Role.ENGINEER, "teams": [cast.team.pk]},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(organisation=cast.organisation)
    assert (invitation.email, invitation.role, list(invitation.teams.all())) == (
        "new.person@example.com",
        Role.ENGINEER,
        [cast.team],
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert invitation.token in mail.outbox[0].body


def test_an_invitation_from_an_organisation_named_over_two_lines_goes_with_a_one_line_subject(
    cast: Cast,
) -> None:
    """A name written before names were checked: the subject is made one line rather than the e-mail refused."""
    Organisation.objects.filter(pk=cast.organisation.pk).update(name="Acme\r\nBcc: victim@x.test")
    invitation = InvitationFactory.create(organisation=cast.organisation, email="new.person@example.com")

    assert send_invitation_email(invitation.pk) is True

    [message] = mail.outbox
    assert message.subject == "You are invited to Acme Bcc: victim@x.test on Threat Model"
    assert message.bcc == []


def test_inviting_an_existing_member_is_a_field_error(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(invite_url(cast), {"email": "viewer@acme.test", "role": Role.VIEWER})
    assert response.status_code == 400
    assert response.context["invite_form"].errors["email"] == ["This person is already a member."]
    assert not Invitation.objects.exists()


def test_inviting_with_an_unknown_role_is_a_field_error(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(invite_url(cast), {"email": "x@example.com", "role": "emperor"})
    assert response.status_code == 400
    assert "role" in response.context["invite_form"].errors


def test_inviting_twice_is_refused(cast: Cast, owner_client: Client) -> None:
    owner_client.post(invite_url(cast), {"email": "x@example.com", "role": Role.VIEWER})
    response = owner_client.post(invite_url(cast), {"email": "X@example.com", "role": Role.VIEWER})
    assert response.status_code == 400
    assert Invitation.objects.count() == 1


def test_only_owners_invite(cast: Cast) -> None:
    for user in (cast.security_lead, cast.engineer, cast.viewer):
        response = signed_in(user).post(invite_url(cast), {"email": "x@example.com", "role": Role.VIEWER})
        assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_invite_rejects_get(cast: Cast, owner_client: Client) -> None:
    assert owner_client.get(invite_url(cast)).status_code == 405


def test_the_owner_changes_a_role_and_teams(cast: Cast, owner_client: Client) -> None:
    viewer = cast.membership(cast.viewer)
    response = owner_client.post(
        update_url(cast, viewer), {"role": Role.ENGINEER, "teams": [cast.other_team.pk]}
    )
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.role == Role.ENGINEER
    assert list(viewer.teams.all()) == [cast.other_team]


def test_a_role_change_over_htmx_answers_the_row(cast: Cast, owner_client: Client) -> None:
    viewer = cast.membership(cast.viewer)
    response = owner_client.post(
        update_url(cast, viewer), {"role": Role.SECURITY_LEAD}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'id="member-{viewer.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_the_last_owner_cannot_step_down(cast: Cast, owner_client: Client) -> None:
    owner = cast.membership(cast.owner)
    response = owner_client.post(update_url(cast, owner), {"role": Role.VIEWER})
    assert response.status_code == 400
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_only_owners_change_roles(cast: Cast, engineer_client: Client) -> None:
    viewer = cast.membership(cast.viewer)
    assert engineer_client.post(update_url(cast, viewer), {"role": Role.OWNER}).status_code == 403
    viewer.refresh_from_db()
    assert viewer.role == Role.VIEWER


def test_a_removed_member_loses_access_at_once(cast: Cast, owner_client: Client) -> None:
    engineer_client = signed_in(cast.engineer)
    dashboard = reverse("organisation_dashboard", args=[cast.organisation.slug])
    assert engineer_client.get(dashboard).status_code == 200
    response = owner_client.post(remove_url(cast, cast.membership(cast.engineer)))
    assert response.status_code == 302
    assert engineer_client.get(dashboard).status_code == 302  # signed out: no organisation left
    assert not Membership.objects.filter(user=cast.engineer).exists()


def test_a_member_of_two_organisations_keeps_the_other(cast: Cast, owner_client: Client) -> None:
    Membership.objects.create(user=cast.engineer, organisation=cast.outsider_organisation, role=Role.VIEWER)
    engineer_client = signed_in(cast.engineer)
    owner_client.post(remove_url(cast, cast.membership(cast.engineer)))
    assert (
        engineer_client.get(reverse("organisation_dashboard", args=[cast.organisation.slug])).status_code
        == 404
    )
    other = reverse("organisation_dashboard", args=[cast.outsider_organisation.slug])
    assert engineer_client.get(other).status_code == 200
    assert SESSION_KEY in engineer_client.session


def test_the_last_owner_cannot_be_removed(cast: Cast, owner_client: Client) -> None:
    owner_client.post(remove_url(cast, cast.membership(cast.owner)))
    assert Membership.objects.filter(user=cast.owner, role=Role.OWNER).exists()


def test_only_owners_remove_members(cast: Cast, viewer_client: Client) -> None:
    assert viewer_client.post(remove_url(cast, cast.membership(cast.engineer))).status_code == 403
    assert Membership.objects.filter(user=cast.engineer).exists()


def test_remove_rejects_get(cast: Cast, owner_client: Client) -> None:
    assert owner_client.get(remove_url(cast, cast.membership(cast.engineer))).status_code == 405


def test_the_owner_withdraws_an_invitation(cast: Cast, owner_client: Client) -> None:
    invitation = Invitation.objects.create(
        organisation=cast.organisation, email="x@example.com", role=Role.VIEWER
    )
    url = reverse("invitation_revoke", args=[cast.organisation.slug, invitation.pk])
    assert signed_in(cast.security_lead).post(url).status_code == 403
    assert owner_client.post(url).status_code == 302
    assert not Invitation.objects.exists()
