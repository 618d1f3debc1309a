"""Comments: members discussing a project, a threat, a control or a business risk, in Markdown.

The target is one nullable foreign key per kind rather than a generic relation: the database checks that the
target exists and belongs where it should, deleting a target deletes its comments, each kind has its index, and
the organisation backup and the tenant checks read plain foreign keys from the models' metadata (a generic
relation would name rows by content-type ids that differ from one server to the next). A comment on a threat or
a control carries its project too, so a project's comments and its activity feed read one column.

Editing and deleting (projects.comment_services) keep the row and its version; the history triggers record
every text it had. A deleted comment keeps its place in the conversation with its text emptied.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.models import Control, Organisation, Project, Threat, User, Versioned, history_trackers

__all__ = ["Comment", "CommentQuerySet"]


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible_to(self, user: User) -> "CommentQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)


@pghistory.track(*history_trackers())
class Comment(Versioned):
    etag_name = "comment"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="comments")
    # The target: a business risk alone, or a project, with one of its threats or controls or neither.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    # Indexed below with the time, for the panels' order.
    threat = models.ForeignKey(
        Threat, on_delete=models.CASCADE, null=True, blank=True, related_name="comments", db_index=False
    )
    control = models.ForeignKey(
        Control, on_delete=models.CASCADE, null=True, blank=True, related_name="comments", db_index=False
    )
    risk = models.ForeignKey(
        "risks.BusinessRisk",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
        db_index=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField("comment", max_length=10_000, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(risk__isnull=False, project__isnull=True, threat__isnull=True, control__isnull=True)
                    | (
                        Q(risk__isnull=True, project__isnull=False)
                        & (Q(threat__isnull=True) | Q(control__isnull=True))
                    )
                ),
                name="comment_has_one_target",
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=False) | ~Q(body=""),
                name="comment_has_text_until_deleted",
                violation_error_code="body",
                violation_error_message="Write something first.",
            ),
        ]
        indexes = [
            # A target's comments in order: the panels of a project, a threat, a control and a risk.
            models.Index(
                fields=["project", "created_at"],
                condition=Q(threat__isnull=True, control__isnull=True),
                name="comment_project_only",
            ),
            models.Index(fields=["threat", "created_at"], name="comment_threat"),
            models.Index(fields=["control", "created_at"], name="comment_control"),
            models.Index(fields=["risk", "created_at"], name="comment_risk"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author or 'a former member'}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def target(self) -> models.Model:
        """What the comment is about: the threat, the control, the business risk or the project."""
        target = self.threat or self.control or self.risk or self.project
        assert target is not None  # comment_has_one_target
        return target
