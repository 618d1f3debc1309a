"""The one gate for organisation pages: who is a member, and what their role allows."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase

from projects.http import AuthenticatedHttpRequest
from projects.models import Membership, Project
from projects.roles import Permission
from projects.selectors import membership_for
from projects.workspace_selectors import project_of
from projects.workspace_services import require_edit

SESSION_ORGANISATION_KEY = "organisation_slug"

# HttpResponseBase: a view may stream (a file download) as well as answer a page.
type OrganisationView[**P] = Callable[Concatenate[AuthenticatedHttpRequest, Membership, P], HttpResponseBase]


def member_required[**P](
    permission: Permission = Permission.READ,
) -> Callable[[OrganisationView[P]], Callable[..., HttpResponseBase]]:
    """Resolve `org_slug` to the user's membership (404 for non-members), then check the permission (403)."""

    def decorator(view: OrganisationView[P]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(
            request: AuthenticatedHttpRequest, org_slug: str, *args: P.args, **kwargs: P.kwargs
        ) -> HttpResponseBase:
            membership = membership_for(request.user, org_slug)
            request.membership = membership  # the error pages' header names the organisation too
            if not membership.can(permission):
                raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot do this.")
            if request.session.get(SESSION_ORGANISATION_KEY) != org_slug:
                request.session[SESSION_ORGANISATION_KEY] = org_slug
            return view(request, membership, *args, **kwargs)

        return wrapped

    return decorator


type ProjectView[**P] = Callable[
    Concatenate[AuthenticatedHttpRequest, Membership, Project, P], HttpResponseBase
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def project_required[**P]() -> Callable[[ProjectView[P]], Callable[..., HttpResponseBase]]:
    """Resolve `org_slug` and `project_id` to the member's project (404 otherwise). A write (any method but
    GET/HEAD) also needs the right to edit the project: its team's engineers, security leads, owners (403)."""

    def decorator(view: ProjectView[P]) -> Callable[..., HttpResponseBase]:
        @member_required()
        @wraps(view)
        def wrapped(
            request: AuthenticatedHttpRequest,
            membership: Membership,
            project_id: int,
            *args: P.args,
            **kwargs: P.kwargs,
        ) -> HttpResponseBase:
            project = project_of(membership, project_id)
            if request.method not in SAFE_METHODS:
                require_edit(membership, project)
            return view(request, membership, project, *args, **kwargs)

        return wrapped

    return decorator
