"""The owners' webhook pages, under the organisation's settings: the endpoints, one endpoint with its delivery
log, and the actions on it. Thin over projects.webhooks; only owners reach them (others get 403, outsiders 404).

A secret is shown once, on the page that answers the request that made it (as a new API token is), never again.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import webhooks
from projects.access import member_required
from projects.http import AuthenticatedHttpRequest
from projects.models import Membership
from projects.roles import Permission
from projects.webhook_forms import WebhookEndpointEditForm, WebhookEndpointForm
from projects.webhook_models import DeliveryStatus, WebhookEndpoint
from projects.webhooks import IssuedSecret
from projects.writes import EditConflict

DELIVERIES_PER_PAGE = 25


def _errors_onto(form: WebhookEndpointForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_GET
@member_required(Permission.MANAGE_ORGANISATION)
def webhook_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    endpoints = list(webhooks.endpoints_of(membership))
    return render(request, "webhooks/list.html", {"membership": membership, "endpoints": endpoints})


@require_http_methods(["GET", "POST"])
@member_required(Permission.MANAGE_ORGANISATION)
def webhook_create(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = webhooks.endpoint_create(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            return _secret_page(request, membership, issued, created=True)
    status = 400 if form.errors else 200
    return render(request, "webhooks/create.html", {"membership": membership, "form": form}, status=status)


def _secret_page(
    request: AuthenticatedHttpRequest, membership: Membership, issued: IssuedSecret, created: bool
) -> HttpResponse:
    context = {"membership": membership, "issued": issued, "created": created}
    return render(request, "webhooks/secret.html", context, status=201 if created else 200)


def _edit_form(endpoint: WebhookEndpoint, data: Any = None) -> WebhookEndpointEditForm:
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
        "version": endpoint.version,
    }
    return WebhookEndpointEditForm(data, initial=initial)


def _edit_form_over(current: WebhookEndpoint, data: Any) -> WebhookEndpointEditForm:
    """The owner's values, kept, over the version another owner saved meanwhile: one more save applies them."""
    data = data.copy()
    data["version"] = str(current.version)
    form = _edit_form(current, data)
    form.is_valid()
    form.add_error(
        None,
        "Another owner changed this endpoint while you were editing it: the page shows what is stored now. Your "
        "changes are still in the form; save again to apply them over theirs.",
    )
    return form


@require_http_methods(["GET", "POST"])
@member_required(Permission.MANAGE_ORGANISATION)
def webhook_detail(
    request: AuthenticatedHttpRequest, membership: Membership, webhook_id: int
) -> HttpResponse:
    endpoint = webhooks.endpoint_of(membership, webhook_id)
    form = _edit_form(endpoint, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.endpoint_update(membership=membership, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as error:
            _errors_onto(form, error)
        except EditConflict as conflict:
            if not isinstance(conflict.current, WebhookEndpoint):
                messages.warning(request, "Another owner deleted this webhook endpoint meanwhile.")
                return redirect("webhook_list", org_slug=membership.organisation.slug)
            form, status = _edit_form_over(conflict.current, request.POST), 409
        else:
            messages.success(request, "Webhook endpoint saved.")
            return redirect("webhook_detail", org_slug=membership.organisation.slug, webhook_id=endpoint.pk)
        endpoint.refresh_from_db()  # the page shows what is stored, the form what was typed
    page = Paginator(webhooks.deliveries_of(endpoint), DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "endpoint": endpoint,
        "form": form,
        "page": page,
        "deliveries": page.object_list,
        "waiting": any(d.status == DeliveryStatus.PENDING for d in page.object_list),
    }
    if request.htmx and request.method == "GET":
        return render(request, "webhooks/detail.html#delivery-log", context)
    return render(
        request, "webhooks/detail.html", context, status=400 if status == 200 and form.errors else status
    )


@require_POST
@member_required(Permission.MANAGE_ORGANISATION)
def webhook_delete(
    request: AuthenticatedHttpRequest, membership: Membership, webhook_id: int
) -> HttpResponse:
    endpoint = webhooks.endpoint_of(membership, webhook_id)
    webhooks.endpoint_delete(membership=membership, endpoint=endpoint)
    messages.success(request, f"The webhook endpoint {endpoint.url} was deleted; nothing more is sent to it.")
    return redirect("webhook_list", org_slug=membership.organisation.slug)


@require_POST
@member_required(Permission.MANAGE_ORGANISATION)
def webhook_test(request: AuthenticatedHttpRequest, membership: Membership, webhook_id: int) -> HttpResponse:
    endpoint = webhooks.endpoint_of(membership, webhook_id)
    try:
        webhooks.endpoint_test(membership=membership, endpoint=endpoint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "A test event is on its way; the log below shows the answer in a moment.")
    return redirect("webhook_detail", org_slug=membership.organisation.slug, webhook_id=endpoint.pk)


@require_POST
@member_required(Permission.MANAGE_ORGANISATION)
def webhook_reenable(
    request: AuthenticatedHttpRequest, membership: Membership, webhook_id: int
) -> HttpResponse:
    endpoint = webhooks.endpoint_of(membership, webhook_id)
    webhooks.endpoint_reenable(membership=membership, endpoint=endpoint)
    messages.success(request, "The endpoint is enabled again: the next events are sent to it.")
    return redirect("webhook_detail", org_slug=membership.organisation.slug, webhook_id=endpoint.pk)


@require_POST
@member_required(Permission.MANAGE_ORGANISATION)
def webhook_secret(
    request: AuthenticatedHttpRequest, membership: Membership, webhook_id: int
) -> HttpResponse:
    endpoint = webhooks.endpoint_of(membership, webhook_id)
    issued = webhooks.endpoint_new_secret(membership=membership, endpoint=endpoint)
    return _secret_page(request, membership, issued, created=False)
