"""E-mails of notifications: at once for those who want them so, and a daily digest for the others.

Each e-mail marks what it told of (emailed_at) in the same transaction that read the rows under lock, so a task
run twice, or retried after a failure, never tells the same thing twice.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from projects.notification_models import Notification


def _absolute(url: str) -> str:
    return settings.SITE_URL + url


@shared_task(autoretry_for=(ConnectionError, TimeoutError, OSError), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each of these notifications not yet e-mailed nor read to its recipient; how many were sent."""
    sent = 0
    with transaction.atomic():
        notifications = list(
            Notification.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("recipient", "organisation", "actor")
            .filter(pk__in=notification_ids, emailed_at__isnull=True, read_at__isnull=True)
            .order_by("pk")
        )
        for notification in notifications:
            context = {"notification": notification, "link": _absolute(notification.url)}
            message = EmailMultiAlternatives(
                subject=f"[{notification.organisation.name}] {notification.subject}",
                body=render_to_string("emails/notification.txt", context),
                to=[notification.recipient.email],
            )
            message.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
            message.send()
            sent += 1
        if notifications:
            Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
                emailed_at=timezone.now()
            )
    return sent
