"""The e-mails of notifications: one per notification for members who want them at once, and one daily digest
for those who want a digest.

Each e-mail marks what it told of (emailed_at) in the transaction that read those rows under a lock, so a task
run twice, retried after a failure or run by two workers at once never tells the same thing twice. A
notification read in the app before its e-mail goes is not e-mailed.
"""

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from projects.models import Membership
from projects.notification_models import EmailMode, Notification

# A digest tells of the unread notifications of the last day or so; it reaches back at most this far, so a
# member who turns digests on, or a digest missed for a few days, does not bring months of them at once.
DIGEST_REACH = datetime.timedelta(days=7)
DIGEST_ROWS = 50  # listed in one digest; any more are counted, and the notifications page lists them all


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _pending() -> QuerySet[Notification]:
    """Notifications no e-mail told of yet and their reader has not seen, locked against a second sender."""
    return Notification.objects.select_for_update(of=("self",), skip_locked=True).filter(
        emailed_at__isnull=True, read_at__isnull=True
    )


def _send(*, to: str, subject: str, template: str, context: dict[str, object]) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"{template}.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()


def notification_emails_send(notification_ids: Sequence[int]) -> int:
    """E-mail each of these notifications not yet e-mailed nor read to its recipient; how many were sent."""
    with transaction.atomic():
        notifications = list(
            _pending()
            .filter(pk__in=list(notification_ids))
            .select_related("recipient", "organisation", "actor")
            .order_by("pk")
        )
        for notification in notifications:
            slug = notification.organisation.slug
            _send(
                to=notification.recipient.email,
                subject=f"[{notification.organisation.name}] {notification.subject}",
                template="emails/notification",
                context={
                    "notification": notification,
                    "link": _absolute(notification.url),
                    "settings_link": _absolute(reverse("notification_preferences", args=[slug])),
                },
            )
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=timezone.now())
    return len(notifications)


def digests_send(now: datetime.datetime | None = None) -> int:
    """Send each member who chose the daily digest one e-mail of their unread notifications not yet e-mailed
    (of the last DIGEST_REACH at most), in each of their organisations; how many digests were sent. Run again,
    it sends nothing new."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(
        recipient_id=OuterRef("user_id"),
        organisation_id=OuterRef("organisation_id"),
        emailed_at__isnull=True,
        read_at__isnull=True,
        created_at__gte=now - DIGEST_REACH,
        created_at__lte=now,
    )
    members = (
        Membership.objects.filter(notification_preference__email=EmailMode.DIGEST)
        .filter(Exists(waiting))
        .select_related("user", "organisation", "notification_preference")
        .order_by("pk")
    )
    return sum(_digest_send(membership, now) for membership in members)


def _digest_send(membership: Membership, now: datetime.datetime) -> int:
    muted = membership.notification_preference.muted_kinds
    with transaction.atomic():
        notifications = list(
            _pending()
            .filter(
                recipient_id=membership.user_id,
                organisation_id=membership.organisation_id,
                created_at__gte=now - DIGEST_REACH,
                created_at__lte=now,
            )
            .exclude(kind__in=muted)
            .select_related("actor")
            .order_by("created_at", "pk")
        )
        if not notifications:
            return 0
        organisation, count = membership.organisation, len(notifications)
        _send(
            to=membership.user.email,
            subject=f"[{organisation.name}] {count} notification{'s' if count != 1 else ''} you have not read",
            template="emails/notification_digest",
            context={
                "organisation": organisation,
                "rows": [(n, _absolute(n.url)) for n in notifications[:DIGEST_ROWS]],
                "count": count,
                "more": max(0, count - DIGEST_ROWS),
                "list_link": _absolute(reverse("notification_list", args=[organisation.slug])),
                "settings_link": _absolute(reverse("notification_preferences", args=[organisation.slug])),
            },
        )
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=now)
    return 1
