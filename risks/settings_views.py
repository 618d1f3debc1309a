"""The organisation's scoring settings page: its scales, matrix, currency and risk appetite. Every member reads
them (they explain every level on every page); security leads and owners change them, or reset the scales and the
matrix to the defaults (NIST SP 800-30). Writes go through risks.services.settings_update only."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from projects.access import member_required
from projects.http import CONFLICT, AuthenticatedHttpRequest
from projects.model_forms import apply_service_errors
from projects.models import Membership
from projects.roles import Permission
from risks import inputs, services
from risks.models import ScoringSettings
from risks.settings_forms import ScoringSettingsForm

SCALE_NAMES = {"likelihood_scale": "Likelihood scale", "impact_scale": "Impact scale", "matrix": "Matrix"}


@require_http_methods(["GET", "POST"])
@member_required()
def scoring_settings(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """GET shows the settings (as a form to those who may change them); POST saves them, or with `reset` puts the
    default scales and matrix back."""
    current = inputs.settings_of(membership.organisation)
    if request.method == "GET":
        return _page(
            request, membership, current, ScoringSettingsForm(initial=ScoringSettingsForm.initial_of(current))
        )
    if not membership.can(Permission.EDIT_SCORING):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) cannot change how risk is scored."
        )
    if "reset" in request.POST:
        return _reset(request, membership, current)
    form = ScoringSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.settings_update(
                membership=membership, version=form.cleaned_data["version"], **form.values()
            )
        except services.EditConflict:
            return _conflict(request, membership)
        except ValidationError as error:
            apply_service_errors(form, _named(error))
        else:
            messages.success(request, "Scoring settings saved. Stored risk figures are being recomputed.")
            return redirect("scoring_settings", org_slug=membership.organisation.slug)
    return _page(request, membership, current, form, status=400)


def _page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    current: ScoringSettings,
    form: ScoringSettingsForm,
    *,
    status: int = 200,
    conflict: bool = False,
) -> HttpResponse:
    context: dict[str, Any] = {
        "membership": membership,
        "settings": current,
        "saved": current.pk is not None,
        "form": form,
        "can_edit": membership.can(Permission.EDIT_SCORING),
        "conflict": conflict,
    }
    return render(request, "risks/settings.html", context, status=status)


def _reset(
    request: AuthenticatedHttpRequest, membership: Membership, current: ScoringSettings
) -> HttpResponse:
    defaults = inputs.default_settings(membership.organisation)
    version = request.POST.get("version", "")
    try:
        services.settings_update(
            membership=membership,
            version=int(version) if version.isdigit() else -1,
            likelihood_scale=defaults.likelihood_scale,
            impact_scale=defaults.impact_scale,
            matrix=defaults.matrix,
        )
    except services.EditConflict:
        messages.warning(
            request, "Someone else saved the scoring settings since you opened this page: check them."
        )
    else:
        messages.success(request, "Scales and matrix reset to the defaults (NIST SP 800-30).")
    return redirect("scoring_settings", org_slug=membership.organisation.slug)


def _conflict(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Someone saved since the form was loaded: keep the user's values, based on the current version, and say so."""
    current = inputs.settings_of(membership.organisation)
    data = request.POST.copy()
    data["version"] = str(current.version)
    rebased = ScoringSettingsForm(data)
    rebased.is_valid()
    return _page(request, membership, current, rebased, status=CONFLICT, conflict=True)


def _named(error: ValidationError) -> ValidationError:
    """A service's error about a whole scale or the matrix names it (it lands above the form; the form checks
    each field first, so these are rare)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {
            name: [
                f"{SCALE_NAMES[name]}: {message}" if name in SCALE_NAMES else message for message in errors
            ]
            for name, errors in error.message_dict.items()
        }
    )
