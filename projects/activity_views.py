"""The activity feeds' pages: an organisation's and a project's, filtered by kind of object, person and dates.

One view serves the page and, for htmx (the filters applied as they change), the results partial of it.
"""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from projects import activity
from projects.access import member_required
from projects.http import AuthenticatedHttpRequest
from projects.models import Membership, User
from projects.workspace_selectors import people_of, project_of
from projects.workspace_services import can_edit_project


def _context(membership: Membership, feed: activity.Feed, kinds: list[tuple[str, str]]) -> dict[str, Any]:
    people: list[User] = list(people_of(membership))
    person = next((user for user in people if user.pk == feed.filters.user), None)
    return {"membership": membership, "feed": feed, "kinds": kinds, "people": people, "person": person}


def _answer(request: AuthenticatedHttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    if request.htmx and request.htmx.target == "activity-results":
        template += "#results"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@member_required()
def organisation_activity(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    kinds = activity.Kind.choices
    filters = activity.Filters.from_query(request.GET, activity.Kind.values)
    feed = activity.organisation_feed(membership.organisation, filters)
    return _answer(request, "activity/organisation.html", _context(membership, feed, kinds))


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@member_required()
def project_activity(
    request: AuthenticatedHttpRequest, membership: Membership, project_id: int
) -> HttpResponse:
    project = project_of(membership, project_id)
    kinds = [(kind.value, kind.label) for kind in activity.PROJECT_KINDS]
    filters = activity.Filters.from_query(request.GET, [value for value, _ in kinds])
    feed = activity.project_feed(project, filters)
    context = _context(membership, feed, kinds) | {
        "project": project,
        "can_edit": can_edit_project(membership, project),
        "section": "history",
    }
    return _answer(request, "activity/project.html", context)
