"""The bulk status change of the threat and control lists.

Each ticked row posts "<key>:<version>", its threat number or control id and the version the list showed, so
the service saves with the versions the person saw and a row changed since is never silently overwritten. As
elsewhere, the form only reads what was posted; workspace_services decides and writes.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import Model, QuerySet

from projects.models import Control, ControlStatus, Project, ThreatStatus
from projects.threat_forms import REASON_LENGTH, offered_statuses
from projects.workspace_selectors import Seen, seen_rows
from projects.workspace_services import MAX_BULK_ITEMS

LARGEST_KEY = 2**63 - 1  # PostgreSQL's bigint


def _number(text: str) -> int | None:
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None
    return value if value is not None and 0 < value <= LARGEST_KEY else None


class SeenField(forms.Field):
    """The ticked rows of a list, each posted as "<key>:<version>"; cleaned into Seen objects of `rows`.

    After cleaning, its widget offers the rows it found, ticked, so a form shown again keeps the selection."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "required": "Tick at least one first.",
        "invalid": "Reload the list and tick them again: this selection is not one the list made.",
        "too_many": f"Change at most {MAX_BULK_ITEMS} at once.",
        "missing": "{names} {verb} not in this project any more: reload the list.",
    }

    def __init__(self, *, key: str, name_of: Callable[[int], str], label_of: Callable[[Any], str]) -> None:
        super().__init__()
        self.key, self.name_of, self.label_of = key, name_of, label_of
        self.rows: QuerySet[Any] | None = None

    def to_python(self, value: Any) -> dict[int, int]:
        """The posted values as {key: version}; a key ticked twice counts once."""
        if not value:
            return {}
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        versions: dict[int, int] = {}
        for item in value:
            key, _, version = str(item).partition(":")
            number, seen = _number(key), _number(version)
            if number is None or seen is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            versions.setdefault(number, seen)
        return versions

    def clean(self, value: Any) -> list[Seen[Model]]:
        versions = self.to_python(value)
        self.validate(versions)
        if len(versions) > MAX_BULK_ITEMS:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        if self.rows is None:
            raise TypeError("Set the field's rows before cleaning it.")
        seen, missing = seen_rows(self.rows, self.key, versions)
        self.widget.choices = [
            (f"{getattr(item.obj, self.key)}:{item.version}", self.label_of(item.obj)) for item in seen
        ]
        if missing:
            names = [self.name_of(key) for key in missing]
            verb = "is" if len(names) == 1 else "are"
            message = self.error_messages["missing"].format(names=", ".join(names), verb=verb)
            raise forms.ValidationError(message, code="missing")
        return seen


class ThreatBulkForm(forms.Form):
    threats = SeenField(key="number", name_of=lambda number: f"T-{number}", label_of=str)
    status = forms.ChoiceField(label="New status", choices=ThreatStatus.choices)
    status_reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=REASON_LENGTH,
        help_text="Required when you reject threats or mark them not applicable.",
    )

    def __init__(self, data: Any = None, *, project: Project, may_decide: bool, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["threats"].rows = project.threats.prefetch_related("impacted_assets")  # type: ignore[attr-defined]
        # Every status is a valid choice, so one only a security lead may set reaches the service, which refuses
        # it (403) rather than the form calling it invalid; the widget offers only the member's own.
        self.fields["status"].widget.choices = offered_statuses(may_decide=may_decide)
        if not may_decide:
            del self.fields["status_reason"]


class ControlBulkForm(forms.Form):
    controls = SeenField(key="pk", name_of=lambda pk: f"control {pk}", label_of=lambda control: control.title)
    status = forms.ChoiceField(label="New status", choices=ControlStatus.choices)

    def __init__(self, data: Any = None, *, project: Project, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["controls"].rows = Control.objects.filter(project=project)  # type: ignore[attr-defined]
