"""Form rendering helpers for the field partials in templates/forms/."""

from django import template
from django.forms import BaseForm, BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def widget(field: BoundField, *, autofocus: bool = False) -> SafeString:
    """Render a field's widget; templates cannot pass widget attributes such as autofocus on their own."""
    return field.as_widget(attrs={"autofocus": True} if autofocus else None)


@register.simple_tag
def field_to_focus(form: BaseForm, *, first: bool = False) -> str:
    """The name of the field that takes focus: the first with an error, else the first (for a page's main form)."""
    visible = form.visible_fields()
    for field in visible:
        if field.errors:
            return field.name
    return visible[0].name if first and visible else ""
