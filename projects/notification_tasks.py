"""Celery tasks that e-mail notifications (projects.notification_mail). Outside a `tasks` module because
projects.notifications enqueues them, so settings.CELERY_IMPORTS loads this one; the daily reminders, which
write notifications, are in projects.reminder_tasks."""

from celery import shared_task

from projects import notification_mail


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail these notifications to members who want them at once; how many went (none twice)."""
    return notification_mail.notification_emails_send(notification_ids)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def send_notification_digests() -> int:
    """The daily digest (beat): how many digests went; run twice, the second sends nothing."""
    return notification_mail.digests_send()
