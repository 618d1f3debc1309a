"""The organisation's change counter: bumped by every change to the register's inputs, read by the debounce
(risks.tasks), recorded with stored results (risks.results), and compared by risks.selectors to tell cheaply
whether anything changed since the results were computed.

It lives in the cache. The key names the database as well as the organisation, so two databases sharing a
cache (test processes side by side, two deployments on one Redis) do not step on each other. A counter created
anew starts from the clock in milliseconds, never from 0, so a counter lost with the cache cannot come back
to a value a stored result recorded.
"""

import time

from django.core.cache import cache
from django.db import connection

COUNTER_TIMEOUT = 24 * 3600  # seconds: a counter outlives any queued task, and idle ones go away


def _key(organisation_id: int) -> str:
    return f"risks:changes:{connection.settings_dict['NAME']}:{organisation_id}"


def next_change(organisation_id: int) -> int:
    key = _key(organisation_id)
    for _ in range(2):  # once more if it expired between add and incr
        cache.add(key, int(time.time() * 1000), timeout=COUNTER_TIMEOUT)
        try:
            return int(cache.incr(key))
        except ValueError:
            continue
    raise RuntimeError("The cache will not keep the change counter.")


def current_change(organisation_id: int) -> int | None:
    """The last change counted, or None when the cache has no counter (then nothing can be told from it)."""
    value = cache.get(_key(organisation_id))
    return int(value) if value is not None else None


def restore(organisation_id: int, recorded: object) -> None:
    """Put back a lost counter at the value the current results recorded, once the exact check found them
    current, so the next reads take the fast path again. Only when no counter exists: a change counted since
    (its own add wins) keeps its higher value, and the results read as stale, as they should."""
    if isinstance(recorded, int):
        cache.add(_key(organisation_id), recorded, timeout=COUNTER_TIMEOUT)
