from typing import Any

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from projects.models import Membership, User


class AuthenticatedHttpRequest(HttpRequest):
    """What a view behind login_required receives: a signed-in user, and htmx details from the middleware."""

    user: User
    htmx: HtmxDetails
    membership: Membership  # set by projects.access.member_required once the organisation is resolved


# A save that lost a race answers 409 with the conflict shown; htmx swaps only 400 and 422 answers (see
# base.html), so an inline form that lost one answers 422.
CONFLICT = 409
CONFLICT_FOR_HTMX = 422


def posted(request: HttpRequest) -> Any:
    """The form data of a POST, even an empty one (which must fail validation, not show a blank form)."""
    return request.POST if request.method == "POST" else None
