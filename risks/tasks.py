"""Background work of the register: recomputing stored results after inputs change, and expiring acceptances.

Debounce: every change bumps the organisation's change counter in the cache and queues a recomputation
RECOMPUTE_DELAY seconds later carrying the counter's value. When it runs, a task whose value is no longer the
latest steps aside, since a later task is queued; so a burst of edits gives one recomputation, run shortly
after the last edit. If the counter is gone (the cache was cleared or evicted it), the task runs: an extra
recomputation is harmless, a missing one would leave figures stale.

The counter's key names the database as well as the organisation: two databases sharing one cache (test
processes running side by side, two deployments on one Redis) have organisations with the same ids, and
neither may step on the other's counter.
"""

from celery import shared_task
from django.core.cache import cache
from django.db import connection

from risks.results import recompute
from risks.services import acceptances_expire

RECOMPUTE_DELAY = 2.0  # seconds after the last change
_COUNTER_TIMEOUT = 24 * 3600  # seconds: a counter outlives any queued task, and idle ones go away


def _counter_key(organisation_id: int) -> str:
    return f"risks:changes:{connection.settings_dict['NAME']}:{organisation_id}"


def _next_change(organisation_id: int) -> int:
    key = _counter_key(organisation_id)
    cache.add(key, 0, timeout=_COUNTER_TIMEOUT)
    try:
        return int(cache.incr(key))
    except ValueError:  # it expired between add and incr
        cache.add(key, 0, timeout=_COUNTER_TIMEOUT)
        return int(cache.incr(key))


def schedule_recompute(organisation_id: int) -> None:
    """Queue a recomputation of the organisation's results; a burst of calls gives one (see the module)."""
    change = _next_change(organisation_id)
    recompute_organisation.apply_async((organisation_id, change), countdown=RECOMPUTE_DELAY)


def is_latest(organisation_id: int, change: int) -> bool:
    latest = cache.get(_counter_key(organisation_id))
    return latest is None or int(latest) == change


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def recompute_organisation(organisation_id: int, change: int | None = None) -> bool:
    """Recompute and store the organisation's risk results. False when a later change superseded this one."""
    if change is not None and not is_latest(organisation_id, change):
        return False
    recompute(organisation_id)
    return True


@shared_task
def expire_acceptances() -> int:
    return acceptances_expire()
