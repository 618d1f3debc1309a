"""Background work of the register: recomputing stored results after inputs change, and expiring acceptances.

Debounce: every change bumps the organisation's change counter in the cache and queues a recomputation
RECOMPUTE_DELAY seconds later carrying the counter's value. When it runs, a task whose value is no longer the
latest steps aside, since a later task is queued; so a burst of edits gives one recomputation, run shortly
after the last edit.
"""

from celery import shared_task
from django.core.cache import cache

RECOMPUTE_DELAY = 2.0  # seconds after the last change


def _counter_key(organisation_id: int) -> str:
    return f"risks:changes:{organisation_id}"


def schedule_recompute(organisation_id: int) -> None:
    key = _counter_key(organisation_id)
    cache.add(key, 0, timeout=None)
    change = cache.incr(key)
    recompute_organisation.apply_async((organisation_id, change), countdown=RECOMPUTE_DELAY)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def recompute_organisation(organisation_id: int, change: int | None = None) -> bool:
    """Recompute and store the organisation's risk results. False when a later change superseded this one."""
    if change is not None and cache.get(_counter_key(organisation_id)) != change:
        return False
    from risks.results import recompute

    recompute(organisation_id)
    return True


@shared_task
def expire_acceptances() -> int:
    from risks.services import acceptances_expire

    return acceptances_expire()
