"""Reviews: a project's model submitted for sign-off and decided by a security lead, and the decisions on threats
in review (projects.review_services writes both).

A ModelReview keeps the digest and a snapshot of the model's content (projects.review_content): at submission,
then, once approved, as approved. A later model whose digest differs from the approved one has "changed since
approval", and the snapshot is what the diff compares the model of today with.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.models import ProjectStatus, ThreatStatus

__all__ = ["SUBMITTED", "VERDICTS", "ModelReview", "ReviewDecision", "ThreatReview", "ThreatReviewDecision"]


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    # Taken back before anyone decided, by whoever may edit the project (review_services.model_review_withdraw).
    WITHDRAWN = "withdrawn", "Withdrawn"


# The decisions a security lead or an owner gives; a withdrawal is the submitter's side, not a verdict.
VERDICTS = [ReviewDecision.APPROVED, ReviewDecision.CHANGES_REQUESTED]
VERDICT_CHOICES = [(value, value.label) for value in VERDICTS]
# A model's review step in the history's context beside the decisions (review_services; live reads it back).
SUBMITTED = "submitted"


class ModelReview(models.Model):
    """One submission of a project's model for sign-off, and its decision (none while it waits)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="reviews")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField()
    note = models.TextField(blank=True, max_length=2_000)
    # The project's status before it went into review, which a request for changes gives back.
    status_before = models.CharField(
        max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT
    )
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=2_000)
    # sha256 of the model's canonical content (projects.review_content.digest_of), and that content itself.
    digest = models.CharField(max_length=64)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(decision=""),
                name="one_open_review_per_project",
                violation_error_code="project",
                violation_error_message="This model is already waiting for review.",
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decision__in=ReviewDecision.values), name="review_decision_known"
            ),
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True)
                | (~Q(decision="") & Q(decided_at__isnull=False)),
                name="review_decided_when_decided",
            ),
            models.CheckConstraint(
                condition=~Q(decision=ReviewDecision.CHANGES_REQUESTED) | ~Q(comment=""),
                name="review_changes_requested_say_which",
                violation_error_code="comment",
                violation_error_message="Say what should change.",
            ),
            models.CheckConstraint(
                condition=Q(status_before__in=ProjectStatus.values), name="review_status_before_known"
            ),
        ]
        indexes = [
            # The latest approval of a project, read by every Review tab and diff.
            models.Index(
                fields=["project", "-decided_at"],
                condition=Q(decision=ReviewDecision.APPROVED),
                name="review_latest_approval",
            ),
            # The activity feeds (projects.activity) read submissions and decisions newest first and stop after a
            # page, reaching an organisation's through their projects.
            models.Index(fields=["submitted_at", "id"], name="modelreview_submitted_feed"),
            models.Index(
                fields=["decided_at", "id"], condition=~Q(decision=""), name="modelreview_decided_feed"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.project_id} submitted {self.submitted_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return not self.decision


class ThreatReviewDecision(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


# The status each decision gives a threat.
THREAT_STATUS_AFTER: dict[str, str] = {
    ThreatReviewDecision.CONFIRMED: ThreatStatus.CONFIRMED,
    ThreatReviewDecision.REJECTED: ThreatStatus.REJECTED,
    ThreatReviewDecision.CHANGES_REQUESTED: ThreatStatus.IDENTIFIED,
}


class ThreatReview(models.Model):
    """A security lead's decision on a threat in review: confirmed, rejected (with the reason) or sent back to
    its authors with what should change. The status change itself is in the threat's history as well."""

    threat = models.ForeignKey("projects.Threat", on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=20, choices=ThreatReviewDecision.choices)
    comment = models.TextField(blank=True, max_length=2_000)
    status_before = models.CharField(max_length=20, choices=ThreatStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=ThreatReviewDecision.values), name="threat_review_decision_known"
            ),
            models.CheckConstraint(
                condition=Q(decision=ThreatReviewDecision.CONFIRMED) | ~Q(comment=""),
                name="threat_review_says_why",
                violation_error_code="comment",
                violation_error_message="Say why, or what should change.",
            ),
            models.CheckConstraint(
                condition=Q(status_before__in=ThreatStatus.values), name="threat_review_status_before_known"
            ),
        ]
        # The activity feeds read decisions newest first through the threats' projects and stop after a page.
        indexes = [models.Index(fields=["decided_at", "id"], name="threatreview_feed")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.threat_id})"
