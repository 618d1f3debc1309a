"""What in the estate needs someone's attention, one definition each, so the dashboards, the estate lists, an
engineer's home and the API count and list the same rows.

Each is a Q over its model, relative to `today` where time matters.
"""

import datetime

from django.db.models import Expression, F, Q
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThan, IsNull

from projects.models import IN_FORCE_STATUSES, ProjectStatus, ThreatStatus

REVIEW_INTERVAL = datetime.timedelta(days=90)  # a model not reviewed for longer is out of date
DUE_SOON = datetime.timedelta(days=14)  # a control due within this is shown to its owner as due


def control_overdue(today: datetime.date) -> Q:
    """A control not yet in force whose due date has passed."""
    return Q(due_on__lt=today) & ~Q(status__in=IN_FORCE_STATUSES)


def control_due(today: datetime.date) -> Q:
    """A control not yet in force that is overdue or due within DUE_SOON."""
    return Q(due_on__lte=today + DUE_SOON) & ~Q(status__in=IN_FORCE_STATUSES)


def project_review_overdue(today: datetime.date) -> Q:
    """A project in use (not archived) whose model was never reviewed, or not within REVIEW_INTERVAL."""
    return ~Q(status=ProjectStatus.ARCHIVED) & (
        Q(last_reviewed_on__isnull=True) | Q(last_reviewed_on__lt=today - REVIEW_INTERVAL)
    )


def threat_in_review() -> Q:
    return Q(status=ThreatStatus.IN_REVIEW)


def threat_new_since_review(last_reviewed_on: Expression | F | None = None) -> Q:
    """A threat logged after its project's model was last reviewed (every threat of a model never reviewed): on
    the day of its creation in the site's time zone, as `created_at__date` reads it. `last_reviewed_on` is the
    project's, joined; a query that already has it at hand (the dashboard's review queue) hands it in instead."""
    reviewed = F("project__last_reviewed_on") if last_reviewed_on is None else last_reviewed_on
    return Q(IsNull(reviewed, True)) | Q(GreaterThan(TruncDate("created_at"), reviewed))
