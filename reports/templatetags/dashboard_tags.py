"""Links from the dashboard to the lists its figures count, keeping the dashboard's filters."""

from django import template

from reports.dashboard import DashboardFilters

register = template.Library()


def _extra(pairs: str) -> dict[str, str]:
    """ "appetite=above&order=-ale" as a dict."""
    return dict(pair.split("=", 1) for pair in pairs.split("&") if "=" in pair)


@register.filter
def dashboard_query(filters: DashboardFilters, pairs: str = "") -> str:
    """The query string of the dashboard's filters with `pairs` on top, for the risk list or a dashboard."""
    return filters.query(**_extra(pairs))


@register.filter
def project_query(filters: DashboardFilters, pairs: str = "") -> str:
    """The same, with only the filters the project, threat and control lists know (team and project)."""
    return filters.project_query(**_extra(pairs))
