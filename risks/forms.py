"""Forms of the business-risk pages: a risk, linking a threat to it, the what-if toggles and acceptances.

As in projects.model_forms, a form only reads and shapes what was typed; risks.services decides and writes.
Choices come from the organisation (its members, its threats the member may link), so naming another
organisation's object is an invalid choice before a service sees it. A choice the member may not make (a
treatment of "accept", a status of "accepted") is left out of the widget but not out of the field: posted
anyway, the service refuses it by field.
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet

from projects.model_forms import VersionedForm
from projects.models import Threat, User
from projects.threat_forms import OwnerField
from risks.models import (
    BusinessRisk,
    Category,
    Level,
    RiskAcceptance,
    RiskStatus,
    Scenario,
    Treatment,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"min_value": 0, "max_digits": 18, "decimal_places": 2, "required": False}


def _length(model: type, name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)  # type: ignore[attr-defined]


class RiskForm(VersionedForm):
    title = forms.CharField(
        label="Title",
        max_length=_length(BusinessRisk, "title"),
        help_text="What the business loses, in its words: “Card data exposed: PCI fines and churn”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=_length(BusinessRisk, "description"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    categories = forms.MultipleChoiceField(
        label="Categories", choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    owner = OwnerField(
        label="Owner",
        help_text="The member accountable for it, any role: they approve or decline its acceptance.",
    )
    impact = forms.ChoiceField(
        label="Impact level",
        choices=[("", "Not given"), *Level.choices],
        required=False,
        help_text="What one event costs, on the organisation's impact scale. Give a level, a loss per event, "
        "or both: the loss per event wins when both are given.",
    )
    loss_low = forms.DecimalField(
        label="Loss per event, low",
        help_text="The low end of a 90 % range: 1 event in 20 costs less.",
        **MONEY,  # type: ignore[arg-type]
    )
    loss_high = forms.DecimalField(
        label="Loss per event, high",
        help_text="The high end of a 90 % range: 1 event in 20 costs more.",
        **MONEY,  # type: ignore[arg-type]
    )
    treatment = forms.ChoiceField(
        label="Treatment",
        choices=Treatment.choices,
        initial=Treatment.MITIGATE,
        help_text="To accept a risk, request its acceptance on its page: its owner decides.",
    )
    treatment_detail = forms.CharField(
        label="How it is treated",
        required=False,
        max_length=_length(BusinessRisk, "treatment_detail"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For transfer or avoid: the insurer or contract, the system retired.",
    )
    status = forms.ChoiceField(label="Status", choices=RiskStatus.choices, initial=RiskStatus.OPEN)
    review_on = forms.DateField(
        label="Next review",
        required=False,
        widget=DATE,
        help_text="Left empty on a new risk: 90 days for high and very high, 180 for moderate, 360 below.",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        people: QuerySet[User],
        current: BusinessRisk | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("editing", current is not None)
        super().__init__(data, **kwargs)
        self.conflict_kwargs |= {"people": people, "current": current}
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]
        treatment = current.treatment if current else None
        status = current.status if current else None
        self.fields["treatment"].widget.choices = [
            (value, label)
            for value, label in Treatment.choices
            if value != Treatment.ACCEPT or value == treatment
        ]
        self.fields["status"].widget.choices = [
            (value, label)
            for value, label in RiskStatus.choices
            if value != RiskStatus.ACCEPTED or value == status
        ]

    def clean_title(self) -> str:
        return str(self.cleaned_data["title"]).strip()

    def clean(self) -> dict[str, Any]:
        """A new risk is not accepted by its form: risks.services.risk_create lets it through, so say it here."""
        cleaned = super().clean() or {}
        if self.conflict_kwargs["current"] is None:
            if cleaned.get("treatment") == Treatment.ACCEPT:
                self.add_error("treatment", "Request an acceptance instead: the risk's owner decides it.")
            if cleaned.get("status") == RiskStatus.ACCEPTED:
                self.add_error("status", "A risk is accepted when its owner approves an acceptance request.")
        return cleaned

    @staticmethod
    def initial_of(risk: BusinessRisk) -> dict[str, Any]:
        names = (
            "title",
            "description",
            "categories",
            "impact",
            "loss_low",
            "loss_high",
            "treatment",
            "treatment_detail",
            "status",
            "review_on",
        )
        return {"version": risk.version, "owner": risk.owner_id, **{n: getattr(risk, n) for n in names}}


def _threat_choice(threat: Threat) -> str:
    statement = threat.statement
    return f"{threat.reference}: {statement if len(statement) <= 100 else statement[:99] + '…'}"


class ThreatChoiceField(forms.ModelChoiceField):
    """The organisation's threats, grouped by project in the <select>."""

    def label_from_instance(self, obj: Any) -> str:
        return _threat_choice(obj)

    def grouped(self) -> list[tuple[str, list[tuple[int, str]]]]:
        groups: dict[str, list[tuple[int, str]]] = {}
        for threat in self.queryset:  # type: ignore[union-attr]
            groups.setdefault(threat.project.name, []).append((threat.pk, _threat_choice(threat)))
        return list(groups.items())


class ScenarioForm(forms.Form):
    """Link one of the organisation's threats to the risk: a scenario."""

    threat = ThreatChoiceField(label="Threat", queryset=Threat.objects.none(), empty_label="Choose a threat…")
    note = forms.CharField(
        label="How the threat leads to this risk",
        required=False,
        max_length=_length(Scenario, "note"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, data: Any = None, *, threats: QuerySet[Threat], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["threat"]
        field.queryset = threats  # type: ignore[attr-defined]
        field.widget.choices = [("", "Choose a threat…"), *field.grouped()]  # type: ignore[attr-defined]


class WhatIfForm(forms.Form):
    """Which controls a what-if run counts; without `what_if`, it starts from the controls in force."""

    control = forms.TypedMultipleChoiceField(coerce=int, required=False)
    what_if = forms.BooleanField(required=False)

    def __init__(self, data: Any = None, *, controls: Iterable[int], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["control"].choices = [(pk, str(pk)) for pk in controls]  # type: ignore[attr-defined]

    def chosen(self, default: frozenset[int]) -> frozenset[int]:
        if not self.is_bound or not self.is_valid() or not self.cleaned_data["what_if"]:
            return default
        return frozenset(self.cleaned_data["control"])


class AcceptanceRequestForm(forms.Form):
    rationale = forms.CharField(
        label="Why it can be accepted as it stands",
        max_length=_length(RiskAcceptance, "rationale"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The owner reads this to decide. Name what was weighed: cost, compensating controls, plans.",
    )
    expires_on = forms.DateField(
        label="Accept until",
        widget=DATE,
        help_text="At most three years; the risk goes back against appetite on that date.",
    )


class AcceptanceDecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=_length(RiskAcceptance, "decision_note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded with your decision.",
    )
