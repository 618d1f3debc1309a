"""Signals the workspace sends for the layers above it (risks listens) without knowing about them."""

from django.dispatch import Signal

# Sent once a workspace change is committed, with `organisation_id`: threats, their likelihood, controls or
# their links may have changed, so whatever is computed from them is out of date.
workspace_changed = Signal()
