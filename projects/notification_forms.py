from django import forms

from projects.notification_models import EmailMode, NotificationKind


class NotificationPreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label="Email me",
        choices=EmailMode.choices,
        widget=forms.RadioSelect,
        help_text="Whatever you choose, every notification is listed on the notifications page.",
    )
    muted_kinds = forms.MultipleChoiceField(
        label="Never email me about",
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="These still appear on the notifications page.",
    )
