"""Accepting a business risk, on its page: a security lead or owner requests it (rationale, expiry), the risk's
owner (any role) approves or declines it with a note, and the requester (or a security lead) may withdraw it
while it waits. The service decides who may do what; a refusal is a 403 page, bad input the page with errors.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from projects.access import member_required
from projects.http import CONFLICT, AuthenticatedHttpRequest
from projects.model_forms import DeleteForm, apply_service_errors
from projects.models import Membership
from risks import register_selectors, services
from risks.forms import AcceptanceDecisionForm, AcceptanceRequestForm
from risks.models import BusinessRisk, RiskAcceptance
from risks.risk_views import risk_page, risk_url


def _owner_name(acceptance: RiskAcceptance) -> str:
    owner = acceptance.risk.owner
    return owner.display_name if owner is not None else "its owner"


def _changed_since(
    request: AuthenticatedHttpRequest, membership: Membership, risk: BusinessRisk
) -> HttpResponse:
    """The request changed since the page was read: the page as it is now, saying so."""
    messages.warning(request, "This request changed since you opened the page; read it again.")
    return risk_page(request, membership, risk, status=CONFLICT)


@require_POST
@member_required()
def acceptance_request(
    request: AuthenticatedHttpRequest, membership: Membership, risk_number: int
) -> HttpResponse:
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    form = AcceptanceRequestForm(request.POST, auto_id="acceptance-%s")
    if form.is_valid():
        try:
            acceptance = services.acceptance_request(membership=membership, risk=risk, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Acceptance of {risk.reference} requested until {acceptance.expires_on:%-d %b %Y}: "
                f"waiting for {_owner_name(acceptance)} to decide.",
            )
            return redirect(risk_url(risk) + "#acceptance")
    return risk_page(request, membership, risk, acceptance_form=form, status=400)


@require_POST
@member_required()
def acceptance_decide(
    request: AuthenticatedHttpRequest, membership: Membership, risk_number: int, acceptance_id: int
) -> HttpResponse:
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    acceptance = register_selectors.acceptance_of(risk, acceptance_id)
    form = AcceptanceDecisionForm(request.POST, auto_id="decision-%s")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.acceptance_decide(
                membership=membership,
                acceptance=acceptance,
                version=form.cleaned_data["version"],
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except services.EditConflict:
            return _changed_since(request, membership, risk)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            done = (
                f"{risk.reference} accepted until {acceptance.expires_on:%-d %b %Y}."
                if approve
                else f"Acceptance of {risk.reference} declined: it stays against appetite as it stands."
            )
            messages.success(request, done)
            return redirect(risk_url(risk) + "#acceptance")
    return risk_page(request, membership, risk, decision_form=form, status=400)


@require_POST
@member_required()
def acceptance_withdraw(
    request: AuthenticatedHttpRequest, membership: Membership, risk_number: int, acceptance_id: int
) -> HttpResponse:
    risk = register_selectors.risk_of(membership.organisation, risk_number)
    acceptance = register_selectors.acceptance_of(risk, acceptance_id)
    form = DeleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
        return risk_page(request, membership, risk, status=400)
    try:
        services.acceptance_withdraw(
            membership=membership, acceptance=acceptance, version=form.cleaned_data["version"]
        )
    except services.EditConflict:
        return _changed_since(request, membership, risk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return risk_page(request, membership, risk, status=400)
    messages.success(request, f"Acceptance request for {risk.reference} withdrawn.")
    return redirect(risk_url(risk) + "#acceptance")
