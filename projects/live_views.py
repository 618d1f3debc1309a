"""The endpoints live pages poll (projects.live), every few seconds while the tab is visible.

Each answers 204 when nothing the page shows has changed and nobody came or left since the last poll, else
the page's live bar again: who else is viewing it, and who changed what since it was drawn. A poll reads one
query on the common path; see projects.live for what it reads.
"""

import time

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from projects import live
from projects.http import AuthenticatedHttpRequest
from projects.live import LivePage, PageKind

# htmx stops polling when an answer has this status (and swaps in its empty body, so the bar goes).
STOP_POLLING = 286


@require_GET
@never_cache
def live_model(request: AuthenticatedHttpRequest, org_slug: str, project_id: int) -> HttpResponse:
    return _poll(request, org_slug, PageKind.MODEL, project_id)


@require_GET
@never_cache
def live_threats(request: AuthenticatedHttpRequest, org_slug: str, project_id: int) -> HttpResponse:
    return _poll(request, org_slug, PageKind.THREATS, project_id)


@require_GET
@never_cache
def live_threat(
    request: AuthenticatedHttpRequest, org_slug: str, project_id: int, threat_number: int
) -> HttpResponse:
    return _poll(request, org_slug, PageKind.THREAT, project_id, threat_number)


@require_GET
@never_cache
def live_review(request: AuthenticatedHttpRequest, org_slug: str, project_id: int) -> HttpResponse:
    return _poll(request, org_slug, PageKind.REVIEW, project_id)


def _poll(
    request: AuthenticatedHttpRequest,
    org_slug: str,
    kind: PageKind,
    project_id: int,
    threat_number: int | None = None,
) -> HttpResponse:
    if not request.user.is_authenticated:  # signed out in another tab: stop, rather than poll a login page
        return (
            HttpResponse(status=STOP_POLLING) if request.htmx else redirect_to_login(request.get_full_path())
        )
    page = live.live_page(request.user, org_slug, kind, project_id, threat_number)
    opened_text = request.GET.get("opened") or f"{time.time():.3f}"
    try:
        opened = live.opened_at(opened_text)
    except ValueError:
        return HttpResponse(
            "The “opened” parameter is the time the page was drawn, in seconds since 1970.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if page.gone:
        return _gone(request, page, opened.timestamp())
    viewers = live.present(page, request.user)
    since, people = request.GET.get("since"), request.GET.get("people")
    if since == page.token and people == live.people_token(viewers):
        return HttpResponse(status=204)
    page_token = request.GET.get("page", page.token)  # a bar asked for without a page: drawn now
    changes = live.changes_since(page, opened, request.user) if page_token != page.token else None
    bar = live.bar(page, opened=opened.timestamp(), page_token=page_token, viewers=viewers, changes=changes)
    return render(request, "live/bar.html#poll", {"live": bar})


def _gone(request: AuthenticatedHttpRequest, page: LivePage, opened: float) -> HttpResponse:
    """The threat of the page was deleted: say who did it, once, and stop polling. A threat number that never
    existed in the project answers 404, as any other page of it would."""
    deletion = live.threat_deletion(page)
    if deletion is None:
        raise Http404("No such threat.")
    bar = live.bar(page, opened=opened, page_token=page.token, viewers=[], deletion=deletion)
    return render(request, "live/bar.html#poll", {"live": bar})
