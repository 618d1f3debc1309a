"""The upload page's forms: the file and where it goes, then the confirmation of what the preview showed."""

from typing import Any

from django import forms

from projects.interop import selectors
from projects.interop.document import MAX_FILE_BYTES
from projects.interop.formats import AUTO, read_choices
from projects.models import Membership, Project

MEGABYTES = MAX_FILE_BYTES // 1_048_576


class ProjectChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.team.name})"


class _Destination(forms.Form):
    """Where an import goes: the team of a new project, or the project it replaces, and its name."""

    format = forms.ChoiceField(
        label="Format",
        choices=read_choices,
        initial=AUTO,
        help_text="Open Threat Model (JSON or YAML), Threat Dragon (v1 or v2), threat-composer (.tc.json) or "
        "Threagile (YAML). Most files are told from their content.",
    )
    name = forms.CharField(
        label="Project name",
        required=False,
        max_length=Project._meta.get_field("name").max_length,
        help_text="By default the name in the file (or, when replacing, the project's own).",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, membership: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        teams = selectors.import_teams(membership)
        first = selectors.first_team(membership.organisation)
        self.fields["team"] = forms.ModelChoiceField(
            teams,
            label="Team",
            empty_label=None,
            initial=first.pk if first is not None and first in teams else None,
            help_text="The team that owns the new project. A replaced project keeps its own team.",
        )
        self.fields["replace"] = ProjectChoice(
            selectors.replaceable_projects(membership),
            label="Replace a project",
            required=False,
            empty_label="No: create a new project",
            help_text="Its trust zones, assets, components, flows, threats and controls are replaced by the "
            "file's; it keeps its id, team, history and reports.",
        )
        self.order_fields(["file", "format", "team", "replace", "name"])

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()


class UploadForm(_Destination):
    """The upload. After a refusal that is not the file's fault (a name already taken, say), the upload already
    made is kept under `token`, so the person changes the name without choosing the file again."""

    file = forms.FileField(
        label="Model file",
        help_text=f"JSON or YAML, at most {MEGABYTES} MB.",
        error_messages={"required": "Choose the model file to import."},
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.yaml,.yml,application/json"}),
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, membership: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(membership, *args, **kwargs)
        if self.data.get("token"):
            self.fields[
                "file"
            ].required = False  # the upload kept from before serves, unless another is chosen

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; the limit is {MEGABYTES} MB."
            )
        return upload


class CommitForm(_Destination):
    """The preview's confirmation: the staged upload and the choices the preview was made with."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, membership: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(membership, *args, **kwargs)
        for field in self.fields.values():
            field.widget = forms.HiddenInput()
