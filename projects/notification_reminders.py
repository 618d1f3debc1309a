"""The daily reminders (projects.reminder_tasks, on beat): owners of controls past their due date, and the owner
and the requester of a risk acceptance that runs out in a week and on its last day.

Each reminder is written once: a control's owner is told once after its due date passes (again only if the
date moves and passes again, or the control gets a new owner); an acceptance's people are told once in the week
before it runs out and once on its last day. Run twice the same day, the task writes nothing new.
"""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from projects import attention
from projects.models import Control, ProjectStatus
from projects.notification_models import Notification, NotificationKind
from projects.notifications import Notice, notify_each
from risks.models import AcceptanceStatus, RiskAcceptance, RiskStatus

ACCEPTANCE_NOTICE = datetime.timedelta(days=7)


def reminders_send(today: datetime.date | None = None) -> int:
    """Write today's reminders across every organisation, in one transaction; how many were written."""
    today = today or timezone.localdate()
    with transaction.atomic():
        return len(notify_each(overdue_control_notices(today) + expiring_acceptance_notices(today)))


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def overdue_control_notices(today: datetime.date) -> list[Notice]:
    """A notice to the owner of each control past its due date and not in force, unless told since then."""
    told = Notification.objects.filter(
        kind=NotificationKind.CONTROL_OVERDUE,
        target_type=Control._meta.label_lower,
        target_id=OuterRef("pk"),
        recipient_id=OuterRef("owner_id"),
        created_at__date__gt=OuterRef("due_on"),
    )
    controls = (
        Control.objects.filter(attention.control_overdue(today), owner__isnull=False)
        .exclude(project__status=ProjectStatus.ARCHIVED)
        .filter(~Exists(told))
        .select_related("project__organisation")
        .order_by("pk")
    )
    return [
        Notice(
            organisation_id=control.project.organisation_id,
            recipient_id=control.owner_id,
            kind=NotificationKind.CONTROL_OVERDUE,
            subject=f"The control “{control.title}” in {control.project.name} was due on "
            f"{_day(control.due_on)} and is not in force yet",
            url=reverse(
                "control_detail", args=[control.project.organisation.slug, control.project_id, control.pk]
            ),
            target=control,
        )
        for control in controls
        if control.due_on is not None and control.owner_id is not None
    ]


def expiring_acceptance_notices(today: datetime.date) -> list[Notice]:
    """Notices to the owner and the requester of each risk's acceptance in force that runs out within a week
    (once in that week) or today (once more, on the day)."""
    later = RiskAcceptance.objects.filter(
        risk=OuterRef("risk"), status=AcceptanceStatus.APPROVED, expires_on__gt=OuterRef("expires_on")
    )
    acceptances = list(
        RiskAcceptance.objects.filter(
            status=AcceptanceStatus.APPROVED,
            risk__status=RiskStatus.ACCEPTED,
            expires_on__gte=today,
            expires_on__lte=today + ACCEPTANCE_NOTICE,
        )
        .filter(~Exists(later))  # a newer acceptance that runs out later is the one in force
        .select_related("risk__organisation")
        .order_by("pk")
    )
    last_told: dict[int, datetime.date] = {}
    for target_id, created_at in Notification.objects.filter(
        kind=NotificationKind.ACCEPTANCE_EXPIRING,
        target_type=RiskAcceptance._meta.label_lower,
        target_id__in=[acceptance.pk for acceptance in acceptances],
    ).values_list("target_id", "created_at"):
        if target_id is not None:
            day = timezone.localdate(created_at)
            last_told[target_id] = max(day, last_told.get(target_id, day))
    notices = []
    for acceptance in acceptances:
        on_the_day = acceptance.expires_on == today
        since = acceptance.expires_on if on_the_day else acceptance.expires_on - ACCEPTANCE_NOTICE
        told = last_told.get(acceptance.pk)
        if told is not None and told >= since:
            continue
        risk = acceptance.risk
        when = "today" if on_the_day else f"on {_day(acceptance.expires_on)}"
        days = (acceptance.expires_on - today).days
        subject = (
            f"The acceptance of {risk.reference} “{risk.title}” runs out {when}"
            + ("" if on_the_day else f", in {days} day{'s' if days != 1 else ''}")
            + ": review the risk"
        )
        url = reverse("risk_detail", args=[risk.organisation.slug, risk.number])
        for recipient_id in dict.fromkeys([risk.owner_id, acceptance.requested_by_id]):
            if recipient_id is not None:
                notices.append(
                    Notice(
                        organisation_id=risk.organisation_id,
                        recipient_id=recipient_id,
                        kind=NotificationKind.ACCEPTANCE_EXPIRING,
                        subject=subject,
                        url=url,
                        target=acceptance,
                    )
                )
    return notices
