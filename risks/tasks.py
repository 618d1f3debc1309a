"""Background work of the register: recomputing stored results after inputs change, and expiring acceptances.

Debounce: every change bumps the organisation's change counter in the cache and queues a recomputation
RECOMPUTE_DELAY seconds later carrying the counter's value. When it runs, a task whose value is no longer the
latest steps aside, since a later task is queued; so a burst of edits gives one recomputation, run shortly
after the last edit. Edits that never pause would put it off for ever, so once the oldest change waiting has
waited MAX_DELAY seconds, the next task to run recomputes even if superseded. If the counter is gone (the cache was cleared or evicted it), the task runs: an extra
recomputation is harmless, a missing one would leave figures stale.

The counter's key names the database as well as the organisation: two databases sharing one cache (test
processes running side by side, two deployments on one Redis) have organisations with the same ids, and
neither may step on the other's counter.
"""

import logging
import time

from celery import shared_task
from django.core.cache import cache
from django.db import connection

from projects.models import Organisation
from risks import changes
from risks.results import recompute
from risks.services import acceptances_expire
from risks.snapshots import snapshots_prune, take_snapshot

logger = logging.getLogger(__name__)

RECOMPUTE_DELAY = 2.0  # seconds after the last change
MAX_DELAY = 60.0  # seconds a change waits at most, however busy the organisation


def _waiting_key(organisation_id: int) -> str:
    """When the oldest change not yet recomputed was made."""
    return f"risks:waiting-since:{connection.settings_dict['NAME']}:{organisation_id}"


def schedule_recompute(organisation_id: int) -> None:
    """Queue a recomputation of the organisation's results; a burst of calls gives one (see the module)."""
    cache.add(_waiting_key(organisation_id), time.time(), timeout=changes.COUNTER_TIMEOUT)
    change = changes.next_change(organisation_id)
    recompute_organisation.apply_async((organisation_id, change), countdown=RECOMPUTE_DELAY)


def is_latest(organisation_id: int, change: int) -> bool:
    latest = changes.current_change(organisation_id)
    return latest is None or latest == change


def waited_too_long(organisation_id: int) -> bool:
    since = cache.get(_waiting_key(organisation_id))
    return since is not None and time.time() - float(since) >= MAX_DELAY


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def recompute_organisation(organisation_id: int, change: int | None = None) -> bool:
    """Recompute and store the organisation's risk results. False when a later change superseded this one."""
    if change is not None and not is_latest(organisation_id, change) and not waited_too_long(organisation_id):
        return False
    cache.delete(_waiting_key(organisation_id))  # changes from now on wait for the next run
    done = recompute(organisation_id)
    if done is not None:
        logger.info(
            "risk results of organisation %s recomputed: %s risks (%s simulated) in %.1f s "
            "(reading %.1f, simulating %.1f, storing %.1f)",
            organisation_id,
            done.risks,
            done.simulated,
            done.seconds,
            done.reading_s,
            done.simulating_s,
            done.storing_s,
        )
    return True


@shared_task
def expire_acceptances() -> int:
    return acceptances_expire()


# The daily snapshot of every organisation's risk figures (risks.snapshots): one task per organisation, so one
# failure does not stop the others, and the same task takes one on demand.


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
