"""Notifications: what a member is told in the app and by e-mail, and how they like their e-mail.

A Notification is one line in one member's list, written by projects.notifications.notify. Its target is a loose
reference (the model's label and primary key), not a foreign key: deleting a threat must not delete what people
were told about it, and the link (url) is what the reader follows.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

__all__ = ["EmailMode", "EmailStatus", "Notification", "NotificationKind", "NotificationPreference"]


class NotificationKind(models.TextChoices):
    MENTION = "mention", "Mentions of me"
    COMMENT = "comment", "Comments on what I own"
    ASSIGNMENT = "assignment", "Something assigned to me"
    REVIEW_REQUESTED = "review_requested", "Threat models waiting for my sign-off"
    THREAT_REVIEW_REQUESTED = "threat_review_requested", "Threats sent for review"
    REVIEW_DECIDED = "review_decided", "Review decisions"
    ACCEPTANCE_REQUESTED = "acceptance_requested", "Risk acceptances waiting for my decision"
    ACCEPTANCE_DECIDED = "acceptance_decided", "Decisions on risk acceptances I asked for"
    ACCEPTANCE_EXPIRING = "acceptance_expiring", "Risk acceptances running out"
    CONTROL_OVERDUE = "control_overdue", "Controls of mine past their due date"
    WEBHOOK_FAILING = "webhook_failing", "Webhook endpoints marked failing (owners)"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "At once, one e-mail per notification"
    DIGEST = "digest", "Once a day, a digest of the day's unread notifications"
    OFF = "off", "Never: only in the app"


class EmailStatus(models.TextChoices):
    """Where a notification's e-mail (its own, or its place in a digest) stands; projects.notification_mail moves it."""

    NOT_SENT = "not_sent", "Not e-mailed"  # none yet: waiting for its e-mail or digest, or for a retry
    SENDING = "sending", "Being e-mailed"  # claimed by a sender until email_lease_until
    SENT = "sent", "E-mailed"
    FAILED = "failed", "Could not be e-mailed"  # given up: email_error says why


class Notification(models.Model):
    organisation = models.ForeignKey(
        "projects.Organisation", on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    # A loose reference: "app_label.model" and its primary key (the object may be deleted later).
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When an e-mail told of it (at once or in a digest); null while none has.
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.NOT_SENT)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # While sending: when the sender's claim runs out (its worker is then taken to have stopped).
    email_lease_until = models.DateTimeField(null=True, blank=True)
    # After an attempt that failed for now: when it is tried again.
    email_retry_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed; when the e-mail is given up (failed), why it was.
    email_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "organisation", "-created_at"], name="notification_list"),
            models.Index(
                fields=["recipient", "organisation"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["organisation", "recipient", "created_at"],
                condition=Q(emailed_at__isnull=True, read_at__isnull=True),
                name="notification_not_emailed",
            ),
            # What was said about one thing (a comment's notifications, rewritten when it is deleted).
            models.Index(fields=["organisation", "target_type", "target_id"], name="notification_target"),
            # The sweeper's reads (projects.notification_mail.lost_emails): sends cut short, retries overdue.
            models.Index(
                fields=["email_lease_until"],
                condition=Q(email_status="sending"),
                name="notification_email_sending",
            ),
            models.Index(
                fields=["email_retry_at"],
                condition=Q(email_status="not_sent", email_attempts__gt=0),
                name="notification_email_retrying",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(email_status__in=EmailStatus.values), name="notification_email_status_known"
            ),
            # Sent is when an e-mail told of it, and only then.
            models.CheckConstraint(
                condition=Q(email_status=EmailStatus.SENT, emailed_at__isnull=False)
                | (~Q(email_status=EmailStatus.SENT) & Q(emailed_at__isnull=True)),
                name="notification_sent_when_emailed",
            ),
            models.CheckConstraint(
                condition=~Q(email_status=EmailStatus.SENDING) | Q(email_lease_until__isnull=False),
                name="notification_sending_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """One member's e-mail preference in one organisation. No row means the defaults (immediate, every kind)."""

    membership = models.OneToOneField(
        "projects.Membership", on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.CharField(max_length=20, choices=EmailMode.choices, default=EmailMode.IMMEDIATE)
    # Kinds the member never wants e-mailed (they still appear in the app).
    muted_kinds = ArrayField(
        models.CharField(max_length=30, choices=NotificationKind.choices), default=list, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email__in=EmailMode.values), name="notification_email_mode_known"
            ),
        ]

    def __str__(self) -> str:
        return f"E-mail {self.get_email_display().lower()} for {self.membership}"

    def emails(self, kind: str) -> EmailMode:
        """How a notification of this kind is e-mailed to this member."""
        if kind in self.muted_kinds:
            return EmailMode.OFF
        return EmailMode(self.email)
