"""The address of a target's comments panel, for templates/comments/include.html."""

from django import template
from django.db import models

from projects.comment_views import panel_url

register = template.Library()


@register.simple_tag
def comments_url(target: models.Model) -> str:
    return panel_url(target)
