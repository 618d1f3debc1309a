"""Writes of an organisation's monthly report: whether beat asks for the executive summary each month, on which
paper, and whom its link is e-mailed to (reports.services.scheduled_reports_request asks; reports.mail sends).

Owners and security leads change it (Permission.EDIT_RISK_REGISTER): the summary is the register's figures put
to the board, and the e-mail tells recipients to ask them. MANAGE_ORGANISATION would leave out security leads.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from projects.models import Membership, User
from projects.roles import Permission
from projects.workspace_selectors import people_of
from reports.models import PaperSize, ReportKind, ReportSchedule


@transaction.atomic
def report_schedule_save(
    *, membership: Membership, active: bool, paper: str, recipients: Iterable[User]
) -> ReportSchedule:
    """Turn the monthly executive summary on or off, with its paper and recipients (members only). Its month
    stays claimed (`last_sent_on`), so pausing and resuming never sends a second one in a month."""
    if not membership.can(Permission.EDIT_RISK_REGISTER):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) cannot change the monthly report."
        )
    if paper not in PaperSize.values:
        raise ValidationError({"paper": "Choose A4 or US Letter."})
    chosen = {user.pk for user in recipients}
    if chosen - set(people_of(membership).filter(pk__in=chosen).values_list("pk", flat=True)):
        raise ValidationError({"recipients": "Choose members of the organisation only."})
    if active and not chosen:
        raise ValidationError({"recipients": "Choose at least one member to send it to."})
    schedule, _ = ReportSchedule.objects.update_or_create(
        organisation_id=membership.organisation_id,
        kind=ReportKind.EXECUTIVE_SUMMARY,
        defaults={"active": active, "paper": paper},
        create_defaults={"active": active, "paper": paper, "created_by": membership.user},
    )
    schedule.recipients.set(chosen)
    return schedule
