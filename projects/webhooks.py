"""Webhooks: emit() turns something that happened into a delivery for each endpoint that wants it, and the
owners' operations on endpoints (register, edit, delete, test, re-enable, new secret).

Callers call emit() inside the transaction of their change: the deliveries are written with the change (and
vanish with it if it rolls back), and the tasks that send them are enqueued only once it commits. docs/webhooks.md
describes the events, their bodies and how to verify a signature.
"""

import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from projects.models import Membership, Organisation
from projects.roles import Permission
from projects.webhook_addresses import AddressRefused, check_url
from projects.webhook_models import (
    SUBSCRIBABLE_EVENTS,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from projects.webhook_tasks import deliver_webhook
from projects.writes import save_version, validate

SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS = 20  # per organisation
PAYLOAD_VERSION = 1


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


type EventData = dict[str, Any] | Callable[[], dict[str, Any]]


def envelope(*, organisation: dict[str, str], event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The body every endpoint receives: what happened, when, in which organisation, and its data."""
    return {
        "version": PAYLOAD_VERSION,
        "event": event,
        "event_id": str(uuid.uuid4()),
        "occurred_at": timezone.now().isoformat(),
        "organisation": organisation,
        "data": json.loads(
            json.dumps(data, cls=DjangoJSONEncoder)
        ),  # dates, decimals and ids as JSON has them
    }


def emit(*, organisation: Organisation | int, event: str, data: EventData) -> None:
    """Write a delivery of the event for each of the organisation's endpoints that sends it, and send them once
    the caller's transaction commits. `data` may be a function giving it, called only when some endpoint wants
    the event: one query, and nothing built, when none does."""
    emit_many(organisation=organisation, event=event, items=[data])


def emit_many(*, organisation: Organisation | int, event: str, items: Iterable[EventData]) -> None:
    """emit() for several things of one kind at once (a bulk change): the endpoints are read once."""
    if event not in SUBSCRIBABLE_EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}: use one of {', '.join(SUBSCRIBABLE_EVENTS)}.")
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    endpoints = list(
        WebhookEndpoint.objects.filter(
            organisation=organisation_id, active=True, failing_since__isnull=True, events__contains=[event]
        )
        .exclude(secret="")
        .values_list("pk", "organisation__slug", "organisation__name")
    )
    if not endpoints:
        return
    whose = {"slug": endpoints[0][1], "name": endpoints[0][2]}
    deliveries = []
    for item in items:
        payload = envelope(organisation=whose, event=event, data=item() if callable(item) else item)
        deliveries += [
            WebhookDelivery(endpoint_id=pk, event=event, payload=payload) for pk, _, _ in endpoints
        ]
    _send(WebhookDelivery.objects.bulk_create(deliveries))


def _send(deliveries: Iterable[WebhookDelivery]) -> None:
    for delivery in deliveries:
        deliver_webhook.delay_on_commit(delivery.pk)  # type: ignore[attr-defined]  # Celery 5.4+, not in celery-types


# Reads: an owner's, from their membership ------------------------------------------------------------------


def require_owner(membership: Membership) -> None:
    if not membership.can(Permission.MANAGE_ORGANISATION):
        raise PermissionDenied("Only owners manage webhooks.")


def endpoints_of(membership: Membership) -> models.QuerySet[WebhookEndpoint]:
    """The organisation's endpoints, each with its latest delivery's status, code and time (one query)."""
    require_owner(membership)
    latest = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-pk")
    return WebhookEndpoint.objects.filter(organisation=membership.organisation_id).annotate(
        last_status=Subquery(latest.values("status")[:1]),
        last_code=Subquery(latest.values("response_code")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    )


def endpoint_of(membership: Membership, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint of the member's organisation (404 otherwise)."""
    require_owner(membership)
    endpoint = WebhookEndpoint.objects.filter(organisation=membership.organisation_id, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def deliveries_of(endpoint: WebhookEndpoint) -> models.QuerySet[WebhookDelivery]:
    return endpoint.deliveries.order_by("-created_at", "-pk")


# Writes ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSecret:
    """An endpoint and its secret, which is shown this once."""

    endpoint: WebhookEndpoint
    secret: str


def _checked_url(url: str) -> str:
    try:
        return check_url(url)
    except AddressRefused as error:
        raise ValidationError({"url": str(error)}) from None


def _checked_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise ValidationError(
            {"events": f"Unknown event{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."}
        )
    if not chosen:
        raise ValidationError({"events": "Choose at least one event."})
    return [event for event in SUBSCRIBABLE_EVENTS if event in chosen]


def endpoint_create(
    *, membership: Membership, url: str, events: Iterable[str], description: str = ""
) -> IssuedSecret:
    require_owner(membership)
    endpoint = WebhookEndpoint(
        organisation_id=membership.organisation_id,
        url=url.strip(),
        description=description.strip(),
        events=_checked_events(events),
        secret=_new_secret(),
        created_by=membership.user,
    )
    endpoint.url = _checked_url(endpoint.url)  # first: its reasons say more than "Enter a valid URL"
    validate(endpoint)
    with transaction.atomic():
        # Counted under a lock on the organisation's row, so two owners at once cannot pass the limit.
        list(Organisation.objects.select_for_update().filter(pk=membership.organisation_id).values("pk"))
        if WebhookEndpoint.objects.filter(organisation=membership.organisation_id).count() >= MAX_ENDPOINTS:
            raise ValidationError(f"An organisation has at most {MAX_ENDPOINTS} webhook endpoints.")
        endpoint.save()
    return IssuedSecret(endpoint, endpoint.secret)


def endpoint_update(
    *,
    membership: Membership,
    endpoint: WebhookEndpoint,
    version: int,
    url: str,
    events: Iterable[str],
    description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """Change what an endpoint receives, or where, from the `version` the owner read (EditConflict when another
    owner changed it since); a new address is checked as a new endpoint's is."""
    require_owner(membership)
    moved = url.strip() != endpoint.url
    endpoint.url, endpoint.description = url.strip(), description.strip()
    endpoint.events, endpoint.active = _checked_events(events), active
    if moved:
        endpoint.url = _checked_url(endpoint.url)
    validate(endpoint)
    save_version(endpoint, version, ["url", "description", "events", "active"])
    return endpoint


def endpoint_delete(*, membership: Membership, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its log; a delivery under way finds it gone and stops."""
    require_owner(membership)
    endpoint.delete()


def endpoint_reenable(*, membership: Membership, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Send events again to an endpoint marked failing (or paused), from its next event on. A change of its state
    like an edit: an owner's form drawn before it is refused rather than pausing it again unseen."""
    require_owner(membership)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=None, failure_count=0, active=True, version=F("version") + 1, updated_at=timezone.now()
    )
    endpoint.refresh_from_db()
    return endpoint


def endpoint_new_secret(*, membership: Membership, endpoint: WebhookEndpoint) -> IssuedSecret:
    """Replace the secret (it leaked, or a restore left none); the new one is shown this once. Deliveries from
    now on, retries included, are signed with it."""
    require_owner(membership)
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return IssuedSecret(endpoint, endpoint.secret)


def endpoint_test(*, membership: Membership, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send the endpoint a test event (ping), once, even when it is paused or failing: its log shows the answer."""
    require_owner(membership)
    if endpoint.needs_secret:
        raise ValidationError(
            "Make a secret for this endpoint first: there is nothing to sign the test with."
        )
    data = {"message": "A test event sent by an owner.", "endpoint": {"id": endpoint.pk, "url": endpoint.url}}
    organisation = {"slug": membership.organisation.slug, "name": membership.organisation.name}
    payload = envelope(organisation=organisation, event=WebhookEvent.PING, data=data)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=WebhookEvent.PING, payload=payload)
        _send([delivery])
    return delivery
