"""Webhook deliveries in the background: one task per attempt of one delivery, so a slow or failing endpoint
holds up nothing else; a retry is a new task sent with its countdown, never a worker waiting.

(Listed in CELERY_IMPORTS: this is not a `tasks` module, which autodiscovery would find.)
"""

from celery import Task, shared_task
from django.conf import settings

from projects import webhook_delivery

# A worker gives up an attempt well after its timeouts would have ended it.
SOFT_TIME_LIMIT = 3 * settings.WEBHOOKS_TIMEOUT_SECONDS + 5
TIME_LIMIT = SOFT_TIME_LIMIT + 10


@shared_task(bind=True, ignore_result=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def deliver_webhook(self: Task, delivery_id: int, attempt: int = 1) -> None:
    """Make this attempt of the delivery (if no other task made it), and send the next one when it is due, to
    the queue this one came from (as Celery's own retries do)."""
    retry_in = webhook_delivery.attempt(delivery_id, attempt)
    if retry_in is not None:
        queue: str = (self.request.delivery_info or {}).get("routing_key") or self.app.conf.task_default_queue
        deliver_webhook.apply_async((delivery_id, attempt + 1), countdown=retry_in, queue=queue)


@shared_task(ignore_result=True)
def sweep_webhook_deliveries() -> int:
    """Send again the deliveries whose task was lost, and delete the log's old rows; how many were sent."""
    lost = webhook_delivery.lost()
    for delivery_id, attempt in lost:
        deliver_webhook.delay(delivery_id, attempt)
    webhook_delivery.prune()
    return len(lost)
