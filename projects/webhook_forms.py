"""The owners' webhook endpoint form. The address is checked by the service (projects.webhooks), which resolves
it, not here: a form only sees text."""

from django import forms

from projects.webhook_models import SUBSCRIBABLE_EVENTS, WebhookEndpoint, WebhookEvent

EVENT_CHOICES = [(event, f"{WebhookEvent(event).label} ({event})") for event in SUBSCRIBABLE_EVENTS]


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=WebhookEndpoint._meta.get_field("url").max_length,
        widget=forms.URLInput(
            attrs={"placeholder": "https://hooks.example.com/threatmodel", "spellcheck": "false"}
        ),
        help_text="An https:// address on the internet. Events are POSTed to it as signed JSON.",
    )
    description = forms.CharField(
        label="Description",
        max_length=WebhookEndpoint._meta.get_field("description").max_length,
        required=False,
        help_text="What receives them, so the next owner knows: “Jira automation”, “#security channel”.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )


class WebhookEndpointEditForm(WebhookEndpointForm):
    active = forms.BooleanField(
        label="Send events to this endpoint",
        required=False,
        help_text="Untick to pause it; events that happen meanwhile are not sent later.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)  # the one the form was drawn from
