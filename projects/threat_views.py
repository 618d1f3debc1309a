"""The Threats and Controls sections of a project: the threat list (filters, sorting, bulk status, inline status
and owner), logging a threat (suggestions, live preview), a threat's page (edit, controls, history),
threat-library suggestions for a component or flow, the control list (filters, sorting, bulk status) and a
control's page, and the links between the two. Both lists share their sortable headers and bulk status change.

As on the Model pages, one view serves a whole page and, for htmx, a named partial of it; every hx-* request
has a plain href or form action that works without JavaScript. Writes go through workspace_services only.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from projects import workspace_selectors as selectors
from projects import workspace_services as services
from projects.access import project_required
from projects.bulk_forms import ControlBulkForm, ThreatBulkForm
from projects.conflicts import ConflictNotice, rebase_form
from projects.http import CONFLICT, CONFLICT_FOR_HTMX, AuthenticatedHttpRequest, posted
from projects.model_forms import DeleteForm, apply_service_errors
from projects.models import (
    IN_FORCE_STATUSES,
    Component,
    Control,
    ControlStatus,
    DataFlow,
    Goal,
    Membership,
    Project,
    Stride,
    Threat,
    ThreatControl,
    ThreatStatus,
    threat_statement,
)
from projects.roles import Permission
from projects.threat_forms import (
    STATEMENT_FIELDS,
    ControlForm,
    EffectivenessForm,
    LibraryReviewForm,
    LinkControlForm,
    LinkThreatForm,
    NewControlLinkForm,
    ThreatForm,
    ThreatInlineForm,
    offered_statuses,
)
from projects.threat_library import LibraryEntry
from risks import inputs as risk_inputs
from risks import services as risk_services
from risks import threat_scenarios
from risks.models import BusinessRisk, ScoringSettings

THREATS_PER_PAGE = 25
CONTROLS_PER_PAGE = 25
# A row of the control list names this many of its threats and counts the rest: rows stay short and cheap
# however many threats a control addresses.
THREATS_PER_CONTROL_ROW = 8
HISTORY_LIMIT = 50
# A threat's page lists its latest review decisions; the review records keep them all.
DECISIONS_SHOWN = 10
# The sortable columns of each list, by the ordering they ask for (workspace_selectors.*_ORDERINGS).
THREAT_COLUMNS = {"number": "ID", "status": "Status", "owner": "Owner"}
CONTROL_COLUMNS = {
    "title": "Control",
    "status": "Status",
    "threats": "Threats",
    "cost": "Cost per year",
    "effort": "Effort",
    "due": "Due",
}


def _may_decide(membership: Membership) -> bool:
    return membership.can(Permission.DECIDE_THREAT_REVIEW)


def _context(membership: Membership, project: Project, section: str, **extra: Any) -> dict[str, Any]:
    can_edit = services.can_edit_project(membership, project)
    context = {"membership": membership, "project": project, "can_edit": can_edit, "section": section}
    return context | {"stride_choices": Stride.choices} | extra


def _url(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=[project.organisation.slug, project.pk, *args])


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# The pieces both lists share: sortable headers and the bulk status change ---------------------------------


@dataclass(frozen=True)
class SortHeader:
    """A sortable column's header: how the list is sorted by it now, and the order a click asks for."""

    label: str
    order: str  # the ordering its link asks for: this column, or this column the other way round
    direction: str  # "ascending" or "descending" when the list is sorted by it, else ""


def sort_headers(current: str, columns: dict[str, str]) -> dict[str, SortHeader]:
    """The headers of the sortable columns: the first click sorts by a column, the next one reverses it."""
    headers = {}
    for key, label in columns.items():
        direction = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        headers[key] = SortHeader(label, f"-{key}" if current == key else key, direction)
    return headers


def _list_url(route: str, project: Project, query: str) -> str:
    """The list with the filters it was showing; the query string is parsed again so only its values come back."""
    return _url(route, project) + (f"?{QueryDict(query).urlencode()}" if query else "")


def _bulk(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    form: ThreatBulkForm | ControlBulkForm,
    section: str,
    apply: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Apply a bulk status change (`apply` calls the service and says what it did) and go back to the list, with
    the filters it showed. When a row changed since the list was shown, or the member may not change one, nothing
    changes: the list comes back, read afresh, with a message naming them. Bad input shows the form again."""
    query = request.POST.get("query", "")[:2_000]
    noun = section.removesuffix("s")
    back = _list_url(f"{noun}_list", project, query)
    if form.is_valid():
        try:
            done = apply(form.cleaned_data)
        except services.StaleObjects as error:
            messages.warning(
                request, f"{error} The list shows them as they are now: check them and apply again."
            )
            return redirect(back)
        except services.DecidedThreats as error:
            messages.error(request, f"{error} Nothing was changed.")
            return redirect(back)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(back)
    context = _context(membership, project, section, form=form, query=query, list_url=back)
    context["bulk_url"] = _url(f"{noun}_bulk", project)
    return render(request, f"{section}/bulk.html", context, status=400)


# The threat list ------------------------------------------------------------------------------------------


def _list_context(
    membership: Membership, project: Project, query: QueryDict, *, partial: bool = False
) -> dict[str, Any]:
    filters = selectors.ThreatFilters.from_query(query)
    page = Paginator(selectors.threats_of(project, filters), THREATS_PER_PAGE).get_page(query.get("page"))
    context = _context(membership, project, "threats", page=page, threats=page.object_list, filters=filters)
    may_decide = _may_decide(membership)
    context |= {
        "statuses": ThreatStatus.choices,
        "bulk_statuses": offered_statuses(may_decide=may_decide),
        "may_decide": may_decide,
        "query": query.urlencode(),
        "sorts": sort_headers(filters.order, THREAT_COLUMNS),
        "components": project.components.order_by("name").only("pk", "name"),
        "flows": project.flows.order_by("name").only("pk", "name"),
    }
    if not partial:
        context["people"] = selectors.people_of(membership)
    return context


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@project_required()
def threat_list(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    partial = bool(request.htmx and request.htmx.target == "threat-results")
    context = _list_context(membership, project, request.GET, partial=partial)
    return render(request, "threats/list.html#results" if partial else "threats/list.html", context)


@require_POST
@project_required()
def threat_bulk(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    """Set the status of the ticked threats, each as the list showed it: all of them, or none."""
    services.require_edit(membership, project)
    form = ThreatBulkForm(request.POST, project=project, may_decide=_may_decide(membership))

    def apply(data: dict[str, Any]) -> str:
        threats = services.threats_set_status(
            membership=membership,
            project=project,
            seen=data["threats"],
            status=data["status"],
            reason=data.get("status_reason", ""),
        )
        label = ThreatStatus(data["status"]).label.lower()
        references = ", ".join(threat.reference for threat in threats)
        return f"{_plural(len(threats), 'threat')} set to {label}: {references}."

    return _bulk(request, membership, project, form, "threats", apply)


# Inline status and owner in a row of the list --------------------------------------------------------------


def _row_threat(project: Project, number: int) -> Threat:
    """The threat with what its row in the list shows (targets, control count)."""
    threat = selectors.threats_of(project).filter(number=number).first()
    if threat is None:
        raise Http404("No such threat.")
    return threat


def _inline_form(membership: Membership, threat: Threat, data: Any = None) -> ThreatInlineForm:
    return ThreatInlineForm(
        data,
        people=selectors.people_of(membership),
        may_decide=_may_decide(membership),
        current_status=threat.status,
        prefix=f"threat-{threat.number}",
        initial=ThreatInlineForm.initial_of(threat) if data is None else None,
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@project_required()
def threat_inline(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, threat_number: int
) -> HttpResponse:
    """GET: the row as a small form (htmx; ?cancel=1 gives the plain row back). POST: save status and owner."""
    threat = _row_threat(project, threat_number)
    services.require_edit(membership, project)
    context = _context(membership, project, "threats", threat=threat)
    if request.method == "GET":
        if request.GET.get("cancel"):
            return render(request, "threats/list.html#row", context)
        if not request.htmx:
            return redirect("threat_detail", project.organisation.slug, project.pk, threat.number)
        return render(
            request, "threats/list.html#edit-row", context | {"form": _inline_form(membership, threat)}
        )
    form = _inline_form(membership, threat, request.POST)
    saved, form, conflict = _save_inline(membership, threat, form) if form.is_valid() else (False, form, None)
    if saved:
        return _inline_saved(request, membership, project, threat_number)
    status = (CONFLICT_FOR_HTMX if request.htmx else CONFLICT) if conflict else 400
    template = "threats/list.html#edit-row" if request.htmx else "threats/inline.html"
    return render(request, template, context | {"form": form, "conflict": conflict}, status=status)


def _save_inline(
    membership: Membership, threat: Threat, form: ThreatInlineForm
) -> tuple[bool, ThreatInlineForm, ConflictNotice | None]:
    """Apply a valid inline form: (saved, the form to show again, a conflict notice)."""
    try:
        version = form.cleaned_data["version"]
        services.threat_update(
            membership=membership, threat=copy.copy(threat), version=version, **form.values
        )
    except services.EditConflict as error:
        rebased, notice = rebase_form(form, error)
        return False, rebased, notice
    except ValidationError as error:
        apply_service_errors(form, error)
        return False, form, None
    return True, form, None


def _inline_saved(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, number: int
) -> HttpResponse:
    threat = _row_threat(project, number)
    messages.success(request, f"{threat.reference} saved: {threat.get_status_display()}.")
    if not request.htmx:
        return redirect("threat_list", project.organisation.slug, project.pk)
    context = _context(membership, project, "threats", threat=threat, saved=True)
    return render(request, "threats/row_saved.html", context)


# Logging a threat -----------------------------------------------------------------------------------------


def _threat_form(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    data: Any = None,
    *,
    threat: Threat | None = None,
    initial: dict[str, Any] | None = None,
    scoring: ScoringSettings | None = None,
) -> ThreatForm:
    scoring = scoring or risk_inputs.settings_of(project.organisation)
    return ThreatForm(
        data,
        project=project,
        people=selectors.people_of(membership),
        may_decide=_may_decide(membership),
        risks=BusinessRisk.objects.filter(organisation=project.organisation).order_by("number"),
        scoring=scoring,
        current_status=threat.status if threat else None,
        suggest_url=_url("threat_suggestions", project),
        editing=threat is not None,
        initial=initial,
    )


def _create_initial(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """Targets named in the query (from a component's page, or kept by "Save and add another")."""

    def ids(name: str) -> list[int]:
        return [int(v) for v in request.GET.getlist(name)[:50] if v.isascii() and v.isdigit()]

    return {
        "target_components": ids("component"),
        "target_flows": ids("flow"),
        "owner": request.user.pk,
        "status": ThreatStatus.IDENTIFIED,
    }


@require_http_methods(["GET", "POST"])
@project_required()
def threat_create(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    services.require_edit(membership, project)
    form = _threat_form(request, membership, project, posted(request), initial=_create_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                threat = services.threat_create(
                    membership=membership, project=project, links=form.links(), **form.service_fields()
                )
                _link_risks(membership, threat, form, linked=set())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _threat_created(request, project, threat, form)
    context = _context(membership, project, "threats", form=form, preview=_preview_of(project, form.data))
    return render(request, "threats/create.html", context, status=400 if form.errors else 200)


def _link_risks(membership: Membership, threat: Threat, form: ThreatForm, *, linked: set[int]) -> None:
    """Link the threat to the business risks chosen on its form, when they differ from those `linked` now. Call
    in the transaction that saves the threat, so a refused link leaves nothing of the save behind."""
    chosen = form.risks_chosen()
    if chosen is None or {risk.pk for risk in chosen} == linked:
        return
    try:
        risk_services.threat_risks_set(membership=membership, threat=threat, risks=chosen)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {
                "risks" if name == "business_risks" else name: errors
                for name, errors in error.error_dict.items()
            }
        ) from error


def _threat_created(
    request: AuthenticatedHttpRequest, project: Project, threat: Threat, form: ThreatForm
) -> HttpResponse:
    if "add_another" not in request.POST:
        messages.success(request, f"{threat.reference} logged: {threat.statement}")
        return redirect("threat_list", project.organisation.slug, project.pk)
    messages.success(request, f"{threat.reference} logged. Log the next one: the targets are kept.")
    kept = QueryDict(mutable=True)
    kept.setlist("component", [str(c.pk) for c in form.cleaned_data["target_components"]])
    kept.setlist("flow", [str(f.pk) for f in form.cleaned_data["target_flows"]])
    return redirect(_url("threat_create", project) + (f"?{kept.urlencode()}" if kept else ""))


def _preview_of(project: Project, data: Any) -> str:
    """The sentence the statement fields make so far, drawn from raw form data so it shows while typing."""
    if not data:
        return threat_statement(threat_source="", threat_action="")

    def text(name: str) -> str:
        return str(data.get(name, "")).replace("\x00", "")[:500]

    goals = [Goal(goal).label.lower() for goal in Goal.values if goal in data.getlist("impacted_goals")]
    asset_ids = [v for v in data.getlist("impacted_assets")[:100] if v.isascii() and v.isdigit()]
    assets = list(project.assets.filter(pk__in=asset_ids).order_by("name").values_list("name", flat=True))
    typed = [name.strip()[:200] for name in text("impacted_asset_names").split(",") if name.strip()]
    return threat_statement(
        **{name: text(name) for name in STATEMENT_FIELDS},
        impacted_goals=goals,
        impacted_assets=list(dict.fromkeys(assets + typed))[:20],
    )


@require_POST
@project_required()
def threat_preview(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    """The live preview of the threat statement as the person types (the form posts here); with ?part=likelihood,
    which level the likelihood typed stands for. Writes nothing."""
    if request.GET.get("part") == "likelihood":
        scoring = risk_inputs.settings_of(project.organisation)
        likelihood = threat_scenarios.likelihood_typed(scoring, request.POST)
        return render(request, "threats/likelihood_now.html", {"likelihood": likelihood})
    return render(request, "threats/preview.html", {"preview": _preview_of(project, request.POST)})


@require_GET
@project_required()
def threat_suggestions(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    """Options for a statement field's <datalist>: values typed in earlier threats of the organisation."""
    field = request.GET.get("field", "")
    typed = request.GET.get("q", request.GET.get(field, "")) if field in STATEMENT_FIELDS else ""
    values = selectors.statement_suggestions(membership, field, typed.replace("\x00", "")[:200])
    return render(request, "threats/suggestions.html", {"values": values, "field": field})


# A threat's page -----------------------------------------------------------------------------------------


def _threat_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    threat: Threat,
    *,
    form: ThreatForm | None = None,
    conflict: ConflictNotice | None = None,
    link_form: LinkControlForm | None = None,
    new_control_form: NewControlLinkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _context(membership, project, "threats", threat=threat, conflict=conflict)
    # A form posted back already read the scoring settings.
    scoring = form.scoring if form is not None else risk_inputs.settings_of(project.organisation)
    if context["can_edit"]:
        if form is None:
            initial = ThreatForm.initial_of(threat)
            form = _threat_form(request, membership, project, threat=threat, initial=initial, scoring=scoring)
        link_form = link_form or LinkControlForm(controls=_unlinked_controls(threat), auto_id="link-%s")
        new_control_form = new_control_form or NewControlLinkForm(auto_id="new-control-%s")
    links = threat.control_links.select_related("control__owner").order_by("control__title", "pk")
    context |= {"form": form, "link_form": link_form, "new_control_form": new_control_form, "links": links}
    context["preview"] = (
        _preview_of(project, form.data) if form is not None and form.is_bound else threat.statement
    )
    context["changes"] = selectors.history_of(threat, limit=HISTORY_LIMIT)
    context |= {
        "decisions": threat.reviews.select_related("decided_by")[:DECISIONS_SHOWN],
        "may_decide": membership.can(Permission.DECIDE_THREAT_REVIEW),
        "likelihood": threat_scenarios.likelihood_of_threat(threat, scoring),
        "scenarios": threat_scenarios.scenarios_of_threat(project.organisation, threat, scoring),
        "currency": scoring.currency,
    }
    return render(request, "threats/detail.html", context, status=status)


def _unlinked_controls(threat: Threat) -> Any:
    return threat.project.controls.exclude(threat_links__threat=threat).order_by("title", "pk")


@require_http_methods(["GET", "POST"])
@project_required()
def threat_detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, threat_number: int
) -> HttpResponse:
    threat = selectors.threat_of(project, threat_number)
    if request.method == "GET":
        return _threat_page(request, membership, project, threat)
    form, conflict = _threat_form(request, membership, project, request.POST, threat=threat), None
    if form.is_valid():
        try:
            with transaction.atomic():
                services.threat_update(
                    membership=membership,
                    threat=copy.copy(threat),
                    version=form.cleaned_data["version"],
                    links=form.links(),
                    **form.service_fields(),
                )
                linked = set(threat.scenarios.values_list("risk_id", flat=True))
                _link_risks(membership, threat, form, linked=linked)
        except services.EditConflict as error:
            form, conflict = rebase_form(form, error)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{threat.reference} saved.")
            return redirect(request.path)
    status = CONFLICT if conflict else 400
    return _threat_page(request, membership, project, threat, form=form, conflict=conflict, status=status)


@require_http_methods(["GET", "POST"])
@project_required()
def threat_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, threat_number: int
) -> HttpResponse:
    threat = selectors.threat_of(project, threat_number)
    services.require_edit(membership, project)
    form = DeleteForm(posted(request), initial={"version": threat.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.threat_delete(membership=membership, threat=threat, version=form.cleaned_data["version"])
        except services.EditConflict as error:
            gone = error.current is None
            messages.warning(request, _refused(threat.reference, gone))
            return redirect(
                "threat_list" if gone else "threat_detail", *_args(project, None if gone else threat)
            )
        messages.success(request, f"{threat.reference} deleted.")
        return redirect("threat_list", project.organisation.slug, project.pk)
    context = _context(membership, project, "threats", threat=threat, form=form)
    context["link_count"] = threat.control_links.count()
    return render(request, "threats/delete.html", context, status=400 if form.errors else 200)


def _args(project: Project, obj: Threat | Control | None) -> list[object]:
    key = None if obj is None else obj.number if isinstance(obj, Threat) else obj.pk
    return [project.organisation.slug, project.pk] + ([key] if key is not None else [])


def _refused(what: str, gone: bool) -> str:
    if gone:
        return f"{what} was already deleted by someone else."
    return (
        f"{what} was changed by someone else since you opened it, so it was not deleted. "
        "Check their change, then delete it again if you still want to."
    )


# Controls of a threat, and the links ------------------------------------------------------------------------


@require_POST
@project_required()
def threat_link_control(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, threat_number: int
) -> HttpResponse:
    """Link an existing control of the project, or create a control and link it in one step ("title" posted)."""
    threat = selectors.threat_of(project, threat_number)
    creating = "title" in request.POST
    form: LinkControlForm | NewControlLinkForm = (
        NewControlLinkForm(request.POST, auto_id="new-control-%s")
        if creating
        else LinkControlForm(request.POST, controls=_unlinked_controls(threat), auto_id="link-%s")
    )
    if form.is_valid():
        values = dict(form.cleaned_data)
        try:
            if creating:
                link = services.control_create_and_link(membership=membership, threat=threat, **values)
            else:
                link = services.control_link(membership=membership, threat=threat, **values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"“{link.control}” linked to {threat.reference} ({link.effectiveness} %)."
            )
            return redirect(_url("threat_detail", project, threat.number) + "#controls")
    forms: dict[str, Any] = {"new_control_form" if creating else "link_form": form}
    return _threat_page(request, membership, project, threat, status=400, **forms)


@dataclass(frozen=True)
class LinkSide:
    """Which page a link row sits on: a threat's (it shows the control) or a control's (it shows the threat)."""

    name: str  # "threat" or "control"

    @classmethod
    def of(cls, request: AuthenticatedHttpRequest) -> "LinkSide":
        return cls("control" if request.POST.get("side") == "control" else "threat")

    def page(self, project: Project, link: ThreatControl) -> str:
        if self.name == "control":
            return _url("control_detail", project, link.control_id) + "#threats"
        return _url("threat_detail", project, link.threat.number) + "#controls"

    @property
    def row(self) -> str:
        return "controls/detail.html#link-row" if self.name == "control" else "threats/detail.html#link-row"


@require_POST
@project_required()
def link_update(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, link_id: int
) -> HttpResponse:
    """Change how effective a control is against a threat; htmx swaps the link's row."""
    link, side = selectors.link_of(project, link_id), LinkSide.of(request)
    form, status = EffectivenessForm(request.POST, auto_id=f"link-{link_id}-%s"), 400
    if form.is_valid():
        try:
            services.control_link_update(membership=membership, link=link, **form.cleaned_data)
        except services.EditConflict as error:
            return _link_conflict(request, membership, project, side, link, gone=error.current is None)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            status = 200
            text = f"“{link.control}” now stops {link.effectiveness} % of {link.threat.reference}."
            messages.success(request, text)
    if not request.htmx:
        if form.errors:
            messages.error(request, "Effectiveness is a whole number from 0 to 100.")
        return redirect(side.page(project, link))
    context = _context(
        membership, project, f"{side.name}s", link=link, effectiveness_form=form if form.errors else None
    )
    return render(request, side.row, context | {"toasts": True}, status=status)


def _link_conflict(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    side: "LinkSide",
    link: ThreatControl,
    *,
    gone: bool,
) -> HttpResponse:
    """A stale effectiveness: say so, and show the link as it is now (or drop its row when it is gone)."""
    if gone:
        messages.warning(request, "This link was removed by someone else.")
    else:
        messages.warning(
            request, "Someone else changed this link since you opened the page; check its value."
        )
    if not request.htmx:
        return redirect(side.page(project, link))
    if gone:
        return render(request, "partials/toasts.html", {})
    current = selectors.link_of(project, link.pk)
    context = _context(membership, project, f"{side.name}s", link=current, toasts=True)
    return render(request, side.row, context, status=CONFLICT_FOR_HTMX)


@require_POST
@project_required()
def link_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, link_id: int
) -> HttpResponse:
    link, side = selectors.link_of(project, link_id), LinkSide.of(request)
    form = DeleteForm(request.POST)
    page = side.page(project, link)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
        return redirect(page)
    try:
        services.control_unlink(membership=membership, link=link, version=form.cleaned_data["version"])
    except services.EditConflict as error:
        text = (
            "This link was already removed."
            if error.current is None
            else "Someone changed this link; check it."
        )
        messages.warning(request, text)
    else:
        messages.success(request, f"“{link.control}” no longer linked to {link.threat.reference}.")
    if not request.htmx:
        return redirect(page)
    return render(request, "partials/toasts.html", {})


# Threat-library suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    label: str
    url: str


@dataclass(frozen=True)
class Suggestion:
    entry: LibraryEntry
    statement: str
    references: list[Reference]

    @classmethod
    def of(cls, entry: LibraryEntry) -> "Suggestion":
        statement = threat_statement(
            threat_source=entry.threat_source,
            prerequisites=entry.prerequisites,
            threat_action=entry.threat_action,
            threat_impact=entry.threat_impact,
            impacted_goals=[Goal(goal).label.lower() for goal in entry.impacted_goals],
        )
        return cls(entry, statement, [_reference(ref) for ref in entry.references])


def _reference(reference: str) -> Reference:
    catalogue, number = reference.split("-", 1)
    host = "cwe.mitre.org" if catalogue == "CWE" else "capec.mitre.org"
    return Reference(reference, f"https://{host}/data/definitions/{number}.html")


def _library(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    *,
    component: Component | None = None,
    flow: DataFlow | None = None,
) -> HttpResponse:
    target = component or flow
    suggestions = selectors.library_suggestions(project, component=component, flow=flow)
    form = LibraryReviewForm(posted(request), entries=suggestions)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.library_suggestions_apply(
                membership=membership, project=project, component=component, flow=flow, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _library_message(review))
            return redirect(_url("threat_list", project) + f"?{_target_query(component, flow)}")
    context = _context(
        membership, project, "threats", target=target, component=component, flow=flow, form=form
    )
    context |= {
        "suggestions": [Suggestion.of(entry) for entry in suggestions],
        "may_decide": _may_decide(membership),
    }
    context["present"] = selectors.library_keys_present(project, component=component, flow=flow)
    return render(request, "threats/library.html", context, status=400 if form.errors else 200)


def _target_query(component: Component | None, flow: DataFlow | None) -> str:
    return f"component={component.pk}" if component is not None else f"flow={flow.pk if flow else ''}"


def _library_message(review: services.LibraryReview) -> str:
    created, dismissed = review.created, review.not_applicable
    parts = [f"Created {_plural(len(created), 'threat')}"] if created or not dismissed else []
    if review.controls:
        parts[-1] += f" linked to {_plural(len(review.controls), 'suggested control')}"
    if dismissed:
        parts.append(f"marked {len(dismissed)} not applicable")
    text = " and ".join(parts)
    return text[:1].upper() + text[1:] + "."


@require_http_methods(["GET", "POST"])
@project_required()
def library_component(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, component_id: int
) -> HttpResponse:
    return _library(request, membership, project, component=selectors.component_of(project, component_id))


@require_http_methods(["GET", "POST"])
@project_required()
def library_flow(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, flow_id: int
) -> HttpResponse:
    return _library(request, membership, project, flow=selectors.flow_of(project, flow_id))


# Controls ---------------------------------------------------------------------------------------------------


def is_overdue(control: Control, today: date) -> bool:
    return bool(control.due_on and control.due_on < today and control.status not in IN_FORCE_STATUSES)


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@project_required()
def control_list(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    filters = selectors.ControlFilters.from_query(request.GET)
    controls_listed = selectors.control_rows_of(project, filters, threats_shown=THREATS_PER_CONTROL_ROW)
    page = Paginator(controls_listed, CONTROLS_PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    controls = [(control, is_overdue(control, today)) for control in page.object_list]
    context = _context(membership, project, "controls", page=page, controls=controls, filters=filters)
    context |= {
        "sorts": sort_headers(filters.order, CONTROL_COLUMNS),
        "query": request.GET.urlencode(),
        "statuses": ControlStatus.choices,  # the filter's and the bulk bar's
    }
    if request.htmx and request.htmx.target == "control-results":
        return render(request, "controls/list.html#results", context)
    context["people"] = selectors.people_of(membership)
    return render(request, "controls/list.html", context)


@require_POST
@project_required()
def control_bulk(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    """Set the status of the ticked controls, each as the list showed it: all of them, or none."""
    services.require_edit(membership, project)
    form = ControlBulkForm(request.POST, project=project)

    def apply(data: dict[str, Any]) -> str:
        controls = services.controls_set_status(
            membership=membership, project=project, seen=data["controls"], status=data["status"]
        )
        label = ControlStatus(data["status"]).label.lower()
        titles = ", ".join(f"“{control.title}”" for control in controls)
        return f"{_plural(len(controls), 'control')} set to {label}: {titles}."

    return _bulk(request, membership, project, form, "controls", apply)


def _control_form(
    membership: Membership, data: Any = None, *, control: Control | None = None, initial: Any = None
) -> ControlForm:
    return ControlForm(
        data, people=selectors.people_of(membership), editing=control is not None, initial=initial
    )


@require_http_methods(["GET", "POST"])
@project_required()
def control_create(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    services.require_edit(membership, project)
    form = _control_form(membership, posted(request), initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            control = services.control_create(membership=membership, project=project, **form.values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Control “{control}” added. Link it to the threats it addresses.")
            return redirect("control_detail", project.organisation.slug, project.pk, control.pk)
    context = _context(membership, project, "controls", form=form)
    return render(request, "controls/create.html", context, status=400 if form.errors else 200)


def _control_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    control: Control,
    *,
    form: ControlForm | None = None,
    conflict: ConflictNotice | None = None,
    link_form: LinkThreatForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _context(membership, project, "controls", control=control, conflict=conflict)
    if context["can_edit"]:
        form = form or _control_form(membership, control=control, initial=ControlForm.initial_of(control))
        link_form = link_form or LinkThreatForm(threats=_unlinked_threats(control), auto_id="link-threat-%s")
    links = control.threat_links.select_related("threat").prefetch_related("threat__impacted_assets")
    context |= {"form": form, "link_form": link_form, "links": links.order_by("threat__number")}
    context |= {"overdue": is_overdue(control, timezone.localdate())}
    context["changes"] = selectors.history_of(control, limit=HISTORY_LIMIT)
    return render(request, "controls/detail.html", context, status=status)


def _unlinked_threats(control: Control) -> Any:
    threats = control.project.threats.exclude(control_links__control=control)
    return threats.prefetch_related("impacted_assets").order_by("number")


@require_http_methods(["GET", "POST"])
@project_required()
def control_detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, control_id: int
) -> HttpResponse:
    """The control's page; POST saves its edit form, or with form=link links it to one more threat."""
    control = selectors.control_of(project, control_id)
    if request.method == "GET":
        return _control_page(request, membership, project, control)
    if request.POST.get("form") == "link":
        return _control_link_threat(request, membership, project, control)
    form, conflict = _control_form(membership, request.POST, control=control), None
    if form.is_valid():
        try:
            fields = {"control": copy.copy(control), "version": form.cleaned_data["version"]}
            services.control_update(membership=membership, **fields, **form.values)
        except services.EditConflict as error:
            form, conflict = rebase_form(form, error)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Control “{form.cleaned_data['title']}” saved.")
            return redirect(request.path)
    status = CONFLICT if conflict else 400
    return _control_page(request, membership, project, control, form=form, conflict=conflict, status=status)


def _control_link_threat(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, control: Control
) -> HttpResponse:
    form = LinkThreatForm(request.POST, threats=_unlinked_threats(control), auto_id="link-threat-%s")
    if form.is_valid():
        try:
            link = services.control_link(membership=membership, control=control, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"“{control}” linked to {link.threat.reference} ({link.effectiveness} %)."
            )
            return redirect(_url("control_detail", project, control.pk) + "#threats")
    return _control_page(request, membership, project, control, link_form=form, status=400)


@require_http_methods(["GET", "POST"])
@project_required()
def control_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, control_id: int
) -> HttpResponse:
    control = selectors.control_of(project, control_id)
    services.require_edit(membership, project)
    form = DeleteForm(posted(request), initial={"version": control.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.control_delete(
                membership=membership, control=control, version=form.cleaned_data["version"]
            )
        except services.EditConflict as error:
            gone = error.current is None
            messages.warning(request, _refused(f"Control “{control}”", gone))
            return redirect(
                "control_list" if gone else "control_detail", *_args(project, None if gone else control)
            )
        messages.success(request, f"Control “{control}” deleted.")
        return redirect("control_list", project.organisation.slug, project.pk)
    context = _context(membership, project, "controls", control=control, form=form)
    context["threat_count"] = control.threat_links.count()
    return render(request, "controls/delete.html", context, status=400 if form.errors else 200)
