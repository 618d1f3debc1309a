"""The estate: every threat and every control of the organisation across its teams and projects, and an
engineer's home, My work. The dashboards link each figure to these lists, so every filter lives in the query
string (team, project, status, owner, ...) and a view can be shared as a link.

The lists read workspace_selectors' filters, so a filter means the same here, on a project's lists and in the
API. As on a project's lists, one view serves the whole page and, for htmx, its "results" partial; the filter
form, the sortable headers and the page links work without JavaScript. With `?format=csv` or `?format=xlsx`
a list answers every row its filters select as a spreadsheet (projects.interop.tables), from the same query.
"""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from projects import attention, awaiting
from projects import workspace_selectors as selectors
from projects.access import member_required
from projects.http import AuthenticatedHttpRequest
from projects.interop import tables
from projects.interop.tables import Column
from projects.models import Control, ControlStatus, Membership, Threat, ThreatControl, ThreatStatus
from projects.roles import Permission
from projects.threat_views import sort_headers

PER_PAGE = 50
MY_WORK_ROWS = 5  # rows each section of My work shows; its count links to the list of all of them
# The sortable columns of each list, by the ordering they ask for (workspace_selectors.ESTATE_*_ORDERINGS).
THREAT_COLUMNS = {
    "project": "Project",
    "team": "Team",
    "status": "Status",
    "likelihood": "Likelihood",
    "owner": "Owner",
}
CONTROL_COLUMNS = {
    "title": "Control",
    "project": "Project",
    "team": "Team",
    "status": "Status",
    "due": "Due",
    "cost": "Cost per year",
}
DUE_CHOICES = (
    ("overdue", "Overdue"),
    ("soon", f"Overdue or due within {attention.DUE_SOON.days} days"),
)


def _list_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    rows: QuerySet[Any],
    filters: Any,
    scope: selectors.EstateScope,
    *,
    noun: str,
    **extra: Any,
) -> HttpResponse:
    """A page of an estate list (`noun`: "threats" or "controls"), whole or, for htmx, its "results" partial,
    which does not need the filters' choices."""
    prefix = f"estate-{noun.removesuffix('s')}"
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"membership": membership, "page": page, "filters": filters, "scope": scope, "noun": noun}
    context |= {
        "prefix": prefix,
        "results_id": f"{prefix}-results",
        "filtered": filters.active or scope.active,
    }
    context["list_url"] = list_url = reverse(
        f"estate_{noun.removesuffix('s')}_list", args=[membership.organisation.slug]
    )
    context["downloads"] = {
        fmt: f"{list_url}?{tables.download_query(request.GET, fmt)}" for fmt in (tables.CSV, tables.XLSX)
    }
    template = f"estate/{noun}.html"
    if request.htmx and request.htmx.target == context["results_id"]:
        return render(request, f"{template}#results", context | extra)
    context |= {
        "teams": membership.organisation.teams.order_by("name"),
        "projects": selectors.project_choices_of(membership),
        "people": selectors.people_of(membership),
    }
    return render(request, template, context | extra)


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@member_required()
def estate_threat_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    filters, scope = (
        selectors.estate_threat_filters(request.GET),
        selectors.EstateScope.from_query(request.GET),
    )
    threats = selectors.estate_threats_of(membership, filters, scope)
    if fmt := tables.requested_format(request.GET):
        return _threat_table(membership, threats, fmt)
    extra = {"statuses": ThreatStatus.choices, "sorts": sort_headers(filters.order, THREAT_COLUMNS)}
    return _list_page(request, membership, threats, filters, scope, noun="threats", **extra)


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@member_required()
def estate_control_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    filters, scope = (
        selectors.estate_control_filters(request.GET),
        selectors.EstateScope.from_query(request.GET),
    )
    controls = selectors.estate_controls_of(membership, filters, scope)
    if fmt := tables.requested_format(request.GET):
        return _control_table(membership, controls, fmt)
    extra = {"statuses": ControlStatus.choices, "sorts": sort_headers(filters.order, CONTROL_COLUMNS)}
    return _list_page(
        request, membership, controls, filters, scope, noun="controls", due_choices=DUE_CHOICES, **extra
    )


# The lists as spreadsheets ------------------------------------------------------------------------------------

THREAT_TABLE = (
    Column("Project", 24),
    Column("Team", 18),
    Column("Reference", 10),
    Column("Threat statement", 60),
    Column("STRIDE", 9),
    Column("Status", 14),
    Column("Likelihood", 12),
    Column("Owner", 22),
    Column("Owner e-mail", 28),
    Column("Controls", 9),
    Column("Business risks", 30),
    Column("Updated", 12),
)
CONTROL_TABLE = (
    Column("Project", 24),
    Column("Team", 18),
    Column("Control", 40),
    Column("Kind", 12),
    Column("Status", 13),
    Column("Owner", 22),
    Column("Owner e-mail", 28),
    Column("Due", 12),
    Column("Overdue", 9),
    Column("Cost per year", 14, money=True),
    Column("Effort (days)", 12),
    Column("Threats", 24),
    Column("Ticket", 40),
)


def _table_name(membership: Membership, noun: str) -> str:
    return f"{membership.organisation.slug}-{noun}-{timezone.localdate().isoformat()}"


def _threat_table(membership: Membership, threats: QuerySet[Threat], fmt: str) -> HttpResponse:
    """Every threat the list's filters select, in its order, with its controls counted and the business risks
    it leads to, in a fixed number of queries."""
    rows = threats.annotate(control_count=Count("control_links", distinct=True)).prefetch_related(
        "scenarios__risk"
    )
    values = (
        (
            threat.project.name,
            threat.project.team.name,
            threat.reference,
            threat.statement,
            "".join(threat.stride),
            threat.get_status_display(),
            threat.get_likelihood_display() if threat.likelihood else None,
            threat.owner.display_name if threat.owner else None,
            threat.owner.email if threat.owner else None,
            threat.control_count,
            "; ".join(
                str(risk) for risk in sorted((s.risk for s in threat.scenarios.all()), key=lambda r: r.number)
            ),
            threat.updated_at.date(),
        )
        for threat in rows
    )
    name = _table_name(membership, "threats")
    return tables.table_response(fmt, filename=name, title="Threats", columns=THREAT_TABLE, rows=values)


def _control_table(membership: Membership, controls: QuerySet[Control], fmt: str) -> HttpResponse:
    """Every control the list's filters select, in its order, with the threats it is linked to."""
    links = ThreatControl.objects.select_related("threat").order_by("threat__number")
    rows = controls.prefetch_related(Prefetch("threat_links", queryset=links))
    values = (
        (
            control.project.name,
            control.project.team.name,
            control.title,
            control.get_kind_display(),
            control.get_status_display(),
            control.owner.display_name if control.owner else None,
            control.owner.email if control.owner else None,
            control.due_on,
            "yes" if control.is_overdue else None,  # type: ignore[attr-defined]
            control.cost_per_year,
            control.effort_days,
            ", ".join(link.threat.reference for link in control.threat_links.all()),
            control.ticket_url or None,
        )
        for control in rows
    )
    name = _table_name(membership, "controls")
    return tables.table_response(fmt, filename=name, title="Controls", columns=CONTROL_TABLE, rows=values)


# My work ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section[M: Model]:
    """A section of My work: its first rows, how many there are in all, and the list that shows them all."""

    rows: list[M]
    count: int
    url: str = ""


def _query(**values: object) -> QueryDict:
    """A query string of the estate lists' filters; a tuple gives a repeated parameter (status=...&status=...)."""
    query = QueryDict(mutable=True)
    for name, value in values.items():
        query.setlist(name, [str(v) for v in value] if isinstance(value, tuple) else [str(value)])
    return query


def _link(route: str, membership: Membership, query: QueryDict) -> str:
    return f"{reverse(route, args=[membership.organisation.slug])}?{query.urlencode()}"


def _first[M: Model](rows: QuerySet[M], count: int, url: str = "") -> Section[M]:
    return Section(list(rows[:MY_WORK_ROWS]), count, url)


def _my_threats(membership: Membership) -> Section[Threat]:
    """The open threats the member owns, read with the filters of the estate list their count links to."""
    query = _query(owner=membership.user_id, status=selectors.OPEN_THREAT_STATUSES)
    threats = selectors.estate_threats_of(membership, selectors.estate_threat_filters(query))
    return _first(threats, threats.count(), _link("estate_threat_list", membership, query))


def _my_due_controls(membership: Membership) -> tuple[Section[Control], int]:
    """The member's controls that are due, overdue ones first, and how many of them are overdue."""
    query = _query(owner=membership.user_id, due="soon", order="due")
    controls = selectors.estate_controls_of(membership, selectors.estate_control_filters(query))
    counts = controls.aggregate(due=Count("pk"), overdue=Count("pk", filter=Q(is_overdue=True)))
    return _first(controls, counts["due"], _link("estate_control_list", membership, query)), counts["overdue"]


@require_GET
@member_required()
def my_work(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """An engineer's home: my teams' projects, the open threats I own, what waits for my review or decision,
    and my controls and acceptances that are due, a few rows of each with a count (that links to the list of all
    of them where there is one)."""
    me, open_statuses = membership.user_id, selectors.OPEN_THREAT_STATUSES
    teams, projects = list(selectors.teams_of(membership)), selectors.team_projects_of(membership)
    controls, overdue = _my_due_controls(membership)
    to_review, to_decide = awaiting.threats_to_review(membership), awaiting.acceptances_to_decide(membership)
    models = awaiting.models_to_review(membership)
    running_out = awaiting.acceptances_running_out(membership, timezone.localdate())
    context = {
        "membership": membership,
        "teams": teams,
        "projects": _first(projects, projects.count()),
        "threats": _my_threats(membership),
        "controls": controls,
        "overdue": overdue,
        "overdue_url": _link("estate_control_list", membership, _query(owner=me, due="overdue")),
        "my_controls_url": _link("estate_control_list", membership, _query(owner=me)),
        "unowned_url": _link("estate_threat_list", membership, _query(owner="none", status=open_statuses)),
        "open_query": _query(status=open_statuses).urlencode(),
        "due_soon_days": attention.DUE_SOON.days,
        "can_create": membership.can(Permission.EDIT_TEAM_PROJECTS),
        "can_review": membership.can(Permission.DECIDE_THREAT_REVIEW),
        "models_to_review": _first(models, models.count(), awaiting.reviews_url(membership)),
        "to_review": _first(to_review, to_review.count(), awaiting.reviews_url(membership)),
        "to_decide": _first(to_decide, to_decide.count()),
        "running_out": _first(running_out, running_out.count()),
    }
    return render(request, "estate/my_work.html", context)


@require_GET
@member_required()
def my_work_summary(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """The home page's glance at My work (loaded by htmx after the dashboard): what waits for me and what is due."""
    context = {"membership": membership, "summary": awaiting.summary(membership, timezone.localdate())}
    return render(request, "estate/my_work_summary.html", context)
