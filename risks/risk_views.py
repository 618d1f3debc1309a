"""The business-risk register's pages, under /o/<org_slug>/risks/: the register (filters, search, sorting,
pages, the portfolio's figures), adding, editing and deleting a risk, a risk's page (its stages, scenarios,
controls, position against appetite, the planner's recommendation, acceptances, history), linking threats to
it and unlinking them, and the what-if run. With `?format=csv` or `?format=xlsx` the register answers every
risk its filters select as a spreadsheet (projects.interop.tables).

As elsewhere, one view serves a whole page and, for htmx, a named partial of it; every hx-* request has a
plain href or form action that works without JavaScript. Writes go through risks.services only.
"""

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from projects.access import member_required
from projects.conflicts import ConflictNotice, rebase_form
from projects.http import CONFLICT, AuthenticatedHttpRequest, posted
from projects.interop import tables
from projects.interop.tables import Column
from projects.model_forms import DeleteForm, apply_service_errors
from projects.models import Membership, Threat
from projects.roles import Permission
from projects.threat_views import sort_headers
from projects.workspace_selectors import history_of, people_of
from risks import inputs, pages, register, register_selectors, selectors, services
from risks.appetite import AcceptanceState
from risks.forms import (
    AcceptanceDecisionForm,
    AcceptanceRequestForm,
    RiskForm,
    ScenarioForm,
    WhatIfForm,
)
from risks.models import BusinessRisk, Category, Level, RiskStatus, Treatment

RISKS_PER_PAGE = 25
HISTORY_LIMIT = 50
COLUMNS = {
    "number": "ID",
    "title": "Business risk",
    "level": "Residual level",
    "ale": "Expected annual loss",
    "owner": "Owner",
    "review_on": "Next review",
}


def risk_url(risk: BusinessRisk, name: str = "risk_detail", *args: object) -> str:
    return reverse(name, args=[risk.organisation.slug, risk.number, *args])


# The register -----------------------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@member_required()
def risk_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    organisation = membership.organisation
    scales = inputs.Scales.of(inputs.settings_of(organisation))
    filters = register_selectors.RiskFilters.from_query(request.GET)
    listed = register_selectors.risks_of(membership.organisation, filters, scales)
    if fmt := tables.requested_format(request.GET):
        return _register_table(membership, listed, scales, fmt)
    page = Paginator(listed, RISKS_PER_PAGE).get_page(request.GET.get("page"))
    risks = list(page.object_list)
    ids = [risk.pk for risk in risks]
    rows = pages.register_rows(
        risks, selectors.stored_figures(organisation, ids), register.acceptances_by_risk(ids), scales
    )
    context = {
        "membership": membership,
        "page": page,
        "rows": rows,
        "filters": filters,
        "scope": register_selectors.scope_of(organisation, filters),
        "scales": scales,
        "currency": scales.currency,
        "sorts": sort_headers(filters.order, COLUMNS),
        "can_edit": membership.can(Permission.EDIT_RISK_REGISTER),
        "downloads": {
            fmt: f"{reverse('risk_list', args=[organisation.slug])}?{tables.download_query(request.GET, fmt)}"
            for fmt in (tables.CSV, tables.XLSX)
        },
    }
    if request.htmx and request.htmx.target == "risk-results":
        return render(request, "risks/list.html#results", context)
    context |= {
        "portfolio": selectors.portfolio_figures(organisation),
        "people": people_of(membership),
        "categories": Category.choices,
        "statuses": RiskStatus.choices,
        "treatments": Treatment.choices,
    }
    return render(request, "risks/list.html", context)


REGISTER_TABLE = (
    Column("ID", 7),
    Column("Title", 40),
    Column("Description", 50),
    Column("Categories", 20),
    Column("Owner", 22),
    Column("Owner e-mail", 28),
    Column("Impact", 11),
    Column("Loss low", 14, money=True),
    Column("Loss high", 14, money=True),
    Column("Currency", 9),
    Column("Treatment", 11),
    Column("Treatment detail", 40),
    Column("Status", 13),
    Column("Next review", 12),
    Column("Threats", 8),
    Column("Inherent level", 14),
    Column("Residual level", 14),
    Column("Expected annual loss (residual)", 18, money=True),
    Column("Against appetite", 17),
    Column("Figures computed", 16),
    Column("Figures out of date", 10),
)


def _level_name(level: str | None) -> str | None:
    return Level(level).label if level else None


def _register_table(
    membership: Membership, risks: QuerySet[BusinessRisk], scales: inputs.Scales, fmt: str
) -> HttpResponse:
    """Every risk the register's filters select, in its order, with its stored figures and position."""
    organisation = membership.organisation
    listed = list(risks)
    ids = [risk.pk for risk in listed]
    rows = pages.register_rows(
        listed, selectors.stored_figures(organisation, ids), register.acceptances_by_risk(ids), scales
    )
    values = []
    for row in rows:
        risk, figures = row.risk, row.figures
        values.append(
            (
                risk.reference,
                risk.title,
                risk.description or None,
                ", ".join(Category(value).label for value in risk.categories) or None,
                risk.owner.display_name if risk.owner else None,
                risk.owner.email if risk.owner else None,
                _level_name(risk.impact),
                risk.loss_low,
                risk.loss_high,
                scales.currency,
                risk.get_treatment_display(),
                risk.treatment_detail or None,
                risk.get_status_display(),
                risk.review_on,
                risk.scenario_count,  # type: ignore[attr-defined]
                _level_name(figures.inherent.level) if figures else None,
                _level_name(figures.residual.level) if figures else None,
                round(figures.residual.ale_mean, 2) if figures else None,
                row.position.label,
                figures.computed_at.date() if figures else None,
                ("yes" if figures.stale else "no") if figures else None,
            )
        )
    name = f"{organisation.slug}-business-risks-{timezone.localdate().isoformat()}"
    return tables.table_response(
        fmt, filename=name, title="Business risks", columns=REGISTER_TABLE, rows=values
    )


# Adding, editing and deleting a risk -----------------------------------------------------------------------


def _risk_form(membership: Membership, data: Any = None, **kwargs: Any) -> RiskForm:
    return RiskForm(data, people=people_of(membership), **kwargs)


@require_http_methods(["GET", "POST"])
@member_required(Permission.EDIT_RISK_REGISTER)
def risk_create(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = _risk_form(membership, posted(request), initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.risk_create(membership=membership, **form.values)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{risk.reference} added. Link the threats that can cause it, from here or a threat's page.",
            )
            return redirect(risk_url(risk))
    context = {"membership": membership, "form": form}
    return render(request, "risks/create.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@member_required(Permission.EDIT_RISK_REGISTER)
def risk_edit(request: AuthenticatedHttpRequest, membership: Membership, risk_number: int) -> HttpResponse:
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    form = _risk_form(membership, posted(request), current=risk, initial=RiskForm.initial_of(risk))
    conflict: ConflictNotice | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_update(
                membership=membership,
                risk=copy.copy(risk),
                version=form.cleaned_data["version"],
                **form.values,
            )
        except services.EditConflict as error:
            form, conflict = rebase_form(form, error)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{risk.reference} saved.")
            return redirect(risk_url(risk))
    status = CONFLICT if conflict else 400 if form.errors else 200
    context = {"membership": membership, "risk": risk, "form": form, "conflict": conflict}
    return render(request, "risks/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@member_required(Permission.EDIT_RISK_REGISTER)
def risk_delete(request: AuthenticatedHttpRequest, membership: Membership, risk_number: int) -> HttpResponse:
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    form = DeleteForm(posted(request), initial={"version": risk.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_delete(membership=membership, risk=risk, version=form.cleaned_data["version"])
        except services.EditConflict as error:
            if error.current is None:
                messages.warning(request, f"{risk.reference} was already deleted by someone else.")
                return redirect("risk_list", membership.organisation.slug)
            messages.warning(
                request,
                f"{risk.reference} was changed by someone else since you opened it, so it was not deleted. "
                "Check their change, then delete it again if you still want to.",
            )
            return redirect(risk_url(risk))
        messages.success(request, f"{risk.reference} deleted, with its scenarios and acceptances.")
        return redirect("risk_list", membership.organisation.slug)
    context = {"membership": membership, "risk": risk, "form": form, "scenario_count": risk.scenarios.count()}
    return render(request, "risks/delete.html", context, status=400 if form.errors else 200)


# A risk's page ---------------------------------------------------------------------------------------------


def risk_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    risk: BusinessRisk,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    """The risk's page; `forms` replaces the blank forms (scenario_form, acceptance_form, decision_form) with
    bound ones that carry errors."""
    return render(
        request, "risks/detail.html", _page_context(request, membership, risk, **forms), status=status
    )


def _page_context(
    request: AuthenticatedHttpRequest, membership: Membership, risk: BusinessRisk, **forms: Any
) -> dict[str, Any]:
    organisation = membership.organisation
    risk_inputs = inputs.risk_inputs(organisation, [risk.pk])[0]
    stored = selectors.stored_figures(organisation, [risk.pk]).get(risk.pk)
    acceptances = register_selectors.acceptances_of(risk)
    state = AcceptanceState.of(acceptances, timezone.localdate())
    scales = risk_inputs.scales
    threats = {
        t.pk: t
        for t in Threat.objects.filter(pk__in=[s.threat_id for s in risk_inputs.scenarios])
        .select_related("project")
        .prefetch_related("impacted_assets")
    }
    notes = dict(risk.scenarios.exclude(note="").values_list("pk", "note"))
    user_id = membership.user_id
    context: dict[str, Any] = {
        "membership": membership,
        "risk": risk,
        "scales": scales,
        "currency": scales.currency,
        "stored": stored,
        "stages": pages.stage_rows(risk_inputs, stored),
        "position": pages.page_position(risk_inputs, stored, state),
        "scenarios": pages.scenario_rows(membership, risk_inputs, threats, notes),
        "controls": pages.control_rows(risk_inputs),
        "recommendation": pages.recommendation(risk_inputs, stored),
        "acceptances": acceptances,
        "acceptance": state,
        "can_edit": membership.can(Permission.EDIT_RISK_REGISTER),
        "may_request": membership.can(Permission.REQUEST_RISK_ACCEPTANCE) and state.waiting is None,
        "may_decide": state.waiting is not None
        and risk.owner_id == user_id
        and membership.can(Permission.DECIDE_OWN_RISK_ACCEPTANCE),
        "may_withdraw": state.waiting is not None
        and (state.waiting.requested_by_id == user_id or membership.can(Permission.EDIT_RISK_REGISTER)),
        "changes": history_of(risk, limit=HISTORY_LIMIT),
    }
    context |= _what_if_context(request, risk, risk_inputs, state)
    scenario_form = forms.get("scenario_form") or ScenarioForm(
        threats=register.linkable_threats(membership, risk), auto_id="scenario-%s"
    )
    context["scenario_form"] = scenario_form
    context["acceptance_form"] = forms.get("acceptance_form") or AcceptanceRequestForm(
        auto_id="acceptance-%s"
    )
    if state.waiting is not None:
        context["decision_form"] = forms.get("decision_form") or AcceptanceDecisionForm(
            initial={"version": state.waiting.version}, auto_id="decision-%s"
        )
    return context


def _what_if_context(
    request: AuthenticatedHttpRequest,
    risk: BusinessRisk,
    risk_inputs: inputs.RiskInputs,
    state: AcceptanceState,
) -> dict[str, Any]:
    form = WhatIfForm(request.GET if "what_if" in request.GET else None, controls=risk_inputs.controls())
    chosen = form.chosen(pages.in_force_controls(risk_inputs))
    title = f"Loss exceedance of {risk.reference}"
    return {"what_if": pages.what_if(risk_inputs, chosen, state, title=title), "what_if_chosen": chosen}


@require_GET
@member_required()
def risk_detail(request: AuthenticatedHttpRequest, membership: Membership, risk_number: int) -> HttpResponse:
    return risk_page(request, membership, register_selectors.risk_of(membership.organisation, risk_number))


@require_GET
@vary_on_headers("HX-Request")
@member_required()
def risk_what_if(request: AuthenticatedHttpRequest, membership: Membership, risk_number: int) -> HttpResponse:
    """The what-if figures and curve for the ticked controls (htmx); without htmx, the page showing them."""
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    if not request.htmx:
        query = request.GET.urlencode()
        return redirect(risk_url(risk) + (f"?{query}" if query else "") + "#what-if")
    risk_inputs = inputs.risk_inputs(membership.organisation, [risk.pk])[0]
    state = AcceptanceState.of(register_selectors.acceptances_of(risk), timezone.localdate())
    context = {"risk": risk, "currency": risk_inputs.scales.currency, "scales": risk_inputs.scales}
    context |= _what_if_context(request, risk, risk_inputs, state)
    return render(request, "risks/detail.html#what-if-results", context)


# Scenarios: threats linked to the risk ---------------------------------------------------------------------


@require_POST
@member_required()
def scenario_create(
    request: AuthenticatedHttpRequest, membership: Membership, risk_number: int
) -> HttpResponse:
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    form = ScenarioForm(
        request.POST, threats=register.linkable_threats(membership, risk), auto_id="scenario-%s"
    )
    if form.is_valid():
        threat = form.cleaned_data["threat"]
        try:
            services.scenario_create(
                membership=membership, risk=risk, threat=threat, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"{threat.reference} of {threat.project.name} linked to {risk.reference}."
            )
            return redirect(risk_url(risk) + "#scenarios")
    return risk_page(request, membership, risk, scenario_form=form, status=400)


@require_POST
@member_required()
def scenario_delete(
    request: AuthenticatedHttpRequest, membership: Membership, risk_number: int, scenario_id: int
) -> HttpResponse:
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    scenario = register_selectors.scenario_of(risk, scenario_id)
    services.scenario_delete(membership=membership, scenario=scenario)
    threat = scenario.threat
    messages.success(
        request, f"{threat.reference} of {threat.project.name} no longer linked to {risk.reference}."
    )
    return redirect(risk_url(risk) + "#scenarios")
