"""The daily reminders' task (projects.notification_reminders), in a module of its own: the reminders write
notifications, whose module enqueues projects.notification_tasks, so this task cannot live there
(settings.CELERY_IMPORTS loads this one)."""

from celery import shared_task

from projects import notification_reminders


@shared_task
def send_daily_reminders() -> int:
    """Remind owners of overdue controls and of acceptances running out (beat, daily); how many were written.
    Run twice the same day, the second writes nothing."""
    return notification_reminders.reminders_send()
