"""Webhooks: the organisation's endpoints that receive signed JSON events, and the log of every delivery.

An endpoint's secret signs what is sent to it (projects.webhook_delivery). It is kept, since signing needs it,
but shown to the owner only once, when it is made, and never written to a backup: a restored endpoint has none
until an owner makes a new one, and nothing is sent to it until then.
"""

import json
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

__all__ = [
    "SUBSCRIBABLE_EVENTS",
    "DeliveryStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]


class WebhookEvent(models.TextChoices):
    THREAT_CREATED = "threat.created", "A threat is logged"
    THREAT_CHANGED = "threat.changed", "A threat is changed"
    CONTROL_STATUS_CHANGED = "control.status_changed", "A control's status changes"
    RISK_ABOVE_APPETITE = "risk.above_appetite", "A business risk moves above appetite"
    ACCEPTANCE_EXPIRED = "acceptance.expired", "A risk acceptance runs out"
    REPORT_READY = "report.ready", "A PDF report is ready"
    PING = "ping", "Test event"


# The events an endpoint subscribes to; the test event (ping) goes to the endpoint an owner tests, whatever it
# subscribes to.
SUBSCRIBABLE_EVENTS: tuple[str, ...] = tuple(
    value for value in WebhookEvent.values if value != WebhookEvent.PING
)


class WebhookEndpoint(models.Model):
    organisation = models.ForeignKey(
        "projects.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField("address", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices))
    secret = models.CharField(max_length=100, blank=True, editable=False)
    active = models.BooleanField(default=True)
    # Consecutive failed attempts, over all deliveries; a success sets it back to 0. At WEBHOOKS_MAX_ATTEMPTS
    # the endpoint is marked failing (failing_since) and nothing more is sent until an owner re-enables it.
    failure_count = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    # Moves with every change an owner makes (not with deliveries), so two owners' edits never overwrite silently.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(events__contained_by=list(SUBSCRIBABLE_EVENTS)) & Q(events__len__gt=0),
                name="webhook_events_known",
                violation_error_code="events",
                violation_error_message="Choose at least one event.",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None

    @property
    def needs_secret(self) -> bool:
        """Restored from a backup, which never carries secrets: an owner makes a new one before it is used."""
        return not self.secret

    @property
    def sends(self) -> bool:
        """Whether events are sent to it now."""
        return self.active and not self.is_failing and not self.needs_secret


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: its body as it is sent, and how the attempts went."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # X-Threatmodel-Delivery: the same on every attempt, so a receiver can tell a retry from a new event.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            # The sweeper's look for deliveries whose task was lost.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_waiting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_known"
            ),
            models.CheckConstraint(
                condition=Q(event__in=WebhookEvent.values), name="webhook_delivery_event_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint} ({self.status})"

    @property
    def payload_text(self) -> str:
        """The body as the log shows it: indented JSON."""
        return json.dumps(self.payload, indent=2, ensure_ascii=False, sort_keys=True)
