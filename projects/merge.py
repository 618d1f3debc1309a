"""The merge step of an edit that lost a race (projects.conflicts): for each field both people changed, the
form carries a choice, keep theirs or use mine, and their value as the browser would post it. A versioned form
built from the posted data takes the choices (projects.model_forms.VersionedForm), so "keep theirs" saves their
value whatever the field itself holds, and the save is made against their version like any other.

Plain names in the form data, so the step needs no JavaScript: `merge-<field>` is "theirs" or "mine",
`theirs-<field>` holds their value (once per value of a multiple choice, none for an empty one or an unticked
box).
"""

from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict

CHOICE_PREFIX = "merge-"
THEIRS_PREFIX = "theirs-"
THEIRS = "theirs"
MINE = "mine"


def choice_name(html_name: str) -> str:
    return f"{CHOICE_PREFIX}{html_name}"


def theirs_name(html_name: str) -> str:
    return f"{THEIRS_PREFIX}{html_name}"


def take_choices(form: forms.BaseForm) -> None:
    """Put their value in every field whose choice is "keep theirs"; other fields keep what was posted."""
    if not form.is_bound or not any(str(key).startswith(CHOICE_PREFIX) for key in form.data):
        return
    data = _mutable(form.data)
    for name in form.fields:
        key = form.add_prefix(name)
        if name != "version" and data.get(choice_name(key)) == THEIRS:
            data.setlist(key, data.getlist(theirs_name(key)))
    form.data = data


def drop_choices(data: Any) -> None:
    """Remove the merge step's keys from mutable form data."""
    for key in [key for key in data if str(key).startswith((CHOICE_PREFIX, THEIRS_PREFIX))]:
        del data[key]


def _mutable(data: Any) -> MultiValueDict[str, Any]:
    if hasattr(data, "copy") and hasattr(data, "setlist"):
        copied: MultiValueDict[str, Any] = data.copy()
        return copied
    return MultiValueDict({key: value if isinstance(value, list) else [value] for key, value in data.items()})


def posted(field: forms.Field, value: Any) -> list[str]:
    """A value as the browser posts it for this field: the form data that means the same value."""
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput):
        return ["on"] if value else []
    prepared = field.prepare_value(value)
    if getattr(widget, "allow_multiple_selected", False):
        return [str(item) for item in (prepared or [])]
    shown = widget.format_value(prepared)
    if isinstance(shown, list):  # a choice widget lists its one value
        shown = shown[0] if shown else ""
    return ["" if shown is None else str(shown)]
