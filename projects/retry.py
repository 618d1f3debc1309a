"""How long background work waits before trying again: doubling from a base, up to half an hour. The webhook
deliveries (projects.webhook_delivery) and the notification e-mails (projects.notification_mail) both wait so."""

# No longer: the broker may hand a task held past its visibility timeout to a second worker (each caller's claim
# makes that harmless, but it is waste).
MAX_WAIT_SECONDS = 1_800


def doubling_wait(base_seconds: float, attempt: int, at_least: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first): base, 2 x base, 4 x base, ...,
    at least `at_least` (what the other side asked for) and at most MAX_WAIT_SECONDS."""
    wait = float(base_seconds) * 2 ** (attempt - 1)
    if at_least is not None:
        wait = max(wait, at_least)
    return min(wait, MAX_WAIT_SECONDS)
