"""The risk dashboards' pages: the organisation's, and the same narrowed to a team, a project, a category or a
treatment by the query string, so any view can be shared as a link. Figures come from reports.dashboard; the
charts from reports.dashboard_charts (shared with the executive summary's PDF), with links into the lists they
count."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from projects.access import member_required
from projects.http import AuthenticatedHttpRequest
from projects.models import Membership
from projects.roles import Permission
from reports.dashboard import DashboardFilters, dashboard
from reports.dashboard_charts import dashboard_charts
from risks.models import Category, Treatment
from risks.tasks import take_organisation_snapshot


@require_GET
@member_required()
def organisation_dashboard(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    filters = DashboardFilters.from_query(request.GET)
    figures = dashboard(membership.organisation, filters, timezone.localdate())
    context = {
        "membership": membership,
        "organisation": membership.organisation,
        "board": figures,
        "filters": filters,
        "charts": dashboard_charts(figures, reverse("risk_list", args=[membership.organisation.slug])),
        "currency": figures.scales.currency,
        "categories": Category.choices,
        "treatments": Treatment.choices,
        "can_manage": membership.can(Permission.MANAGE_MEMBERS),
        "can_snapshot": membership.can(Permission.EDIT_RISK_REGISTER),
    }
    return render(request, "reports/dashboard.html", context)


@require_POST
@member_required(Permission.EDIT_RISK_REGISTER)
def snapshot_take(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Take today's snapshot now (the nightly one would replace it), in the background."""
    take_organisation_snapshot.delay_on_commit(membership.organisation_id)  # type: ignore[attr-defined]  # Celery 5.4+
    messages.success(request, "Today's snapshot is being taken: the trend shows it in a moment.")
    return redirect("organisation_dashboard", org_slug=membership.organisation.slug)
