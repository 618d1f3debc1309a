"""The scoring settings form: currency, the likelihood and impact scales (five levels each: a name, what it means in
business terms, and the range of numbers it stands for), the five-by-five matrix, and the risk appetite.

The form reads and shapes what was typed, field by field, so every mistake is said where it was made (a range
that does not start where the previous one ends, a cell of the matrix lower than a less likely or less harmful
neighbour); risks.services.settings_update decides and writes.
"""

import math
from typing import Any

from django import forms

from risks.models import Currency, Level, ScoringSettings

LEVELS: list[tuple[str, str]] = list(Level.choices)  # very low first
SCALES = {
    "likelihood": ("events a year", "likelihood_scale"),
    "impact": ("loss per event", "impact_scale"),
}
MAX_AMOUNT = 1e15  # a quadrillion: beyond any organisation's loss, as the calculator bounds it
NAME_LENGTH = 60
DESCRIPTION_LENGTH = 500


def _number(label: str, *, required: bool = True) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=required,
        min_value=0,
        max_value=MAX_AMOUNT,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


def _shown(value: float) -> str:
    """A number as people write it in a message: 10,000,000 and 0.1."""
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _stored(value: float | None) -> float | int | None:
    """A number as the scale stores it: whole numbers without a decimal point."""
    if value is None:
        return None
    return int(value) if value == int(value) else value


class ScoringSettingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    currency = forms.ChoiceField(
        label="Currency", choices=Currency.choices, help_text="Every amount of the register is in it."
    )
    appetite_level = forms.ChoiceField(
        label="Highest acceptable residual level",
        choices=LEVELS,
        help_text="A business risk whose residual level is above it needs more treatment or an accepted risk.",
    )
    tolerance_probability = forms.DecimalField(
        label="At most (% chance)",
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    tolerance_amount = forms.DecimalField(
        label="of losing more than (a year)",
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        for scale, (unit, _) in SCALES.items():
            for rank, (_, label) in enumerate(LEVELS):
                prefix = f"{scale}_{rank}"
                self.fields[f"{prefix}_name"] = forms.CharField(
                    label=f"{label}: name", max_length=NAME_LENGTH
                )
                self.fields[f"{prefix}_description"] = forms.CharField(
                    label=f"{label}: what it means", max_length=DESCRIPTION_LENGTH, required=False
                )
                self.fields[f"{prefix}_low"] = _number(f"{label}: from ({unit})")
                last = rank == len(LEVELS) - 1
                self.fields[f"{prefix}_high"] = _number(f"{label}: up to ({unit})", required=not last)
                if last:
                    self.fields[f"{prefix}_high"].help_text = "Blank: no upper end."
        for name, field in self.fields.items():
            if name.startswith(("likelihood_", "impact_")):
                field.widget.attrs["aria-label"] = str(field.label)
        for likelihood, (_, likelihood_label) in enumerate(LEVELS):
            for impact, (_, impact_label) in enumerate(LEVELS):
                label = f"Risk at {likelihood_label.lower()} likelihood and {impact_label.lower()} impact"
                self.fields[f"matrix_{likelihood}_{impact}"] = forms.ChoiceField(
                    label=label, choices=LEVELS, widget=forms.Select(attrs={"aria-label": label})
                )

    # Reading the grid in the template -------------------------------------------------------------------------

    def scale_rows(self, scale: str) -> list[dict[str, Any]]:
        return [
            {
                "level": value,
                "label": label,
                **{part: self[f"{scale}_{rank}_{part}"] for part in ("name", "description", "low", "high")},
            }
            for rank, (value, label) in enumerate(LEVELS)
        ]

    @property
    def likelihood_rows(self) -> list[dict[str, Any]]:
        return self.scale_rows("likelihood")

    @property
    def impact_rows(self) -> list[dict[str, Any]]:
        return self.scale_rows("impact")

    @property
    def matrix_rows(self) -> list[dict[str, Any]]:
        """Likelihood from very high at the top, as NIST SP 800-30's Table I-2 has it; impact left to right."""
        return [
            {
                "level": value,
                "label": label,
                "cells": [self[f"matrix_{rank}_{impact}"] for impact in range(len(LEVELS))],
            }
            for rank, (value, label) in reversed(list(enumerate(LEVELS)))
        ]

    @property
    def impact_labels(self) -> list[str]:
        return [label for _, label in LEVELS]

    # Checks ---------------------------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for scale in SCALES:
            self._check_scale(scale, cleaned)
        self._check_matrix(cleaned)
        probability, amount = cleaned.get("tolerance_probability"), cleaned.get("tolerance_amount")
        if probability is not None and not 0 < probability < 100:
            self.add_error("tolerance_probability", "A chance in per cent, above 0 and below 100.")
        if amount is not None and amount <= 0:
            self.add_error("tolerance_amount", "An amount above 0.")
        if (probability is None) != (amount is None) and not self.has_error("tolerance_probability"):
            missing = "tolerance_amount" if amount is None else "tolerance_probability"
            self.add_error(missing, "Give both the chance and the amount, or neither.")
        return cleaned

    def _check_scale(self, scale: str, cleaned: dict[str, Any]) -> None:
        """Each range above the previous one, starting where it ends; errors on the field to correct."""
        previous_high: float | None = None
        for rank, (_, label) in enumerate(LEVELS):
            low, high = cleaned.get(f"{scale}_{rank}_low"), cleaned.get(f"{scale}_{rank}_high")
            if rank > 0 and low is not None and previous_high is not None and low != previous_high:
                before = LEVELS[rank - 1][1].lower()
                self.add_error(
                    f"{scale}_{rank}_low",
                    f"Start where {before} ends ({_shown(previous_high)}): ranges join up.",
                )
            if low is not None and high is not None and high <= low:
                self.add_error(
                    f"{scale}_{rank}_high", f"End above where {label.lower()} starts ({_shown(low)})."
                )
            previous_high = high
        for rank in range(len(LEVELS)):
            name = cleaned.get(f"{scale}_{rank}_name")
            if name is not None and not name.strip():
                self.add_error(f"{scale}_{rank}_name", "Give the level a name.")

    def _check_matrix(self, cleaned: dict[str, Any]) -> None:
        """A more likely or more harmful cell is never a lower level than its neighbour."""
        rank_of = {value: rank for rank, (value, _) in enumerate(LEVELS)}
        size = len(LEVELS)
        for likelihood in range(size):
            for impact in range(size):
                cell = cleaned.get(f"matrix_{likelihood}_{impact}")
                if cell is None:
                    continue
                neighbours = [
                    cleaned.get(f"matrix_{likelihood - 1}_{impact}") if likelihood else None,
                    cleaned.get(f"matrix_{likelihood}_{impact - 1}") if impact else None,
                ]
                if any(n is not None and rank_of[n] > rank_of[cell] for n in neighbours):
                    self.add_error(
                        f"matrix_{likelihood}_{impact}",
                        "Lower than a less likely or less harmful cell: risk never falls as likelihood or "
                        "impact rises.",
                    )

    # To and from the settings ---------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The cleaned form as risks.services.settings_update takes it."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "currency": data["currency"],
            "appetite_level": data["appetite_level"],
            "tolerance_probability": data.get("tolerance_probability"),
            "tolerance_amount": data.get("tolerance_amount"),
            "matrix": [
                [data[f"matrix_{row}_{cell}"] for cell in range(len(LEVELS))] for row in range(len(LEVELS))
            ],
        }
        for scale, (_, stored_as) in SCALES.items():
            values[stored_as] = [
                {
                    "name": data[f"{scale}_{rank}_name"].strip(),
                    "description": data[f"{scale}_{rank}_description"].strip(),
                    "low": _stored(data[f"{scale}_{rank}_low"]),
                    "high": _stored(data.get(f"{scale}_{rank}_high")),
                }
                for rank in range(len(LEVELS))
            ]
        return values

    @staticmethod
    def initial_of(settings: ScoringSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": settings.version,
            "currency": settings.currency,
            "appetite_level": settings.appetite_level,
            "tolerance_probability": settings.tolerance_probability,
            "tolerance_amount": settings.tolerance_amount,
        }
        for scale, (_, stored_as) in SCALES.items():
            for rank, level in enumerate(getattr(settings, stored_as)):
                high = level.get("high")
                initial |= {
                    f"{scale}_{rank}_name": level.get("name", ""),
                    f"{scale}_{rank}_description": level.get("description", ""),
                    f"{scale}_{rank}_low": level.get("low"),
                    f"{scale}_{rank}_high": None if high in (None, "") or math.isinf(float(high)) else high,
                }
        for row, cells in enumerate(settings.matrix):
            initial |= {f"matrix_{row}_{cell}": value for cell, value in enumerate(cells)}
        return initial
