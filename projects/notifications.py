"""Telling members about things: notify() writes one notification per recipient and e-mails them as they like.

Callers (comments, reviews, assignments, risk acceptances, the daily reminders) call notify() inside their own
transaction: the rows are written with the change (and vanish with it if it rolls back), and the e-mails of the
members who want them at once are enqueued only when the transaction commits (projects.notification_tasks).

Besides notify(), this module holds the reads and writes of a member's own notifications and e-mail preference,
and the messages of the product's own events (an owner assigned, threats sent for review, an acceptance requested
or decided), so that a service that makes one of those changes adds a single call.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Now
from django.http import Http404
from django.urls import reverse

from projects.models import Membership, Organisation, Project, Threat, User
from projects.notification_mail import email_preferences, wanted_at_once
from projects.notification_models import EmailMode, Notification, NotificationKind, NotificationPreference
from projects.notification_tasks import send_notification_emails
from projects.one_line import one_line
from projects.roles import ROLE_PERMISSIONS, Permission, Role

SUBJECT_LIMIT = Notification._meta.get_field("subject").max_length or 300
URL_LIMIT = Notification._meta.get_field("url").max_length or 500


@dataclass(frozen=True)
class Notice:
    """One notification to write: to whom, in which organisation, about what."""

    organisation_id: int
    recipient_id: int
    kind: str
    subject: str
    url: str
    actor: User | None = None
    target: models.Model | None = None


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
    sent by a Celery task enqueued on commit. Recipients who are not members of the organisation are skipped.
    """
    user_ids = {user.pk for user in recipients if user is not None and user.pk is not None}
    if actor is not None:
        user_ids.discard(actor.pk)
    notify_each(
        [
            Notice(organisation.pk, user_id, kind, subject, url, actor=actor, target=target)
            for user_id in sorted(user_ids)
        ]
    )


def notify_each(notices: Sequence[Notice]) -> list[Notification]:
    """Write many notices at once, across organisations (the daily reminders): one query, one insert.

    A notice to someone who is not a member of its organisation is dropped. Answers the rows written."""
    for notice in notices:
        _check(notice)
    if not notices:
        return []
    members = email_preferences((notice.organisation_id, notice.recipient_id) for notice in notices)
    rows: list[Notification] = []
    at_once: list[bool] = []
    for notice in notices:
        preference = members.get((notice.organisation_id, notice.recipient_id))
        if preference is None:
            continue
        rows.append(
            Notification(
                organisation_id=notice.organisation_id,
                recipient_id=notice.recipient_id,
                kind=notice.kind,
                actor=notice.actor,
                subject=_subject(notice.subject),
                url=notice.url,
                target_type=notice.target._meta.label_lower if notice.target is not None else "",
                target_id=notice.target.pk if notice.target is not None else None,
            )
        )
        at_once.append(wanted_at_once(preference, notice.kind))
    if not rows:
        return []
    Notification.objects.bulk_create(rows)
    to_send = [row.pk for row, send in zip(rows, at_once, strict=True) if send]
    if to_send:
        send_notification_emails.delay_on_commit(to_send)  # type: ignore[attr-defined]  # Celery 5.4+
    return rows


def _check(notice: Notice) -> None:
    """A caller's mistake, not a person's: refused loudly so it is found by the caller's tests."""
    if notice.kind not in NotificationKind.values:
        raise ValueError(
            f"Unknown notification kind {notice.kind!r}: use one of {', '.join(NotificationKind.values)}."
        )
    url = notice.url
    # A path of this site only: opening a notification redirects to it, so it must not lead elsewhere.
    if (
        not url.startswith("/")
        or url.startswith("//")
        or "\\" in url
        or not url.isprintable()
        or len(url) > URL_LIMIT
    ):
        raise ValueError(
            f"A notification's url must be a site-relative path of at most {URL_LIMIT} characters."
        )


def _subject(text: str) -> str:
    subject = one_line(text)
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 1] + "…"


# A member's own notifications ------------------------------------------------------------------------------


def notifications_of(membership: Membership, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The member's notifications in this organisation (or only the unread ones), unread first, newest first
    within each."""
    rows = Notification.objects.filter(
        recipient_id=membership.user_id, organisation_id=membership.organisation_id
    )
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("actor").order_by(_read_last(), "-created_at", "-pk")


def _read_last() -> models.OrderBy:
    return models.ExpressionWrapper(Q(read_at__isnull=False), output_field=models.BooleanField()).asc()


def unread_count(membership: Membership) -> int:
    """One COUNT over the partial index of unread notifications."""
    return Notification.objects.filter(
        recipient_id=membership.user_id, organisation_id=membership.organisation_id, read_at__isnull=True
    ).count()


def notification_of(membership: Membership, notification_id: int) -> Notification:
    """One of the member's own notifications, or 404 (anyone else's, in any organisation, is not found)."""
    found = notifications_of(membership).filter(pk=notification_id).first()
    if found is None:
        raise Http404("No such notification.")
    return found


def notifications_mark_read(*, membership: Membership, ids: Iterable[int] | None = None) -> int:
    """Mark the member's unread notifications read: those named, or every one (ids None). Answers how many;
    ids of anyone else's notifications are ignored."""
    unread = Notification.objects.filter(
        recipient_id=membership.user_id, organisation_id=membership.organisation_id, read_at__isnull=True
    )
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=Now())


def notification_open(*, membership: Membership, notification_id: int) -> Notification:
    """The member follows a notification: it is read from now on. Answers it, for its url."""
    notification = notification_of(membership, notification_id)
    if notification.read_at is None:
        notifications_mark_read(membership=membership, ids=[notification.pk])
    return notification


def preference_of(membership: Membership) -> NotificationPreference:
    """The member's e-mail preference; the defaults (unsaved) when they never chose."""
    found = NotificationPreference.objects.filter(membership=membership).first()
    return found or NotificationPreference(membership=membership)


def preference_update(
    *, membership: Membership, email: str, muted_kinds: Iterable[str] = ()
) -> NotificationPreference:
    """Set how the member is e-mailed in this organisation: at once, in a daily digest or never, and which kinds
    are never e-mailed (they still appear in the app)."""
    muted = sorted(set(muted_kinds))
    errors = {}
    if email not in EmailMode.values:
        errors["email"] = f"Choose one of: {', '.join(str(label) for label in EmailMode.labels)}."
    unknown = [kind for kind in muted if kind not in NotificationKind.values]
    if unknown:
        errors["muted_kinds"] = f"{', '.join(unknown)} is not a kind of notification."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.update_or_create(
            membership=membership, defaults={"email": email, "muted_kinds": muted}
        )
    return preference


# The product's own events ----------------------------------------------------------------------------------


def owner_assigned(*, membership: Membership, obj: Any, previous_owner_id: int | None) -> None:
    """Tell the new owner of a threat, control or business risk that it is theirs now (not whoever made
    themself its owner, and nobody when the owner did not change)."""
    if obj.owner_id is None or obj.owner_id == previous_owner_id:
        return
    slug, who = membership.organisation.slug, membership.user.display_name
    label = obj._meta.label_lower
    if label == "projects.threat":
        what = f"{obj.reference} in {obj.project.name}"
        url = reverse("threat_detail", args=[slug, obj.project_id, obj.number])
    elif label == "projects.control":
        what = f"the control “{obj.title}” in {obj.project.name}"
        url = reverse("control_detail", args=[slug, obj.project_id, obj.pk])
    elif label == "risks.businessrisk":
        what = f"the business risk {obj.reference} “{obj.title}”"
        url = reverse("risk_detail", args=[slug, obj.number])
    else:
        raise ValueError(f"{label} has no owner to tell.")
    notify(
        organisation=membership.organisation,
        recipients=[obj.owner],
        kind=NotificationKind.ASSIGNMENT,
        actor=membership.user,
        subject=f"{who} made you the owner of {what}",
        url=url,
        target=obj,
    )


def review_deciders(organisation_id: int) -> QuerySet[User]:
    """The members of the organisation who decide reviews (the role table's DECIDE_THREAT_REVIEW)."""
    roles = [role for role, allowed in ROLE_PERMISSIONS.items() if Permission.DECIDE_THREAT_REVIEW in allowed]
    return User.objects.filter(memberships__organisation=organisation_id, memberships__role__in=roles)


def threats_sent_for_review(*, membership: Membership, project: Project, threats: Sequence[Threat]) -> None:
    """Tell the members who decide reviews that threats of the project went into review in one change (logged,
    edited, set in bulk or imported): one notification each, whatever the number of threats. One threat leads
    to its page; several to the review queue narrowed to the project. Nothing when no threat went into review."""
    if not threats:
        return
    slug, who = membership.organisation.slug, membership.user.display_name
    target: Threat | Project
    if len(threats) == 1:
        target = threats[0]
        what = target.reference
        url = reverse("threat_detail", args=[slug, project.pk, target.number])
    else:
        target = project
        what = f"{len(threats)} threats"
        url = reverse("review_queue", args=[slug]) + f"?project={project.pk}"
    notify(
        organisation=membership.organisation,
        recipients=review_deciders(membership.organisation_id),
        kind=NotificationKind.THREAT_REVIEW_REQUESTED,
        actor=membership.user,
        subject=f"{who} asks for a review of {what} in {project.name}",
        url=url,
        target=target,
    )


def _acceptance_url(membership: Membership, risk: Any) -> str:
    """The risk's Acceptance section, where the request is decided and the decision reads: the section sits
    far down the risk's page."""
    return reverse("risk_detail", args=[membership.organisation.slug, risk.number]) + "#acceptance"


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def acceptance_requested(*, membership: Membership, acceptance: Any) -> None:
    """Tell the risk's owner that an acceptance waits for their decision."""
    risk = acceptance.risk
    notify(
        organisation=membership.organisation,
        recipients=[risk.owner],
        kind=NotificationKind.ACCEPTANCE_REQUESTED,
        actor=membership.user,
        subject=f"{membership.user.display_name} asks you to accept {risk.reference} “{risk.title}” "
        f"until {_day(acceptance.expires_on)}",
        url=_acceptance_url(membership, risk),
        target=acceptance,
    )


def acceptance_decided(*, membership: Membership, acceptance: Any) -> None:
    """Tell whoever asked for an acceptance what the owner decided."""
    if acceptance.requested_by_id is None:
        return
    risk = acceptance.risk
    verb = acceptance.get_status_display().lower()  # approved, declined
    notify(
        organisation=membership.organisation,
        recipients=[acceptance.requested_by],
        kind=NotificationKind.ACCEPTANCE_DECIDED,
        actor=membership.user,
        subject=f"{membership.user.display_name} {verb} your request to accept {risk.reference} “{risk.title}”",
        url=_acceptance_url(membership, risk),
        target=acceptance,
    )


def webhook_failing(*, endpoint: Any) -> None:
    """Tell the organisation's owners that a webhook endpoint is marked failing: nothing more is sent to it until
    one of them enables it again. Its caller, the attempt that marks it, calls this once a failing spell."""
    organisation = endpoint.organisation
    owners = Membership.objects.filter(organisation=organisation, role=Role.OWNER).values_list(
        "user_id", flat=True
    )
    subject = (
        f"The webhook endpoint {endpoint} is marked failing after {endpoint.failure_count} failed attempts in a "
        "row: nothing is sent to it until an owner enables it again"
    )
    url = reverse("webhook_detail", args=[organisation.slug, endpoint.pk])
    notify_each(
        [
            Notice(organisation.pk, user_id, NotificationKind.WEBHOOK_FAILING, subject, url, target=endpoint)
            for user_id in sorted(owners)
        ]
    )
