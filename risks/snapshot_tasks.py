"""The daily snapshot of every organisation's risk figures (risks.snapshots), run by Celery beat; one task per
organisation, so one failure does not stop the others, and the same task takes one on demand."""

from celery import shared_task

from projects.models import Organisation
from risks.snapshots import snapshots_prune, take_snapshot


@shared_task
def take_daily_snapshots() -> int:
    """Queue today's snapshot of every organisation and delete the ones past retention; how many queued."""
    organisation_ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    for organisation_id in organisation_ids:
        take_organisation_snapshot.delay(organisation_id)
    snapshots_prune()
    return len(organisation_ids)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def take_organisation_snapshot(organisation_id: int) -> bool:
    """Take (or retake) today's snapshot of the organisation; False when it no longer exists."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return False
    take_snapshot(organisation)
    return True
