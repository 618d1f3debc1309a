"""PDF reports: one `Report` job row per request, rendered by a Celery worker (reports.jobs, reports.tasks) and
kept as a file under an unguessable name, served only through an authorised view; and `ReportSchedule`, an
organisation's standing request for a report by e-mail (monthly).

A job moves queued → running → done or failed. A worker holds a running job by a lease (`lease_token` until
`lease_until`); a job whose lease ran out is claimed again, so a worker that died loses nothing, and only the
lease holder may finish it, so nothing is done twice.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.models import Organisation, Project


class ReportKind(models.TextChoices):
    EXECUTIVE_SUMMARY = "executive_summary", "Executive summary"
    PROJECT = "project", "Project threat model"
    REGISTER = "register", "Risk register"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Being made"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class PaperSize(models.TextChoices):
    A4 = "a4", "A4"
    LETTER = "letter", "US Letter"


OPEN_STATUSES = (ReportStatus.QUEUED, ReportStatus.RUNNING)
REPORT_FOLDER = "reports"  # in the default storage


def report_file_name(report: "Report", filename: str) -> str:
    """Where a report's PDF is stored: a random name, so a path alone never leads to a file."""
    return f"{REPORT_FOLDER}/{secrets.token_urlsafe(24)}.pdf"


class ReportSchedule(models.Model):
    """An organisation's standing request: make this report every month and e-mail its link to the recipients."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="report_schedules")
    kind = models.CharField(max_length=30, choices=ReportKind.choices, default=ReportKind.EXECUTIVE_SUMMARY)
    paper = models.CharField(max_length=10, choices=PaperSize.choices, default=PaperSize.A4)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"],
                name="one_report_schedule_per_kind",
                violation_error_code="kind",
                violation_error_message="This report is already scheduled.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReportKind.values), name="report_schedule_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(paper__in=PaperSize.values), name="report_schedule_paper_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Monthly {self.get_kind_display()} of {self.organisation}"


class Report(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=30, choices=ReportKind.choices)
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    paper = models.CharField(max_length=10, choices=PaperSize.choices, default=PaperSize.A4)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    # What the rendering read: the same fingerprint on unchanged data, so an identical request reuses the file.
    fingerprint = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # per cent
    stage = models.CharField(max_length=200, blank=True)  # what the worker is doing, in words
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_token = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=report_file_name, blank=True, max_length=200)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    as_of = models.DateTimeField(null=True, blank=True)  # the data's time: when the figures were read
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="report_organisation_newest"),
            models.Index(fields=["organisation", "fingerprint"], name="report_organisation_inputs"),
            models.Index(fields=["status", "lease_until"], name="report_status_lease"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="report_kind_known"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_known"),
            models.CheckConstraint(condition=Q(paper__in=PaperSize.values), name="report_paper_known"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
            models.CheckConstraint(
                condition=Q(kind=ReportKind.PROJECT, project__isnull=False)
                | (~Q(kind=ReportKind.PROJECT) & Q(project__isnull=True)),
                name="report_project_only_for_project_reports",
                violation_error_code="project",
                violation_error_message="A project report names its project; the others name none.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.organisation} ({self.status})"

    @property
    def title(self) -> str:
        if self.kind == ReportKind.PROJECT and self.project is not None:
            return f"{self.get_kind_display()}: {self.project.name}"
        return self.get_kind_display()

    @property
    def finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)
