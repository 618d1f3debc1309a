"""The e-mail of a scheduled report: its link (never the file: the link asks for sign-in, so only members of the
organisation open it), to the schedule's recipients who are still members."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from projects.models import Membership
from projects.one_line import one_line
from reports.models import Report, ReportStatus

logger = logging.getLogger(__name__)


def send_report_links(report_id: int) -> int:
    """E-mail a finished scheduled report's link to its recipients; how many were sent."""
    report = (
        Report.objects.select_related("organisation", "schedule")
        .filter(pk=report_id, status=ReportStatus.DONE, schedule__isnull=False)
        .first()
    )
    if report is None or report.schedule is None:
        return 0
    members = Membership.objects.filter(
        organisation=report.organisation_id, user__in=report.schedule.recipients.all()
    ).select_related("user")
    link = settings.SITE_URL + reverse("report_detail", args=[report.organisation.slug, report.pk])
    made = report.finished_at or report.created_at
    sent = 0
    for membership in members:
        send_mail(
            subject=one_line(f"{report.title} of {report.organisation.name}, {made:%B %Y}"),
            message=render_to_string("emails/report_link.txt", {"report": report, "link": link}),
            from_email=None,
            recipient_list=[membership.user.email],
        )
        sent += 1
    logger.info("report %s: link sent to %s recipients", report_id, sent)
    return sent
