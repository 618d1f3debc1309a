"""The API's one gate, as projects.access is for the HTML views: membership first (404), then role (403)."""

from rest_framework import exceptions
from rest_framework.request import Request

from projects import selectors
from projects.models import Membership, User
from projects.roles import Permission


def request_user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return user


def organisation_membership(
    request: Request, org_slug: str, permission: Permission = Permission.READ
) -> Membership:
    """The user's membership of the organisation: 404 for non-members, 403 when their role forbids it."""
    membership = selectors.membership_for(request_user(request), org_slug)
    require(membership, permission)
    return membership


def require(membership: Membership, permission: Permission) -> None:
    if not membership.can(permission):
        raise exceptions.PermissionDenied(f"Your role ({membership.get_role_display()}) cannot do this.")
