"""`{% live_updates "model" %}`: the live bar of a page (projects.live), drawn with the page's token now and
with the member marked as viewing it, so the page's first poll already knows what it shows."""

import time
from typing import Any

from django import template

from projects import live
from projects.live import PageKind

register = template.Library()


@register.inclusion_tag("live/bar.html", takes_context=True)
def live_updates(context: template.Context, kind: str) -> dict[str, Any]:
    """The bar of a project's page: "model", "threats", "review", or "threat" (with `threat` in the context)."""
    page_kind = PageKind(kind)
    request, project = context["request"], context["project"]
    number = context["threat"].number if page_kind is PageKind.THREAT else None
    page = live.live_page(request.user, project.organisation.slug, page_kind, project.pk, number)
    viewers = live.present(page, request.user)
    return {"live": live.bar(page, opened=time.time(), page_token=page.token, viewers=viewers)}
