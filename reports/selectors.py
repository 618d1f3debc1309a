"""Reads of an organisation's reports, starting from the member, so nobody names another organisation's."""

from django.db.models import QuerySet
from django.http import Http404

from projects.models import Membership
from reports.models import Report


def reports_of(membership: Membership) -> QuerySet[Report]:
    """The organisation's reports, the newest first, with who asked and for which project."""
    return Report.objects.filter(organisation=membership.organisation_id).select_related(
        "organisation", "project", "requested_by"
    )


def report_of(membership: Membership, report_id: int) -> Report:
    found = reports_of(membership).filter(pk=report_id).first()
    if found is None:
        raise Http404("No such report.")
    return found
