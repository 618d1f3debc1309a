from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from projects.models import Membership, User


class AuthenticatedHttpRequest(HttpRequest):
    """What a view behind login_required receives: a signed-in user, and htmx details from the middleware."""

    user: User
    htmx: HtmxDetails
    membership: Membership  # set by projects.access.member_required once the organisation is resolved
