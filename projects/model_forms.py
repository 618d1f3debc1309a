"""Forms of the Model section: projects, trust zones, assets, components and data flows.

Forms only read and shape what was typed; the services in workspace_services decide and write. Their
cleaned data (less `version`) is the service's keyword arguments. A form that edits an object carries the
version it was read at in a hidden field, and keeps the arguments it was built with in `conflict_kwargs`,
so projects.conflicts.rebase_form can rebuild it over a newer version.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from projects.merge import take_choices
from projects.models import (
    Asset,
    AssetKind,
    Component,
    ComponentKind,
    Criticality,
    DataClassification,
    DataFlow,
    Project,
    ProjectStatus,
    Rating,
    Team,
    TrustLevel,
    TrustZone,
)

MAX_TAGS = 20
KIND_HELP = "Actors use the system, processes run in it, data stores keep its data, external services are run by others."


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """HTML attributes as django/forms/widgets/attrs.html writes them: True bare, False left out, in order."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


class Select(forms.Select):
    """Django's <select>, written in Python rather than with two templates per option: the Model page draws
    four add forms whose selects offer every zone, component and rating, and those templates cost more than
    the rest of the forms. The markup is Django's own (tests compare the two)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _, _ in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)  # groups: as Django draws them
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], _attributes(option["attrs"]), option["label"])
                for _, group, _ in widget["optgroups"]
                for option in group
            ),
        )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>', widget["name"], _attributes(widget["attrs"]), options
        )


def _text(model: type[models.Model], name: str, label: str, **kwargs: Any) -> forms.CharField:
    """A text field as long as the model's column allows, required unless the column may be blank."""
    field = model._meta.get_field(name)
    return forms.CharField(
        label=label,
        max_length=getattr(field, "max_length", None),
        required=not getattr(field, "blank", False),
        **kwargs,
    )


def _numbers(choices: type[models.IntegerChoices], label: str, **kwargs: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=choices.choices, coerce=int, widget=Select, **kwargs)


class VersionedForm(forms.Form):
    """Adds the hidden `version` when the form edits an existing object (`editing=True`)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data: Any = None, *, editing: bool = False, **kwargs: Any) -> None:
        self.conflict_kwargs: dict[str, Any] = {"editing": editing}
        self.conflict_kwargs |= {key: kwargs[key] for key in ("auto_id", "prefix") if key in kwargs}
        super().__init__(data, **kwargs)
        take_choices(self)  # the merge step after an edit conflict: "keep theirs" fields (projects.merge)
        if not editing:
            del self.fields["version"]

    @property
    def values(self) -> dict[str, Any]:
        """The cleaned data as service arguments: everything but the version."""
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class ProjectForm(VersionedForm):
    name = _text(Project, "name", "Name", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    team = forms.ModelChoiceField(
        label="Owning team",
        queryset=Team.objects.none(),
        empty_label=None,
        help_text="Its engineers edit the project; security leads edit every project.",
    )
    description = _text(
        Project,
        "description",
        "Description",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the system does and for whom.",
    )
    criticality = forms.ChoiceField(
        label="Business criticality", choices=Criticality.choices, initial=Criticality.MEDIUM
    )
    data_classification = forms.ChoiceField(
        label="Data classification",
        choices=DataClassification.choices,
        initial=DataClassification.INTERNAL,
        help_text="The most sensitive data the system holds.",
    )
    status = forms.ChoiceField(
        label="Status",
        choices=ProjectStatus.choices,
        initial=ProjectStatus.DRAFT,
        help_text="In review begins when the model is submitted for review on the project's Review page, and "
        "ends when a security lead approves it or asks for changes.",
    )

    def __init__(self, data: Any = None, *, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.conflict_kwargs["teams"] = teams
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    @staticmethod
    def initial_of(project: Project) -> dict[str, Any]:
        return {
            "version": project.version,
            "name": project.name,
            "team": project.team_id,
            "description": project.description,
            "criticality": project.criticality,
            "data_classification": project.data_classification,
            "status": project.status,
        }


class PartOptions:
    """The trust zones, components and assets of one project that the Model forms offer, each read at most once
    and only when a form is drawn. One instance serves every form of a page, and the Model page hands in the
    lists it shows anyway, so its add forms draw their options without a query of their own.

    The lists must be in the order the forms offer them: zones by trust level then name (as zones_of gives
    them), components and assets by name.
    """

    def __init__(
        self,
        project: Project,
        *,
        zones: Sequence[TrustZone] | None = None,
        components: Sequence[Component] | None = None,
        assets: Sequence[Asset] | None = None,
    ) -> None:
        self.project = project
        self._zones, self._components, self._assets = zones, components, assets

    def zones(self) -> Sequence[TrustZone]:
        if self._zones is None:
            self._zones = list(self.project.zones.order_by("trust_level", "name"))
        return self._zones

    def components(self) -> Sequence[Component]:
        if self._components is None:
            self._components = list(self.project.components.order_by("name"))
        return self._components

    def assets(self) -> Sequence[Asset]:
        if self._assets is None:
            self._assets = list(self.project.assets.order_by("name"))
        return self._assets


def _offer(field: forms.Field, objects: Callable[[], Sequence[models.Model]]) -> None:
    """Draw a model choice field's options from `objects` (read when the form is drawn) instead of its queryset.
    The queryset stays the field's own, so what is posted is still checked against the project's objects."""
    assert isinstance(field, forms.ModelChoiceField)
    iterator = field.iterator(field)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = lambda: empty + [iterator.choice(obj) for obj in objects()]


class ProjectPartForm(VersionedForm):
    """A form for a part of one project: its choices come from that project only, so a reference to
    another project's object is an invalid choice before the service sees it. `options` shares what the choice
    fields offer between the forms of one page (see PartOptions); without it the form reads its own."""

    def __init__(
        self,
        data: Any = None,
        *,
        project: Project,
        instance: models.Model | None = None,
        options: PartOptions | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.conflict_kwargs |= {"project": project, "instance": instance}
        self.project = project
        self.instance = instance
        self.options = options or PartOptions(project)

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()


class ZoneForm(ProjectPartForm):
    name = _text(TrustZone, "name", "Name", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    trust_level = _numbers(
        TrustLevel,
        "Trust level",
        initial=TrustLevel.MEDIUM,
        help_text="How far what runs here is trusted: the internet is untrusted.",
    )
    parent = forms.ModelChoiceField(
        label="Inside zone",
        queryset=TrustZone.objects.none(),
        required=False,
        empty_label="(none)",
        widget=Select,
    )
    description = _text(TrustZone, "description", "Description", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data: Any = None, *, project: Project, **kwargs: Any) -> None:
        super().__init__(data, project=project, **kwargs)
        parents = project.zones.order_by("trust_level", "name")
        if self.instance is not None:
            parents = parents.exclude(pk=self.instance.pk)  # a zone cannot sit inside itself
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        pk = self.instance.pk if self.instance is not None else None
        _offer(self.fields["parent"], lambda: [zone for zone in self.options.zones() if zone.pk != pk])

    @staticmethod
    def initial_of(zone: TrustZone) -> dict[str, Any]:
        return {
            "version": zone.version,
            "name": zone.name,
            "trust_level": zone.trust_level,
            "parent": zone.parent_id,
            "description": zone.description,
        }


class AssetForm(ProjectPartForm):
    name = _text(Asset, "name", "Name", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(label="Kind", choices=AssetKind.choices, initial=AssetKind.DATA, widget=Select)
    classification = forms.ChoiceField(
        label="Classification",
        choices=DataClassification.choices,
        initial=DataClassification.INTERNAL,
        widget=Select,
    )
    confidentiality = _numbers(Rating, "Confidentiality", initial=Rating.MEDIUM)
    integrity = _numbers(Rating, "Integrity", initial=Rating.MEDIUM)
    availability = _numbers(Rating, "Availability", initial=Rating.MEDIUM)
    description = _text(Asset, "description", "Description", widget=forms.Textarea(attrs={"rows": 2}))

    @staticmethod
    def initial_of(asset: Asset) -> dict[str, Any]:
        fields = ("name", "kind", "classification", "confidentiality", "integrity", "availability")
        return {
            "version": asset.version,
            "description": asset.description,
            **{name: getattr(asset, name) for name in fields},
        }


class AssetsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Asset.objects.none(), required=False, label="Assets", **kwargs)


class ComponentForm(ProjectPartForm):
    name = _text(Component, "name", "Name", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(
        label="Kind",
        choices=ComponentKind.choices,
        initial=ComponentKind.PROCESS,
        help_text=KIND_HELP,
        widget=Select,
    )
    zone = forms.ModelChoiceField(
        label="Trust zone",
        queryset=TrustZone.objects.none(),
        required=False,
        empty_label="(no zone)",
        widget=Select,
    )
    technology = _text(
        Component,
        "technology",
        "Technology",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Django, PostgreSQL 16"}),
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=1_100,
        help_text="Separate tags with commas.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. pci, public"}),
    )
    assets = AssetsField(help_text="What it processes or stores.")
    description = _text(Component, "description", "Description", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data: Any = None, *, project: Project, **kwargs: Any) -> None:
        super().__init__(data, project=project, **kwargs)
        self.fields["zone"].queryset = project.zones.order_by("trust_level", "name")  # type: ignore[attr-defined]
        self.fields["assets"].queryset = project.assets.order_by("name")  # type: ignore[attr-defined]
        _offer(self.fields["zone"], self.options.zones)
        _offer(self.fields["assets"], self.options.assets)

    def clean_tags(self) -> list[str]:
        tags = list(dict.fromkeys(tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()))
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(f"Use at most {MAX_TAGS} tags.")
        if any(len(tag) > 50 for tag in tags):
            raise forms.ValidationError("Keep each tag to 50 characters or fewer.")
        return tags

    @staticmethod
    def initial_of(component: Component) -> dict[str, Any]:
        return {
            "version": component.version,
            "name": component.name,
            "kind": component.kind,
            "zone": component.zone_id,
            "technology": component.technology,
            "tags": ", ".join(component.tags),
            "assets": [asset.pk for asset in component.assets.all()],
            "description": component.description,
        }


class FlowForm(ProjectPartForm):
    name = _text(
        DataFlow,
        "name",
        "Name",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Place order"}),
    )
    source = forms.ModelChoiceField(
        label="Source", queryset=Component.objects.none(), empty_label="Choose…", widget=Select
    )
    destination = forms.ModelChoiceField(
        label="Destination", queryset=Component.objects.none(), empty_label="Choose…", widget=Select
    )
    protocol = _text(
        DataFlow, "protocol", "Protocol", widget=forms.TextInput(attrs={"placeholder": "e.g. HTTPS"})
    )
    data_carried = _text(DataFlow, "data_carried", "Data carried")
    is_encrypted = forms.BooleanField(label="Encrypted", required=False)
    is_authenticated = forms.BooleanField(label="Authenticated", required=False)
    assets = AssetsField(help_text="What it carries.")

    def __init__(self, data: Any = None, *, project: Project, **kwargs: Any) -> None:
        super().__init__(data, project=project, **kwargs)
        components = project.components.order_by("name")
        self.fields["source"].queryset = components  # type: ignore[attr-defined]
        self.fields["destination"].queryset = components  # type: ignore[attr-defined]
        self.fields["assets"].queryset = project.assets.order_by("name")  # type: ignore[attr-defined]
        for name in ("source", "destination"):
            _offer(self.fields[name], self.options.components)
        _offer(self.fields["assets"], self.options.assets)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        source, destination = cleaned.get("source"), cleaned.get("destination")
        if source is not None and source == destination:
            self.add_error("destination", "A flow goes between two different components.")
        return cleaned

    @staticmethod
    def initial_of(flow: DataFlow) -> dict[str, Any]:
        fields = ("name", "protocol", "data_carried", "is_encrypted", "is_authenticated")
        return {
            "version": flow.version,
            "source": flow.source_id,
            "destination": flow.destination_id,
            "assets": [asset.pk for asset in flow.assets.all()],
            **{name: getattr(flow, name) for name in fields},
        }


class DeleteForm(forms.Form):
    """The version the person saw when they chose to delete: a stale one is refused, not applied."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form, field by field where it names the form's fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
