"""Reads only the register's pages need: the acceptances that speak for each risk now, and the threats a
member may link to a risk. The list, one risk, its scenarios and acceptances come from
risks.register_selectors, which the API reads too.
"""

from django.db.models import QuerySet

from projects.models import Membership, Threat
from projects.roles import Permission
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance


def acceptances_by_risk(risk_ids: list[int]) -> dict[int, list[RiskAcceptance]]:
    """The acceptances that say something about each risk now: approved ones and requests still waiting."""
    found: dict[int, list[RiskAcceptance]] = {pk: [] for pk in risk_ids}
    for acceptance in RiskAcceptance.objects.filter(
        risk_id__in=risk_ids, status__in=[AcceptanceStatus.APPROVED, AcceptanceStatus.REQUESTED]
    ).order_by("-expires_on"):
        found[acceptance.risk_id].append(acceptance)
    return found


def linkable_threats(membership: Membership, risk: BusinessRisk) -> QuerySet[Threat]:
    """The organisation's threats the member may link to the risk and that are not linked to it yet."""
    threats = Threat.objects.filter(project__organisation=membership.organisation_id)
    if not membership.can(Permission.EDIT_RISK_REGISTER):
        if not membership.can(Permission.EDIT_TEAM_PROJECTS):
            return threats.none()
        threats = threats.filter(project__team__in=membership.teams.all())
    return (
        threats.exclude(scenarios__risk=risk)
        .select_related("project")
        .prefetch_related("impacted_assets")
        .order_by("project__name", "project_id", "number")
    )
