"""Forms of the Threats and Controls sections: threats (the full form, the inline row, the bulk status change),
controls, the links between them, and the review of threat-library suggestions.

As in model_forms, a form only reads and shapes what was typed: the services in workspace_services decide and
write. Choices come from the project, so a reference to another project's object is an invalid choice before
a service sees it. A status the member may not set is left out of the widget but not out of the field: posted
anyway, it reaches the service, which refuses it (403) rather than the form quietly calling it invalid.
"""

import json
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet

from projects.model_forms import VersionedForm
from projects.models import (
    DECISION_STATUSES,
    Asset,
    Component,
    Control,
    ControlKind,
    ControlStatus,
    DataFlow,
    Goal,
    LikelihoodLevel,
    Project,
    Stride,
    Threat,
    ThreatStatus,
    User,
)
from projects.threat_library import LibraryEntry
from projects.workspace_services import MAX_ASSET_NAMES, ThreatLinks
from risks.models import BusinessRisk, ScoringSettings
from risks.threat_scenarios import (
    FREQUENCY_FIELDS,
    MAX_EVENTS_A_YEAR,
    Likelihood,
    likelihood_typed,
    scale_names,
)

STATEMENT_FIELDS = ("threat_source", "prerequisites", "threat_action", "threat_impact")
STRIDE_CHOICES = [(letter.value, f"{letter.value} · {letter.label}") for letter in Stride]
ASSET_NAME_LENGTH = Asset._meta.get_field("name").max_length or 200
REASON_LENGTH = Threat._meta.get_field("status_reason").max_length or 2_000


class LikelihoodBy(models.TextChoices):
    """How a threat's likelihood is given: not yet, as a level, or as a range of events a year."""

    NONE = "", "Not estimated yet"
    LEVEL = "level", "As a level"
    RANGE = "range", "As events a year"


def _text(model: type[models.Model], name: str, label: str, **kwargs: Any) -> forms.CharField:
    """A text field as long as the model's column allows, required unless the column may be blank."""
    field = model._meta.get_field(name)
    return forms.CharField(
        label=label,
        max_length=getattr(field, "max_length", None),
        required=not getattr(field, "blank", False),
        **kwargs,
    )


def offered_statuses(*, may_decide: bool, current: str | None = None) -> list[tuple[str, str]]:
    """The statuses a member is offered: all for those who decide threat reviews; for others all but accepted
    and rejected, unless the threat already has one (keeping it is not a decision)."""
    return [
        (value, label)
        for value, label in ThreatStatus.choices
        if may_decide or value not in DECISION_STATUSES or value == current
    ]


def _offer(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    """Show only these choices; the field still accepts every one of its own (see the module's docstring)."""
    field.widget.choices = choices


def _checkboxes(**kwargs: Any) -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(**kwargs)


class OwnerField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=User.objects.none(), required=False, empty_label="Nobody yet", **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def _events(label: str, help_text: str = "") -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_EVENTS_A_YEAR,
        help_text=help_text,
        widget=forms.NumberInput(
            attrs={"step": "any", "inputmode": "decimal", "placeholder": "events a year"}
        ),
    )


class RisksField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference} {obj.title}"


class ThreatForm(VersionedForm):
    """The one short form that logs a threat, and edits it on its page.

    Its likelihood is either a level of the organisation's scale or a range of events a year (`likelihood_by`
    says which; without it, whichever was given): the other is cleared, so the threat never holds both.
    """

    threat_source = _text(
        Threat,
        "threat_source",
        "Threat source",
        help_text="Who or what acts: an external attacker, a malicious insider, a compromised dependency.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. external attacker", "autocomplete": "off"}),
    )
    prerequisites = _text(
        Threat,
        "prerequisites",
        "Prerequisites",
        help_text="What they need first.",
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. with a stolen session cookie", "autocomplete": "off"}
        ),
    )
    threat_action = _text(
        Threat,
        "threat_action",
        "Threat action",
        help_text="What they can do.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. replay a payment request", "autocomplete": "off"}),
    )
    threat_impact = _text(
        Threat,
        "threat_impact",
        "Threat impact",
        help_text="What that leads to.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. customers charged twice", "autocomplete": "off"}),
    )
    impacted_goals = forms.MultipleChoiceField(
        label="Impacted goals", choices=Goal.choices, required=False, widget=_checkboxes()
    )
    impacted_assets = forms.ModelMultipleChoiceField(
        label="Impacted assets", queryset=Asset.objects.none(), required=False, widget=_checkboxes()
    )
    impacted_asset_names = forms.CharField(
        label="Other assets, comma separated",
        required=False,
        max_length=MAX_ASSET_NAMES * (ASSET_NAME_LENGTH + 2),
        help_text="Assets not in the model yet: each name becomes an asset of the project.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. refund ledger, API keys", "autocomplete": "off"}),
    )
    stride = forms.MultipleChoiceField(
        label="STRIDE categories", choices=STRIDE_CHOICES, required=False, widget=_checkboxes()
    )
    target_components = forms.ModelMultipleChoiceField(
        label="Target components", queryset=Component.objects.none(), required=False, widget=_checkboxes()
    )
    target_flows = forms.ModelMultipleChoiceField(
        label="Target data flows", queryset=DataFlow.objects.none(), required=False, widget=_checkboxes()
    )
    likelihood_by = forms.ChoiceField(
        label="Likelihood",
        choices=LikelihoodBy.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="How often it happens: a level of your organisation's scale, or a range of events a year. "
        "Start with a level; give numbers when you have them.",
    )
    likelihood = forms.ChoiceField(label="Level", choices=LikelihoodLevel.choices, required=False)
    frequency_min = _events("Fewest a year", "Blank, with most blank too: an exact rate.")
    frequency_mode = _events("Most likely a year")
    frequency_max = _events("Most a year")
    # Not named business_risks like the threat's relation: the form's links to risks are not the threat's own
    # fields, which a conflict notice compares and merges (projects.conflicts).
    risks = RisksField(
        label="Business risks it can cause",
        queryset=BusinessRisk.objects.none(),
        required=False,
        widget=_checkboxes(),
        help_text="Each link is a scenario: the threat's likelihood meets the risk's impact.",
    )
    # Sent with the risk checkboxes: a post without it (an older form, a script) leaves the links as they are,
    # since unticked checkboxes send nothing and would otherwise read as "no risks".
    risks_shown = forms.BooleanField(required=False, widget=forms.HiddenInput)
    owner = OwnerField(label="Owner")
    status = forms.ChoiceField(label="Status", choices=ThreatStatus.choices, initial=ThreatStatus.IDENTIFIED)
    status_reason = _text(
        Threat,
        "status_reason",
        "Reason",
        help_text="Why it is accepted, or why it is rejected / not applicable (required then).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        project: Project,
        people: QuerySet[User],
        may_decide: bool,
        risks: QuerySet[BusinessRisk],
        scoring: ScoringSettings,
        current_status: str | None = None,
        suggest_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.conflict_kwargs |= {
            "project": project,
            "people": people,
            "may_decide": may_decide,
            "risks": risks,
            "scoring": scoring,
            "current_status": current_status,
            "suggest_url": suggest_url,
        }
        self.project = project
        self.scoring = scoring
        self.fields["risks"].queryset = risks  # type: ignore[attr-defined]
        levels = [("", "Choose a level…"), *_level_choices(scoring.likelihood_scale)]
        self.fields["likelihood"].choices = levels  # type: ignore[attr-defined]
        self.fields["impacted_assets"].queryset = project.assets.order_by("name")  # type: ignore[attr-defined]
        self.fields["target_components"].queryset = project.components.order_by("name")  # type: ignore[attr-defined]
        self.fields["target_flows"].queryset = project.flows.order_by("name")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]
        _offer(self.fields["status"], offered_statuses(may_decide=may_decide, current=current_status))
        if not may_decide:
            del self.fields["status_reason"]
        if suggest_url:
            for name in STATEMENT_FIELDS:
                self.fields[name].widget.attrs |= _suggestion_attrs(name, suggest_url)

    def clean_stride(self) -> list[str]:
        chosen = set(self.cleaned_data["stride"])
        return [letter for letter in Stride.values if letter in chosen]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if any(name in self.errors for name in ("likelihood_by", "likelihood", *FREQUENCY_FIELDS)):
            return cleaned
        by = cleaned.get("likelihood_by") if "likelihood_by" in self.data else self._likelihood_given(cleaned)
        if by == LikelihoodBy.LEVEL and not cleaned.get("likelihood"):
            self.add_error("likelihood", "Choose a level, or say it is not estimated yet.")
        if by == LikelihoodBy.RANGE:
            mode = cleaned.get("frequency_mode")
            if mode is None:
                self.add_error("frequency_mode", "Give the most likely number of events a year.")
                return cleaned
            for name in ("frequency_min", "frequency_max"):
                if cleaned.get(name) is None:
                    cleaned[name] = mode
        if by != LikelihoodBy.RANGE:
            cleaned |= dict.fromkeys(FREQUENCY_FIELDS, None)
        if by != LikelihoodBy.LEVEL:
            cleaned["likelihood"] = ""
        cleaned["likelihood_by"] = by
        return cleaned

    @staticmethod
    def _likelihood_given(cleaned: dict[str, Any]) -> str:
        """How these values give the likelihood: the range when one was given, else the level. For a post without
        the either/or choice (an older client), and for a saved threat."""
        if any(cleaned.get(name) is not None for name in FREQUENCY_FIELDS):
            return LikelihoodBy.RANGE
        return LikelihoodBy.LEVEL if cleaned.get("likelihood") else LikelihoodBy.NONE

    def clean_impacted_goals(self) -> list[str]:
        chosen = set(self.cleaned_data["impacted_goals"])
        return [goal for goal in Goal.values if goal in chosen]

    def clean_impacted_asset_names(self) -> list[str]:
        names = list(
            dict.fromkeys(name.strip() for name in self.cleaned_data["impacted_asset_names"].split(","))
        )
        names = [name for name in names if name]
        if len(names) > MAX_ASSET_NAMES:
            raise forms.ValidationError(f"Name at most {MAX_ASSET_NAMES} assets.")
        if any(len(name) > ASSET_NAME_LENGTH for name in names):
            raise forms.ValidationError(f"Keep each asset name to {ASSET_NAME_LENGTH} characters or fewer.")
        return names

    def service_fields(self) -> dict[str, Any]:
        """The threat's own fields, as workspace_services.threat_create and threat_update take them."""
        names = (
            *STATEMENT_FIELDS,
            "impacted_goals",
            "stride",
            "owner",
            "status",
            "status_reason",
            "likelihood",
            *FREQUENCY_FIELDS,
        )
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}

    @property
    def likelihood_now(self) -> Likelihood:
        """The likelihood as the form holds it (typed, or as loaded), to say which level a range stands for."""
        if self.is_bound:
            return likelihood_typed(self.scoring, self.data)
        initial = {key: "" if value is None else str(value) for key, value in self.initial.items()}
        return likelihood_typed(self.scoring, initial)

    def risks_chosen(self) -> list[BusinessRisk] | None:
        """The business risks chosen, for risks.services.threat_risks_set; None when the form that was posted did
        not show them (nothing to change)."""
        if not self.cleaned_data.get("risks_shown"):
            return None
        return list(self.cleaned_data["risks"])

    def links(self) -> ThreatLinks:
        return ThreatLinks(
            impacted_assets=list(self.cleaned_data["impacted_assets"]),
            impacted_asset_names=self.cleaned_data["impacted_asset_names"],
            target_components=list(self.cleaned_data["target_components"]),
            target_flows=list(self.cleaned_data["target_flows"]),
        )

    @staticmethod
    def initial_of(threat: Threat) -> dict[str, Any]:
        fields = (*STATEMENT_FIELDS, "impacted_goals", "stride", "status", "status_reason", "likelihood")
        return {
            "version": threat.version,
            "owner": threat.owner_id,
            "impacted_assets": [asset.pk for asset in threat.impacted_assets.all()],
            "target_components": [component.pk for component in threat.target_components.all()],
            "target_flows": [flow.pk for flow in threat.target_flows.all()],
            "risks": [risk.pk for risk in threat.business_risks.all()],
            "likelihood_by": ThreatForm._likelihood_given(
                {name: getattr(threat, name) for name in ("likelihood", *FREQUENCY_FIELDS)}
            ),
            **{name: getattr(threat, name) for name in fields},
            **{name: _events_shown(getattr(threat, name)) for name in FREQUENCY_FIELDS},
        }


def _events_shown(value: float | None) -> float | int | None:
    """A number of events as typed: 3, not 3.0."""
    return int(value) if value is not None and value.is_integer() else value


def _level_choices(scale: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The five levels, named and described as the organisation's scale has them."""
    choices = []
    for (level, name), entry in zip(scale_names(scale).items(), scale, strict=True):
        description = str(entry.get("description") or "")
        choices.append((level.value, f"{name}: {description}" if description else name))
    return choices


def _suggestion_attrs(name: str, url: str) -> dict[str, str]:
    """Ask for earlier values of this statement field as the person types, into the field's <datalist>."""
    return {
        "list": f"suggest-{name}",
        "hx-get": url,
        "hx-vals": json.dumps({"field": name}),
        "hx-trigger": "input changed delay:250ms, focus once",
        "hx-target": f"#suggest-{name}",
        "hx-swap": "innerHTML",
        "hx-sync": "this:replace",
    }


class ThreatInlineForm(VersionedForm):
    """Status and owner, edited in the threat's row of the list. Its prefix keeps the names apart per row."""

    status = forms.ChoiceField(label="Status", choices=ThreatStatus.choices)
    owner = OwnerField(label="Owner")
    status_reason = forms.CharField(label="Reason", required=False, max_length=REASON_LENGTH)

    def __init__(
        self,
        data: Any = None,
        *,
        people: QuerySet[User],
        may_decide: bool,
        current_status: str,
        editing: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, editing=editing, **kwargs)
        self.conflict_kwargs |= {"people": people, "may_decide": may_decide, "current_status": current_status}
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]
        _offer(self.fields["status"], offered_statuses(may_decide=may_decide, current=current_status))
        if not may_decide:
            del self.fields["status_reason"]

    @staticmethod
    def initial_of(threat: Threat) -> dict[str, Any]:
        return {
            "version": threat.version,
            "status": threat.status,
            "owner": threat.owner_id,
            "status_reason": threat.status_reason,
        }


class ControlForm(VersionedForm):
    title = _text(Control, "title", "Title", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(
        label="Kind",
        choices=ControlKind.choices,
        initial=ControlKind.PREVENTIVE,
        help_text="Preventive stops it, detective notices it, corrective limits the damage.",
    )
    status = forms.ChoiceField(label="Status", choices=ControlStatus.choices, initial=ControlStatus.PROPOSED)
    owner = OwnerField(label="Owner")
    due_on = forms.DateField(
        label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    cost_per_year = forms.DecimalField(
        label="Cost per year",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="Licences, running costs and upkeep, in the organisation's currency.",
    )
    effort_days = forms.DecimalField(
        label="Effort (days)", required=False, min_value=0, max_digits=7, decimal_places=1
    )
    ticket_url = forms.URLField(
        label="Ticket",
        required=False,
        max_length=Control._meta.get_field("ticket_url").max_length,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )
    description = _text(Control, "description", "Description", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data: Any = None, *, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.conflict_kwargs["people"] = people
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]

    def clean_title(self) -> str:
        return str(self.cleaned_data["title"]).strip()

    @staticmethod
    def initial_of(control: Control) -> dict[str, Any]:
        names = (
            "title",
            "kind",
            "status",
            "due_on",
            "cost_per_year",
            "effort_days",
            "ticket_url",
            "description",
        )
        return {
            "version": control.version,
            "owner": control.owner_id,
            **{n: getattr(control, n) for n in names},
        }


def _effectiveness(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label="Effectiveness (%)",
        min_value=0,
        max_value=100,
        initial=50,
        help_text="How much of the threat it stops: 0 to 100 %.",
        **kwargs,
    )


class LinkControlForm(forms.Form):
    """Link one of the project's controls to a threat."""

    control = forms.ModelChoiceField(
        label="Control", queryset=Control.objects.none(), empty_label="Choose a control…"
    )
    effectiveness = _effectiveness()

    def __init__(self, data: Any = None, *, controls: QuerySet[Control], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["control"].queryset = controls  # type: ignore[attr-defined]


class NewControlLinkForm(forms.Form):
    """Create a control and link it to a threat, in one step."""

    title = _text(Control, "title", "Title", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    kind = forms.ChoiceField(label="Kind", choices=ControlKind.choices, initial=ControlKind.PREVENTIVE)
    status = forms.ChoiceField(label="Status", choices=ControlStatus.choices, initial=ControlStatus.PROPOSED)
    effectiveness = _effectiveness()

    def clean_title(self) -> str:
        return str(self.cleaned_data["title"]).strip()


class LinkThreatForm(forms.Form):
    """Link a control to one more of the project's threats (on the control's page)."""

    threat = forms.ModelChoiceField(
        label="Threat", queryset=Threat.objects.none(), to_field_name="number", empty_label="Choose a threat…"
    )
    effectiveness = _effectiveness()

    def __init__(self, data: Any = None, *, threats: QuerySet[Threat], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["threat"].queryset = threats  # type: ignore[attr-defined]
        self.fields["threat"].label_from_instance = _threat_choice  # type: ignore[attr-defined]


def _threat_choice(threat: Threat) -> str:
    statement = threat.statement
    return f"{threat.reference}: {statement if len(statement) <= 110 else statement[:109] + '…'}"


class EffectivenessForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    effectiveness = _effectiveness()


class LibraryReviewForm(forms.Form):
    """The library entries ticked on a suggestions page: to create, or (security leads) not applicable."""

    keys = forms.MultipleChoiceField(label="Create these threats", required=False, widget=_checkboxes())
    not_applicable = forms.MultipleChoiceField(
        label="Mark not applicable", required=False, widget=_checkboxes()
    )
    reason = forms.CharField(label="Why they do not apply", required=False, max_length=REASON_LENGTH)
    with_controls = forms.BooleanField(
        label="Also add their suggested controls",
        required=False,
        help_text="Each created threat is linked to its suggested control: the project's control of that title, "
        "or a new proposed one. Adjust effectiveness and status on the control.",
    )

    def __init__(self, data: Any = None, *, entries: list[LibraryEntry], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        choices = [(item.key, item.title) for item in entries]
        self.fields["keys"].choices = choices  # type: ignore[attr-defined]
        self.fields["not_applicable"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("keys") and not cleaned.get("not_applicable"):
            raise forms.ValidationError("Tick at least one suggestion.")
        return cleaned
