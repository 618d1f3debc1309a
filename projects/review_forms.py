"""The forms of reviews. They read what was posted; projects.review_services decides and writes."""

from typing import Any

from django import forms

from projects.bulk_forms import SeenField
from projects.models import Membership
from projects.review_models import VERDICT_CHOICES, ThreatReviewDecision
from projects.review_selectors import decidable_threats

COMMENT_LENGTH = 2_000


def _comment(label: str, help_text: str, rows: int = 3) -> forms.CharField:
    """An optional note or comment on a model's review, in a box of `rows` lines."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class ModelSubmitForm(forms.Form):
    note = _comment("Note for the reviewer", "Optional: what changed, or what to look at first.")


class ModelWithdrawForm(forms.Form):
    note = _comment("Why (optional)", "Told to the security leads, and kept in the review's history.", rows=2)


class ModelDecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=VERDICT_CHOICES, widget=forms.RadioSelect)
    comment = _comment("Comment", "Required when you ask for changes: say what should change.")
    # The digest of the model the reviewer looked at: an approval of a model changed since is refused.
    digest = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


class ThreatDecisionForm(forms.Form):
    threats = SeenField(
        key="pk",
        name_of=lambda pk: f"threat {pk}",
        label_of=lambda threat: f"{threat.project} {threat.reference}",
    )
    decision = forms.ChoiceField(label="Decision", choices=ThreatReviewDecision.choices)
    comment = forms.CharField(
        label="Reason or what should change",
        required=False,
        max_length=COMMENT_LENGTH,
        help_text="Required to reject threats or to ask for changes.",
    )

    def __init__(self, data: Any = None, *, membership: Membership, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["threats"].rows = decidable_threats(membership)  # type: ignore[attr-defined]
