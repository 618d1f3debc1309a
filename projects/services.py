"""Every write that touches more than one row, enqueues work or must keep an invariant.

The HTML views, the API and the management commands all call these; none of them writes on its own.
"""

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from projects.models import TOKEN_PREFIX, ApiToken, Invitation, Membership, Organisation, Team, User
from projects.one_line import validate_one_line
from projects.roles import Role
from projects.tasks import send_invitation_email


def _unique_slug(base: str, taken: Iterable[str]) -> str:
    root = slugify(base)[:50] or "item"
    used = set(taken)
    slug, n = root, 2
    while slug in used:
        slug, n = f"{root}-{n}", n + 1
    return slug


def _check_organisation_name(name: str) -> None:
    try:
        validate_one_line(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None


@transaction.atomic
def organisation_create(*, name: str, owner: User) -> Organisation:
    _check_organisation_name(name)
    slug = _unique_slug(
        name, Organisation.objects.filter(slug__startswith=slugify(name)[:50]).values_list("slug", flat=True)
    )
    organisation = Organisation.objects.create(name=name, slug=slug)
    Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
    return organisation


def organisation_rename(*, organisation: Organisation, name: str) -> Organisation:
    _check_organisation_name(name)
    organisation.name = name
    organisation.save(update_fields=["name"])
    return organisation


def _check_teams_belong(
    organisation: Organisation, teams: Iterable[Team], field: str = "teams"
) -> list[Team]:
    teams = list(teams)
    if any(team.organisation_id != organisation.pk for team in teams):
        raise ValidationError({field: "Choose teams of this organisation."})
    return teams


@transaction.atomic
def team_create(*, organisation: Organisation, name: str) -> Team:
    name = name.strip()
    if organisation.teams.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A team with this name already exists."})
    # "new" is the path of the create form, so no team may take it as its slug.
    slug = _unique_slug(name, [*organisation.teams.values_list("slug", flat=True), "new"])
    return Team.objects.create(organisation=organisation, name=name, slug=slug)


@transaction.atomic
def team_rename(*, team: Team, name: str) -> Team:
    name = name.strip()
    if team.organisation.teams.exclude(pk=team.pk).filter(name__iexact=name).exists():
        raise ValidationError({"name": "A team with this name already exists."})
    team.name = name
    team.save(update_fields=["name"])
    return team


def team_delete(*, team: Team) -> None:
    projects = list(team.projects.values_list("name", flat=True)[:4])
    if projects:
        shown = ", ".join(projects[:3]) + (" and more" if len(projects) > 3 else "")
        raise ValidationError(f"{team.name} owns projects ({shown}). Move them to another team first.")
    team.delete()


def _owner_count(organisation: Organisation) -> int:
    return organisation.memberships.filter(role=Role.OWNER).count()


@transaction.atomic
def membership_update(
    *, membership: Membership, role: str | None = None, teams: Iterable[Team] | None = None
) -> Membership:
    # Lock the organisation's owners so two owners cannot demote each other at the same moment.
    list(Membership.objects.select_for_update().filter(organisation=membership.organisation, role=Role.OWNER))
    if role is not None and role != membership.role:
        if membership.role == Role.OWNER and _owner_count(membership.organisation) <= 1:
            raise ValidationError(
                {"role": "An organisation needs at least one owner; make someone else owner first."}
            )
        membership.role = role
        membership.save(update_fields=["role"])
    if teams is not None:
        membership.teams.set(_check_teams_belong(membership.organisation, teams))
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member. Their access to this organisation ends with this transaction, by session or token.

    When it was their last organisation, their sessions are ended and their tokens revoked as well.
    """
    list(Membership.objects.select_for_update().filter(organisation=membership.organisation, role=Role.OWNER))
    if membership.role == Role.OWNER and _owner_count(membership.organisation) <= 1:
        raise ValidationError("An organisation needs at least one owner; make someone else owner first.")
    user = membership.user
    membership.delete()
    if not user.memberships.exists():
        user_sign_out_everywhere(user=user)


def user_sign_out_everywhere(*, user: User) -> None:
    user.session_stamp = uuid.uuid4()
    user.save(update_fields=["session_stamp"])
    user.api_tokens.active().update(revoked_at=timezone.now())


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: str, teams: Iterable[Team] = (), invited_by: User
) -> Invitation:
    email = email.strip().lower()
    teams = _check_teams_belong(organisation, teams)
    if organisation.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member."})
    # An expired, unanswered invitation makes way for the new one.
    organisation.invitations.filter(email__iexact=email, accepted_at__isnull=True).exclude(
        pk__in=organisation.invitations.pending().values("pk")
    ).delete()
    if organisation.invitations.pending().filter(email__iexact=email).exists():
        raise ValidationError({"email": "This person has already been invited."})
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role, invited_by=invited_by
    )
    invitation.teams.set(teams)
    send_invitation_email.delay_on_commit(invitation.pk)  # type: ignore[attr-defined]  # Celery 5.4+, not in celery-types
    return invitation


def invitation_revoke(*, invitation: Invitation) -> None:
    invitation.delete()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError("This invitation has expired or has already been used.")
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(f"This invitation is for {invitation.email}; sign in with that address.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, organisation=invitation.organisation, role=invitation.role
            )
    except IntegrityError:
        raise ValidationError("You are already a member of this organisation.") from None
    membership.teams.set(invitation.teams.all())
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_accept_as_new_user(*, invitation: Invitation, password: str, name: str = "") -> User:
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError("An account with this email exists already; sign in to accept.")
    user = User.objects.create_user(invitation.email, password, name=name)
    invitation_accept(invitation=invitation, user=user)
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str


def api_token_create(*, user: User, name: str) -> IssuedToken:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secret}"
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=prefix, secret_hash=ApiToken.hash_secret(plaintext)
    )
    return IssuedToken(token=token, plaintext=plaintext)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
