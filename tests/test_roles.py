"""The role matrix, cell by cell, written out independently of projects/roles.py."""

import pytest

from projects.roles import ROLE_PERMISSIONS, ROLE_SUMMARIES, Permission, Role, role_allows

OWN, SEC, ENG, VIEW = Role.OWNER, Role.SECURITY_LEAD, Role.ENGINEER, Role.VIEWER

EXPECTED: dict[Permission, set[Role]] = {
    Permission.READ: {OWN, SEC, ENG, VIEW},
    Permission.DOWNLOAD_REPORTS: {OWN, SEC, ENG, VIEW},
    Permission.DECIDE_OWN_RISK_ACCEPTANCE: {OWN, SEC, ENG, VIEW},
    Permission.COMMENT: {OWN, SEC, ENG},
    Permission.EDIT_TEAM_PROJECTS: {OWN, SEC, ENG},
    Permission.EDIT_ALL_PROJECTS: {OWN, SEC},
    Permission.EDIT_RISK_REGISTER: {OWN, SEC},
    Permission.EDIT_SCORING: {OWN, SEC},
    Permission.DECIDE_THREAT_REVIEW: {OWN, SEC},
    Permission.REQUEST_RISK_ACCEPTANCE: {OWN, SEC},
    Permission.MANAGE_MEMBERS: {OWN},
    Permission.MANAGE_TEAMS: {OWN},
    Permission.MANAGE_ORGANISATION: {OWN},
}

CELLS = [(role, permission) for role in Role for permission in Permission]


def test_every_permission_has_an_expectation() -> None:
    assert set(EXPECTED) == set(Permission)


def test_every_role_has_permissions_and_a_summary() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert set(ROLE_SUMMARIES) == set(Role)


@pytest.mark.parametrize(("role", "permission"), CELLS, ids=[f"{r.value}-{p.value}" for r, p in CELLS])
def test_the_role_matrix_cell(role: Role, permission: Permission) -> None:
    assert role_allows(role, permission) is (role in EXPECTED[permission])


def test_an_unknown_role_may_do_nothing() -> None:
    assert not any(role_allows("intern", permission) for permission in Permission)
