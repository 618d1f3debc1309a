"""Celery tasks that e-mail notifications (projects.notification_mail). Outside a `tasks` module because
projects.notifications enqueues them, so settings.CELERY_IMPORTS loads this one; the daily reminders, which
write notifications, are in projects.reminder_tasks.

An e-mail that failed for now is tried again by a task of its own, sent with its wait to the queue its first task
came from (as Celery's own retries do), so a batch is never sent again for the sake of one of its e-mails."""

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from projects import notification_mail

# The database out of reach for a moment: the task is run again, which sends only what is still to send.
DATABASE_BLIPS = (OperationalError, InterfaceError)


def _queue(task: Task) -> str:
    routing_key: str | None = (task.request.delivery_info or {}).get("routing_key")
    return routing_key or str(task.app.conf.task_default_queue)


@shared_task(bind=True, autoretry_for=DATABASE_BLIPS, retry_backoff=True, max_retries=5)
def send_notification_emails(self: Task, notification_ids: list[int]) -> int:
    """E-mail these notifications to members who want them at once; how many went (none twice)."""
    sent = notification_mail.notification_emails_send(notification_ids)
    for notification_id, wait in sent.retry_in.items():
        send_notification_emails.apply_async(([notification_id],), countdown=wait, queue=_queue(self))
    return sent.count


@shared_task(bind=True, autoretry_for=DATABASE_BLIPS, retry_backoff=True, max_retries=5)
def send_notification_digests(self: Task) -> int:
    """The daily digest (beat): how many digests went; run twice, the second sends nothing."""
    sent = notification_mail.digests_send()
    _retry_digests(self, sent)
    return sent.count


@shared_task(bind=True, autoretry_for=DATABASE_BLIPS, retry_backoff=True, max_retries=5)
def send_notification_digest(self: Task, membership_id: int) -> int:
    """One member's digest again, after it failed for now: 1 when it went."""
    sent = notification_mail.digest_send(membership_id)
    _retry_digests(self, sent)
    return sent.count


def _retry_digests(task: Task, sent: notification_mail.Sent) -> None:
    for membership_id, wait in sent.retry_in.items():
        send_notification_digest.apply_async((membership_id,), countdown=wait, queue=_queue(task))


@shared_task(autoretry_for=DATABASE_BLIPS, retry_backoff=True, max_retries=5)
def resend_lost_notification_emails() -> int:
    """Every few minutes (beat): send again the e-mails a stopped worker or a lost task left; how many."""
    lost = notification_mail.lost_emails()
    if lost:
        send_notification_emails.delay(lost)
    return len(lost)
