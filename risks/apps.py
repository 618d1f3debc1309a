from typing import Any

from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "risks"
    verbose_name = "Business risks and scoring"

    def ready(self) -> None:
        from projects.signals import workspace_changed

        workspace_changed.connect(_workspace_changed, dispatch_uid="risks.recompute")


def _workspace_changed(sender: object, organisation_id: int, **kwargs: Any) -> None:
    """Threats, likelihoods, controls or links changed: the organisation's risk results are out of date."""
    from risks.tasks import schedule_recompute

    schedule_recompute(organisation_id)
