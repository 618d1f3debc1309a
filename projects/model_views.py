"""The project pages: the list, create, edit, delete, history, and the Model section (diagram, trust zones,
assets, components, data flows) with a page for each part.

One view serves a whole page and, for htmx, a named partial of it. A write made from the Model page with htmx
answers with out-of-band swaps of every list and add form that shows what changed, and a `model-changed`
event that redraws the diagram; without JavaScript the same URLs answer with redirects and whole pages.
"""

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from projects import attention
from projects import workspace_selectors as selectors
from projects import workspace_services as services
from projects.access import member_required, project_required
from projects.conflicts import ConflictNotice, rebase_form
from projects.diagram import (
    INSTALL_HINT,
)
from projects.drawings import DiagramView, drawn
from projects.http import CONFLICT, CONFLICT_FOR_HTMX, AuthenticatedHttpRequest, posted
from projects.model_forms import (
    AssetForm,
    ComponentForm,
    DeleteForm,
    FlowForm,
    PartOptions,
    ProjectForm,
    ProjectPartForm,
    ZoneForm,
    apply_service_errors,
)
from projects.models import DataFlow, Membership, Project, ProjectStatus, Team
from projects.roles import Permission

logger = logging.getLogger(__name__)

PROJECTS_PER_PAGE = 25
HISTORY_PER_PAGE = 50


# Parts of a project -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One kind of part of a project's model, and the selectors, services and form that handle it."""

    kind: str  # "zone": the URL kwarg prefix, the service keyword and the HTML id prefix
    noun: str
    plural: str
    form: type[ProjectPartForm]
    all_of: Callable[[Project], QuerySet[Any]]
    one_of: Callable[[Project, int], Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    # What a change to this kind shows up in: lists whose rows name it, add forms that offer it.
    lists_showing: tuple[str, ...]
    forms_offering: tuple[str, ...]

    @property
    def template(self) -> str:
        return f"workspace/parts/{self.kind}s.html"


PARTS = {
    "zone": Part(
        "zone",
        "trust zone",
        "trust zones",
        ZoneForm,
        selectors.zones_of,
        selectors.zone_of,
        services.zone_create,
        services.zone_update,
        services.zone_delete,
        lists_showing=("zone", "component", "flow"),  # components show their zone, flows the boundary
        forms_offering=("zone", "component"),
    ),
    "asset": Part(
        "asset",
        "asset",
        "assets",
        AssetForm,
        selectors.assets_of,
        selectors.asset_of,
        services.asset_create,
        services.asset_update,
        services.asset_delete,
        lists_showing=("asset", "component", "flow"),
        forms_offering=("component", "flow"),
    ),
    "component": Part(
        "component",
        "component",
        "components",
        ComponentForm,
        selectors.component_rows_of,
        selectors.component_of,
        services.component_create,
        services.component_update,
        services.component_delete,
        lists_showing=("zone", "component", "flow"),  # zones count their components
        forms_offering=("flow",),
    ),
    "flow": Part(
        "flow",
        "data flow",
        "data flows",
        FlowForm,
        selectors.flow_rows_of,
        selectors.flow_of,
        services.flow_create,
        services.flow_update,
        services.flow_delete,
        lists_showing=("flow",),
        forms_offering=(),
    ),
}


def _add_form(
    project: Project, part: Part, data: Any = None, *, options: PartOptions | None = None
) -> ProjectPartForm:
    return part.form(data, project=project, options=options, auto_id=f"{part.kind}-add-%s")


def _edit_form(project: Project, part: Part, obj: Any, data: Any = None, *, row: bool) -> ProjectPartForm:
    """The edit form of a part: in its row on the Model page (ids unique per row) or on its own page."""
    auto_id = f"{part.kind}-{obj.pk}-%s" if row else "id_%s"
    initial = None if data is not None else part.form.initial_of(obj)  # type: ignore[attr-defined]
    return part.form(data, project=project, instance=obj, editing=True, auto_id=auto_id, initial=initial)


# The diagram ------------------------------------------------------------------------------------------------


def _project_diagram(project: Project) -> DiagramView:
    return drawn(
        project.zones.all(),
        project.components.all(),
        DataFlow.objects.filter(project=project).with_boundary(),
    )


# The Model page and its partials -----------------------------------------------------------------------------


def _model_context(
    membership: Membership,
    project: Project,
    *,
    lists: tuple[str, ...] = tuple(PARTS),
    forms: tuple[str, ...] = tuple(PARTS),
    bound: dict[str, ProjectPartForm] | None = None,
) -> dict[str, Any]:
    """What the Model page shows, or the named lists and add forms of it."""
    can_edit = services.can_edit_project(membership, project)
    context: dict[str, Any] = {"membership": membership, "project": project, "can_edit": can_edit}
    for kind in lists:
        context[f"{kind}s"] = list(PARTS[kind].all_of(project))
    if can_edit:
        bound = bound or {}
        # The add forms offer the zones, components and assets the lists show: read once, not once a field.
        options = PartOptions(
            project,
            zones=context.get("zones"),
            components=context.get("components"),
            assets=context.get("assets"),
        )
        for kind in forms:
            context[f"{kind}_form"] = bound.get(kind) or _add_form(project, PARTS[kind], options=options)
    return context


def _model_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    bound: dict[str, ProjectPartForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _model_context(membership, project, bound=bound)
    context["section"] = "model"
    context["diagram"] = drawn(context["zones"], context["components"], context["flows"])
    return render(request, "workspace/project_detail.html", context, status=status)


MODEL_PARTIALS = {f"{kind}-list": kind for kind in PARTS}


def _model_partial(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, target: str
) -> HttpResponse:
    """One piece of the Model page, for htmx: the diagram, or a list (as Cancel of an inline edit fetches)."""
    if target == "diagram":
        context = {"membership": membership, "project": project, "diagram": _project_diagram(project)}
        return render(request, "workspace/parts/diagram.html", context)
    part = PARTS[MODEL_PARTIALS[target]]
    context = _model_context(membership, project, lists=(part.kind,), forms=())
    return render(request, f"{part.template}#list", context)


def _changed(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    part: Part,
    message: str,
    *,
    saved: Any = None,
    created: bool = False,
    page: str = "",
) -> HttpResponse:
    """After a write: for htmx, the lists and add forms it changed; otherwise a redirect to `page` (the Model
    page by default), the page of a browser without JavaScript."""
    messages.success(request, message)
    if request.htmx:
        return _model_answer(request, membership, project, part, saved=saved, created=created)
    return redirect(page or reverse("project_detail", args=[project.organisation.slug, project.pk]))


def _model_answer(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    part: Part,
    *,
    saved: Any = None,
    created: bool = False,
) -> HttpResponse:
    """Every list and add form that shows a part of this kind, swapped out of band, with the flash messages,
    and the `model-changed` event that redraws the diagram."""
    forms = tuple(dict.fromkeys(part.forms_offering + ((part.kind,) if created else ())))
    context = _model_context(membership, project, lists=part.lists_showing, forms=forms)
    context |= {"lists": part.lists_showing, "forms": forms, "saved": saved, "part": part, "created": created}
    context[f"focus_{part.kind}"] = created  # the fresh add form takes focus, ready for the next one
    response = render(request, "workspace/model_changed.html", context)
    return trigger_client_event(response, "model-changed")


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@project_required()
def project_detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    target = request.htmx.target if request.htmx else None
    if target == "diagram" or target in MODEL_PARTIALS:
        return _model_partial(request, membership, project, target)
    return _model_page(request, membership, project)


@require_GET
@project_required()
def project_diagram(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    """The diagram as an SVG file, to download or to show in an <img>."""
    diagram = _project_diagram(project)
    if diagram.graphviz_missing or diagram.failed:
        reason = (
            f"Graphviz is not installed on the server; {INSTALL_HINT}." if diagram.graphviz_missing else ""
        )
        return HttpResponse(
            reason or "The diagram could not be drawn.", status=503, content_type="text/plain"
        )
    svg = diagram.svg or (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="40"><text x="10" y="25" '
        'font-family="sans-serif" font-size="14">No components yet.</text></svg>\n'
    )
    response = HttpResponse('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="data-flow-diagram-{project.pk}.svg"'
    # The SVG is drawn from what members typed: opened on its own, it may not run scripts or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# Creating, editing and deleting parts ---------------------------------------------------------------------


def _create(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, part: Part
) -> HttpResponse:
    form = _add_form(project, part, request.POST)
    if form.is_valid():
        try:
            obj = part.create(membership=membership, project=project, **form.values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            message = f"{part.noun.capitalize()} “{obj}” added."
            return _changed(request, membership, project, part, message, saved=obj, created=True)
    if not request.htmx:
        return _model_page(request, membership, project, bound={part.kind: form}, status=400)
    context = {"membership": membership, "project": project, "can_edit": True, f"{part.kind}_form": form}
    response = render(request, f"{part.template}#add", context, status=400)
    return retarget(reswap(response, "outerHTML"), f"#{part.kind}-add")


def _save(
    membership: Membership, part: Part, obj: Any, form: ProjectPartForm
) -> tuple[Any, ProjectPartForm, ConflictNotice | None]:
    """Apply a valid edit form: (the saved object or None, the form to show again, a conflict notice)."""
    try:
        # The service changes the object it is given; a copy keeps the page's own one as it was.
        fields = {part.kind: copy.copy(obj), "version": form.cleaned_data["version"]}
        return part.update(membership=membership, **fields, **form.values), form, None
    except services.EditConflict as error:
        rebased, notice = rebase_form(form, error)
        return None, rebased, notice
    except ValidationError as error:
        apply_service_errors(form, error)
        return None, form, None


def _detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, part: Part, pk: int
) -> HttpResponse:
    """A part's page (GET), its edit saved (POST), and its edit form in a row of the Model page (htmx)."""
    obj = part.one_of(project, pk)
    in_row = bool(request.htmx)
    if request.method == "GET" and not (in_row and request.GET.get("edit") == "row"):
        return _part_page(request, membership, project, part, obj)
    services.require_edit(membership, project)
    form = _edit_form(project, part, obj, posted(request), row=in_row)
    saved, conflict, status = None, None, 200
    if request.method == "POST":
        if form.is_valid():
            saved, form, conflict = _save(membership, part, obj, form)
        if saved is not None:
            page = "" if in_row else request.path
            return _changed(request, membership, project, part, f"Saved “{saved}”.", saved=saved, page=page)
        status = 400 if conflict is None else (CONFLICT_FOR_HTMX if in_row else CONFLICT)
    if not in_row:
        return _part_page(
            request, membership, project, part, obj, form=form, conflict=conflict, status=status
        )
    return _edit_row(request, membership, project, part, obj, form, conflict, status)


def _edit_row(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    part: Part,
    obj: Any,
    form: ProjectPartForm,
    conflict: ConflictNotice | None,
    status: int,
) -> HttpResponse:
    """A row of the Model page as its edit form; after a failed save, htmx swaps it back into its place."""
    context = {"membership": membership, "project": project, "can_edit": True, "obj": obj}
    context |= {"form": form, "conflict": conflict}
    response = render(request, f"{part.template}#edit-row", context, status=status)
    if status != 200:
        retarget(reswap(response, "outerHTML"), f"#{part.kind}-row-{obj.pk}")
    return response


def _part_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    part: Part,
    obj: Any,
    *,
    form: ProjectPartForm | None = None,
    conflict: ConflictNotice | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = services.can_edit_project(membership, project)
    if can_edit and form is None:
        form = _edit_form(project, part, obj, row=False)
    context = {
        "membership": membership,
        "project": project,
        "can_edit": can_edit,
        "section": "model",
        "part": part,
        "obj": obj,
        "form": form if can_edit else None,
        "conflict": conflict,
        "changes": selectors.history_of(obj, limit=50),
        **_related(part, obj),
    }
    return render(request, f"workspace/{part.kind}_detail.html", context, status=status)


def _related(part: Part, obj: Any) -> dict[str, Any]:
    """What a part's page lists besides its own fields: its threats, and what uses or contains it."""
    threats = (
        obj.threats.select_related("owner").prefetch_related("impacted_assets").order_by("number")
        if part.kind != "zone"
        else []
    )
    related: dict[str, Any] = {"threats": threats}
    if part.kind == "zone":
        related["components"] = obj.components.order_by("name")
        related["children"] = obj.children.order_by("name")
    elif part.kind == "asset":
        related["components"] = obj.components.order_by("name")
        related["flows"] = obj.flows.select_related("source", "destination").order_by("name")
    elif part.kind == "component":
        related["assets"] = obj.assets.order_by("name")
        related["flows"] = (
            (
                DataFlow.objects.filter(project=obj.project_id, source=obj)
                | DataFlow.objects.filter(project=obj.project_id, destination=obj)
            )
            .select_related("source", "destination")
            .order_by("name")
        )
    else:
        related["assets"] = obj.assets.order_by("name")
    return related


def _delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, part: Part, pk: int
) -> HttpResponse:
    """GET asks (the page without JavaScript); POST deletes the version the person saw."""
    obj = part.one_of(project, pk)
    services.require_edit(membership, project)
    form = DeleteForm(posted(request), initial={"version": obj.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                part.delete(membership=membership, **{part.kind: obj}, version=form.cleaned_data["version"])
            except services.EditConflict as error:
                return _delete_refused(request, membership, project, part, obj, error)
            message = f"{part.noun.capitalize()} “{obj}” deleted."
            return _changed(request, membership, project, part, message)
        status = 400
    context = {"membership": membership, "project": project, "can_edit": True, "section": "model"}
    context |= {"part": part, "obj": obj, "form": form, "consequences": _consequences(part, obj)}
    return render(request, "workspace/part_delete.html", context, status=status)


def _delete_refused(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    part: Part,
    obj: Any,
    error: services.EditConflict,
) -> HttpResponse:
    gone = error.current is None
    text = (
        f"{part.noun.capitalize()} “{obj}” was already deleted by someone else."
        if gone
        else f"{part.noun.capitalize()} “{obj}” was changed by someone else since you opened it, so it was "
        "not deleted. Check their change, then delete it again if you still want to."
    )
    messages.warning(request, text)
    if request.htmx:
        return _model_answer(request, membership, project, part)
    if gone:
        return redirect("project_detail", project.organisation.slug, project.pk)
    return redirect(request.path)


def _consequences(part: Part, obj: Any) -> list[str]:
    """What else a delete changes, said before it happens."""

    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    if part.kind == "zone":
        n = obj.components.count()
        return [f"{count(n, 'component')} in it will have no trust zone."] if n else []
    if part.kind == "asset":
        n = obj.threats.count()
        return [f"It is removed from {count(n, 'threat')} that impact it."] if n else []
    if part.kind == "component":
        flows = obj.outgoing_flows.count() + obj.incoming_flows.count()
        verb = "is" if flows == 1 else "are"
        notes = [f"{count(flows, 'data flow')} to or from it {verb} deleted too."] if flows else []
        n = obj.threats.count()
        return notes + ([f"It is removed from the targets of {count(n, 'threat')}."] if n else [])
    n = obj.threats.count()
    return [f"It is removed from the targets of {count(n, 'threat')}."] if n else []


@require_POST
@project_required()
def zone_create(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    return _create(request, membership, project, PARTS["zone"])


@require_http_methods(["GET", "POST"])
@project_required()
def zone_detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, zone_id: int
) -> HttpResponse:
    return _detail(request, membership, project, PARTS["zone"], zone_id)


@require_http_methods(["GET", "POST"])
@project_required()
def zone_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, zone_id: int
) -> HttpResponse:
    return _delete(request, membership, project, PARTS["zone"], zone_id)


@require_POST
@project_required()
def asset_create(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    return _create(request, membership, project, PARTS["asset"])


@require_http_methods(["GET", "POST"])
@project_required()
def asset_detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, asset_id: int
) -> HttpResponse:
    return _detail(request, membership, project, PARTS["asset"], asset_id)


@require_http_methods(["GET", "POST"])
@project_required()
def asset_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, asset_id: int
) -> HttpResponse:
    return _delete(request, membership, project, PARTS["asset"], asset_id)


@require_POST
@project_required()
def component_create(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    return _create(request, membership, project, PARTS["component"])


@require_http_methods(["GET", "POST"])
@project_required()
def component_detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, component_id: int
) -> HttpResponse:
    return _detail(request, membership, project, PARTS["component"], component_id)


@require_http_methods(["GET", "POST"])
@project_required()
def component_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, component_id: int
) -> HttpResponse:
    return _delete(request, membership, project, PARTS["component"], component_id)


@require_POST
@project_required()
def flow_create(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    return _create(request, membership, project, PARTS["flow"])


@require_http_methods(["GET", "POST"])
@project_required()
def flow_detail(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, flow_id: int
) -> HttpResponse:
    return _detail(request, membership, project, PARTS["flow"], flow_id)


@require_http_methods(["GET", "POST"])
@project_required()
def flow_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project, flow_id: int
) -> HttpResponse:
    return _delete(request, membership, project, PARTS["flow"], flow_id)


# Projects ---------------------------------------------------------------------------------------------------


def _teams_for(membership: Membership) -> QuerySet[Team]:
    """The teams a member may give a project to: all of them for security leads, else their own."""
    if membership.can(Permission.EDIT_ALL_PROJECTS):
        return membership.organisation.teams.order_by("name")
    return membership.teams.order_by("name")


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@member_required()
def project_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    filters = selectors.ProjectFilters.from_query(request.GET)
    page = Paginator(selectors.projects_of(membership, filters), PROJECTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "membership": membership,
        "page": page,
        "projects": page.object_list,
        "filters": filters,
        "filtered": filters.active,
        "teams": membership.organisation.teams.order_by("name"),
        "statuses": ProjectStatus.choices,
        "review_days": attention.REVIEW_INTERVAL.days,
        "can_create": membership.can(Permission.EDIT_TEAM_PROJECTS),
    }
    if request.htmx and request.htmx.target == "project-results":
        return render(request, "workspace/project_list.html#results", context)
    return render(request, "workspace/project_list.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Permission.EDIT_TEAM_PROJECTS)
def project_create(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    teams = _teams_for(membership)
    chosen = teams.filter(slug=request.GET.get("team", "")).first() if request.method == "GET" else None
    form = ProjectForm(posted(request), teams=teams, initial={"team": chosen.pk} if chosen else None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(membership=membership, **form.values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"Project “{project}” created. Start with its trust zones and components."
            )
            return redirect("project_detail", membership.organisation.slug, project.pk)
    context = {"membership": membership, "form": form, "has_teams": teams.exists()}
    return render(request, "workspace/project_create.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@project_required()
def project_edit(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    services.require_edit(membership, project)
    initial = ProjectForm.initial_of(project)
    form = ProjectForm(posted(request), teams=_teams_for(membership), editing=True, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                membership=membership,
                project=copy.copy(project),
                version=form.cleaned_data["version"],
                **form.values,
            )
        except services.EditConflict as error:
            form, conflict = rebase_form(form, error)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Project saved.")
            return redirect("project_detail", membership.organisation.slug, project.pk)
    context = {"membership": membership, "project": project, "can_edit": True, "section": "project"}
    context |= {"form": form, "conflict": conflict}
    status = CONFLICT if conflict else 400 if form.errors else 200
    return render(request, "workspace/project_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@project_required()
def project_delete(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    services.require_edit(membership, project)
    form = DeleteForm(posted(request), initial={"version": project.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.project_delete(
                membership=membership, project=project, version=form.cleaned_data["version"]
            )
        except services.EditConflict:
            messages.warning(
                request, "Someone changed this project since you opened it, so it was not deleted."
            )
            return redirect("project_delete", membership.organisation.slug, project.pk)
        messages.success(request, f"Project “{project}” deleted.")
        return redirect("project_list", membership.organisation.slug)
    counts = {name: getattr(project, name).count() for name in ("components", "flows", "threats", "controls")}
    context = {"membership": membership, "project": project, "can_edit": True, "section": "project"}
    context |= {"form": form, "counts": counts}
    return render(request, "workspace/project_delete.html", context, status=400 if form.errors else 200)


@require_GET
@project_required()
def project_history(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    page = Paginator(selectors.history_events(project), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "project": project,
        "can_edit": services.can_edit_project(membership, project),
        "section": "history",
        "page": page,
        "changes": selectors.changes_from(page.object_list),
    }
    return render(request, "workspace/project_history.html", context)
