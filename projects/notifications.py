"""Telling members about things: notify() writes one notification per recipient and e-mails them as they like.

Callers (comments, reviews, assignments, risk acceptances, the daily reminders) call notify() inside their own
transaction: the rows are written with the change (and vanish with it if it rolls back), and the e-mails of the
members who want them at once are enqueued only when the transaction commits.
"""

from collections.abc import Iterable

from django.db import models
from django.db.models import F

from projects.models import Membership, Organisation, User
from projects.notification_models import EmailMode, Notification, NotificationKind

SUBJECT_LIMIT = Notification._meta.get_field("subject").max_length or 300
URL_LIMIT = Notification._meta.get_field("url").max_length or 500


def notify(
    *,
    organisation: Organisation,
    recipients: Iterable[User],
    kind: str,
    actor: User | None,
    subject: str,
    url: str,
    target: models.Model | None = None,
) -> None:
    """Tell each recipient who is a member of the organisation, except the actor, about something.

    `url` is the site-relative address of the thing ("/o/acme/..."); e-mails prefix the site's address. One query
    reads the recipients' memberships and preferences, one bulk insert writes the rows; the immediate e-mails are
    sent by a Celery task enqueued on commit.
    """
    if kind not in NotificationKind.values:
        raise ValueError(
            f"Unknown notification kind {kind!r}: use one of {', '.join(NotificationKind.values)}."
        )
    if not url.startswith("/") or url.startswith("//") or len(url) > URL_LIMIT:
        raise ValueError(
            f"A notification's url must be a site-relative path of at most {URL_LIMIT} characters."
        )
    user_ids = {user.pk for user in recipients if user is not None and user.pk is not None}
    if actor is not None:
        user_ids.discard(actor.pk)
    if not user_ids:
        return
    members = (
        Membership.objects.filter(organisation=organisation, user_id__in=user_ids)
        .values_list(
            "user_id", F("notification_preference__email"), F("notification_preference__muted_kinds")
        )
        .order_by("user_id")
    )
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1] + "…"
    target_type = target._meta.label_lower if target is not None else ""
    target_id = target.pk if target is not None else None
    rows: list[Notification] = []
    immediate: list[bool] = []
    for user_id, email, muted in members:
        rows.append(
            Notification(
                organisation=organisation,
                recipient_id=user_id,
                kind=kind,
                actor=actor,
                subject=subject,
                url=url,
                target_type=target_type,
                target_id=target_id,
            )
        )
        mode = EmailMode.OFF if kind in (muted or ()) else EmailMode(email or EmailMode.IMMEDIATE)
        immediate.append(mode == EmailMode.IMMEDIATE)
    if not rows:
        return
    Notification.objects.bulk_create(rows)
    to_send = [row.pk for row, now in zip(rows, immediate, strict=True) if now]
    if to_send:
        from projects.notification_tasks import send_notification_emails

        send_notification_emails.delay_on_commit(to_send)  # type: ignore[attr-defined]  # Celery 5.4+
