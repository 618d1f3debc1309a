"""Reads of organisation data. Every one starts from the user, so a lookup that fails access is a 404."""

from collections.abc import Iterable

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from projects.models import ApiToken, Invitation, Membership, Organisation, Team, User


def organisations_for(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.visible_to(user).order_by("name")


def membership_for(user: User, organisation_slug: str) -> Membership:
    """The user's own membership of the organisation, or 404 when they are not a member."""
    if not user.is_authenticated:
        raise Http404("No such organisation.")
    membership = (
        Membership.objects.select_related("organisation", "user")
        .filter(user=user, organisation__slug=organisation_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    return membership


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        organisation.memberships.select_related("user")
        .prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))
        .order_by("user__email")
    )


def member_of(organisation: Organisation, membership_id: int) -> Membership:
    membership = members_of(organisation).filter(pk=membership_id).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


def teams_of(organisation: Organisation) -> QuerySet[Team]:
    return organisation.teams.annotate(member_count=Count("memberships")).order_by("name")


def team_of(organisation: Organisation, team_slug: str) -> Team:
    team = teams_of(organisation).filter(slug=team_slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def pending_invitations_of(organisation: Organisation) -> QuerySet[Invitation]:
    return (
        organisation.invitations.pending()
        .select_related("invited_by")
        .prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))
        .order_by("email")
    )


def invitation_of(organisation: Organisation, invitation_id: int) -> Invitation:
    invitation = pending_invitations_of(organisation).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def invitation_by_token(token: str) -> Invitation:
    invitation = Invitation.objects.select_related("organisation").filter(token=token).first()
    if invitation is None:
        raise Http404("This invitation does not exist.")
    return invitation


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_of(user: User, token_id: int) -> ApiToken:
    token = tokens_of(user).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's own memberships, each with its organisation: where they belong and in which role."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )


def teams_named(
    organisation: Organisation, *, ids: Iterable[int] = (), slugs: Iterable[str] = ()
) -> QuerySet[Team]:
    """The organisation's teams among those named by id or by slug; names from elsewhere match nothing."""
    return organisation.teams.filter(Q(pk__in=list(ids)) | Q(slug__in=list(slugs))).order_by("name")
