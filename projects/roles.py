"""The role matrix: one table that every permission check in the product reads.

Every member reads everything in their organisation. What else a role may do is listed here and nowhere
else; later features add permissions to this table rather than checking roles by name.
"""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    SECURITY_LEAD = "security_lead", "Security lead"
    ENGINEER = "engineer", "Engineer"
    VIEWER = "viewer", "Viewer"


class Permission(StrEnum):
    READ = "read"
    DOWNLOAD_REPORTS = "download_reports"
    COMMENT = "comment"
    EDIT_TEAM_PROJECTS = "edit_team_projects"
    EDIT_ALL_PROJECTS = "edit_all_projects"
    EDIT_RISK_REGISTER = "edit_risk_register"
    EDIT_SCORING = "edit_scoring"
    DECIDE_THREAT_REVIEW = "decide_threat_review"
    REQUEST_RISK_ACCEPTANCE = "request_risk_acceptance"
    DECIDE_OWN_RISK_ACCEPTANCE = "decide_own_risk_acceptance"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_TEAMS = "manage_teams"
    MANAGE_ORGANISATION = "manage_organisation"


_EVERY_MEMBER = frozenset(
    {Permission.READ, Permission.DOWNLOAD_REPORTS, Permission.DECIDE_OWN_RISK_ACCEPTANCE}
)
_ENGINEER = _EVERY_MEMBER | {Permission.COMMENT, Permission.EDIT_TEAM_PROJECTS}
_SECURITY_LEAD = _ENGINEER | {
    Permission.EDIT_ALL_PROJECTS,
    Permission.EDIT_RISK_REGISTER,
    Permission.EDIT_SCORING,
    Permission.DECIDE_THREAT_REVIEW,
    Permission.REQUEST_RISK_ACCEPTANCE,
}
_OWNER = _SECURITY_LEAD | {Permission.MANAGE_MEMBERS, Permission.MANAGE_TEAMS, Permission.MANAGE_ORGANISATION}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.SECURITY_LEAD: frozenset(_SECURITY_LEAD),
    Role.ENGINEER: frozenset(_ENGINEER),
    Role.VIEWER: _EVERY_MEMBER,
}

ROLE_SUMMARIES: dict[str, str] = {
    Role.OWNER: "Everything a security lead can do, plus members, teams and organisation settings.",
    Role.SECURITY_LEAD: "Edits every project, the business-risk register and scoring; decides threat reviews; "
    "requests risk acceptance.",
    Role.ENGINEER: "Edits the projects of their own teams and comments.",
    Role.VIEWER: "Reads everything, downloads reports, and approves or declines acceptance of risks they own.",
}


def role_allows(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
