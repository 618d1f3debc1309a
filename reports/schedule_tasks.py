"""Beat's monthly reports (reports.services.scheduled_reports_request), in a module of their own: the service
enqueues reports.tasks, so the task that calls it cannot live there (settings.CELERY_IMPORTS loads this one)."""

from celery import shared_task
from django.utils import timezone

from reports import services


@shared_task
def request_scheduled_reports() -> int:
    """Ask for this month's report of every active schedule that has not had it; how many were asked for."""
    return services.scheduled_reports_request(timezone.localdate())
