"""The report request form: which report, for which project, on which paper."""

from typing import Any

from django import forms

from projects.models import Project
from reports.models import PaperSize, ReportKind


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label="Report", choices=ReportKind.choices)
    project = forms.ModelChoiceField(
        label="Project", queryset=Project.objects.none(), required=False, help_text="For a project report."
    )
    paper = forms.ChoiceField(label="Paper", choices=PaperSize.choices, initial=PaperSize.A4)

    def __init__(self, *args: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == ReportKind.PROJECT and not cleaned.get("project"):
            self.add_error("project", "Choose the project to report on.")
        if cleaned.get("kind") != ReportKind.PROJECT:
            cleaned["project"] = None
        return cleaned
