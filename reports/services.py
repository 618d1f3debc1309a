"""Requesting a report: one job row, enqueued on commit, or the PDF already made from the same data.

An identical request (same kind, scope and paper) on unchanged data gets the finished report back instead of a
new job: the fingerprint of what the report reads (reports.documents.fingerprint) is compared with the done
ones. An organisation may have REPORT_MAX_OPEN_PER_ORGANISATION jobs waiting or running at once; more is
refused with a clear error rather than queued behind a crowd.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q

from projects.models import Membership, Project
from projects.roles import Permission
from reports import documents
from reports.models import OPEN_STATUSES, PaperSize, Report, ReportKind, ReportSchedule, ReportStatus
from reports.tasks import render_report

_LOCK_NAMESPACE = 5_003


def report_request(
    *,
    membership: Membership | None,
    kind: str,
    project: Project | None = None,
    paper: str = PaperSize.A4,
    schedule: ReportSchedule | None = None,
    organisation_id: int | None = None,
) -> Report:
    """The member's report: a finished one made from the same data, or a new job queued for a worker.
    A schedule (beat) requests with no member, naming its organisation."""
    if membership is not None and not membership.can(Permission.DOWNLOAD_REPORTS):
        raise PermissionDenied("Your role cannot request reports.")
    organisation_id = membership.organisation_id if membership is not None else organisation_id
    assert organisation_id is not None
    if kind not in ReportKind.values:
        raise ValidationError({"kind": "Choose a kind of report."})
    if paper not in PaperSize.values:
        raise ValidationError({"paper": "Choose A4 or US Letter."})
    if (kind == ReportKind.PROJECT) != (project is not None):
        raise ValidationError({"project": "A project report names its project; the others name none."})
    if project is not None and project.organisation_id != organisation_id:
        raise ValidationError({"project": "No such project."})
    report = Report(
        organisation_id=organisation_id,
        kind=kind,
        project=project,
        paper=paper,
        requested_by=membership.user if membership is not None else None,
        schedule=schedule,
    )
    report.fingerprint = documents.fingerprint(report)
    with transaction.atomic():
        if schedule is None and (reused := _made_from_the_same_data(report)) is not None:
            return reused
        with connection.cursor() as cursor:  # one request at a time per organisation, so the cap holds
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, organisation_id])
        waiting = Report.objects.filter(organisation_id=organisation_id, status__in=OPEN_STATUSES).count()
        if waiting >= settings.REPORT_MAX_OPEN_PER_ORGANISATION:
            raise ValidationError(
                f"{waiting} reports of your organisation are being made. Wait for one to finish, then ask again."
            )
        report.save()
        render_report.delay_on_commit(report.pk)  # type: ignore[attr-defined]  # Celery 5.4+
    return report


def _made_from_the_same_data(report: Report) -> Report | None:
    return (
        Report.objects.filter(
            organisation_id=report.organisation_id,
            fingerprint=report.fingerprint,
            status=ReportStatus.DONE,
            schedule__isnull=True,
        )
        .exclude(file="")
        .order_by("-finished_at")
        .first()
    )


def scheduled_reports_request(today: datetime.date) -> int:
    """Ask for this month's report of every active schedule that has not had it; how many. Each schedule's
    month is claimed by one conditional update, so a beat that runs twice never asks twice."""
    not_this_month = Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=today.replace(day=1))
    asked = 0
    for schedule in ReportSchedule.objects.filter(not_this_month, active=True).order_by("pk"):
        if not ReportSchedule.objects.filter(not_this_month, pk=schedule.pk).update(last_sent_on=today):
            continue  # another beat took this month's
        report_request(
            membership=None,
            organisation_id=schedule.organisation_id,
            kind=schedule.kind,
            paper=schedule.paper,
            schedule=schedule,
        )
        asked += 1
    return asked
