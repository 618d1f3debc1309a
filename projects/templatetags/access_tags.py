"""Template helpers that read the role table, so no template checks a role by name."""

from django import template

from projects.models import Membership
from projects.roles import ROLE_SUMMARIES, Permission, Role

register = template.Library()


@register.filter
def can(membership: Membership | None, permission: str) -> bool:
    """`{% if membership|can:"manage_organisation" %}`; False on pages outside an organisation.

    An unknown permission name raises, so a typo in a template fails loudly instead of hiding a link.
    """
    allowed = Permission(permission)
    return isinstance(membership, Membership) and membership.can(allowed)


@register.simple_tag
def role_choices() -> list[tuple[str, str]]:
    return list(Role.choices)


@register.filter
def role_summary(role: str) -> str:
    return ROLE_SUMMARIES.get(role, "")
