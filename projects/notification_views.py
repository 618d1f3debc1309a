"""A member's notifications in one organisation: the list (unread first), marking read, the e-mail settings, and
the unread count of the top navigation (a context processor: one indexed COUNT, only when a page shows it)."""

from functools import cache

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import notifications
from projects.access import member_required
from projects.http import AuthenticatedHttpRequest, posted
from projects.live_views import STOP_POLLING
from projects.models import Membership
from projects.notification_forms import NotificationPreferenceForm

PER_PAGE = 30


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count for the header's badge, counted when a template first reads it, at most once a page."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {"unread_notifications": cache(lambda: notifications.unread_count(membership))}


@require_GET
@never_cache
def notification_badge(request: AuthenticatedHttpRequest, org_slug: str) -> HttpResponseBase:
    """The header's notifications link with the unread count, which the header asks for every 15 s while the
    tab is in view: one indexed COUNT after the session, so a mention shows without a reload. Signed out in
    another tab, the polling stops rather than swap a login page into the header."""
    if not request.user.is_authenticated:
        return (
            HttpResponse(status=STOP_POLLING) if request.htmx else redirect_to_login(request.get_full_path())
        )
    return _badge(request, org_slug=org_slug)


@member_required()
def _badge(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    context = {
        "membership": membership,
        "unread": notifications.unread_count(membership),
        "current": "notification_list" if request.GET.get("current") == "notification_list" else "",
    }
    return render(request, "notifications/badge.html", context)


@require_GET
@member_required()
def notification_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    page = Paginator(notifications.notifications_of(membership), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"membership": membership, "page": page})


@require_GET
@member_required()
def notification_open(
    request: AuthenticatedHttpRequest, membership: Membership, notification_id: int
) -> HttpResponse:
    """Follow a notification to what it is about; it is read from now on (a GET: opening it twice is the same)."""
    notification = notifications.notification_open(membership=membership, notification_id=notification_id)
    return redirect(notification.url)


@require_POST
@member_required()
def notification_read(
    request: AuthenticatedHttpRequest, membership: Membership, notification_id: int
) -> HttpResponse:
    notification = notifications.notification_of(membership, notification_id)
    notifications.notifications_mark_read(membership=membership, ids=[notification.pk])
    if request.htmx:
        notification.refresh_from_db(fields=["read_at"])
        context = {"membership": membership, "notification": notification}
        return render(request, "notifications/list.html#notification-row", context)
    return redirect("notification_list", org_slug=membership.organisation.slug)


@require_POST
@member_required()
def notification_read_all(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    count = notifications.notifications_mark_read(membership=membership)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notification_list", org_slug=membership.organisation.slug)


@require_http_methods(["GET", "POST"])
@member_required()
def notification_preferences(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    preference = notifications.preference_of(membership)
    initial = {"email": preference.email, "muted_kinds": preference.muted_kinds}
    form = NotificationPreferenceForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notifications.preference_update(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Notification settings saved.")
            return redirect("notification_preferences", org_slug=membership.organisation.slug)
    status = 400 if form.is_bound else 200
    return render(
        request, "notifications/preferences.html", {"membership": membership, "form": form}, status=status
    )
