"""The e-mails of notifications: one per notification for members who want them at once, and one daily digest
for those who want a digest.

Each e-mail (a notification's own, or one member's digest) is claimed, sent and marked on its own, and no
transaction is open while the mail server is talked to:

1. claim: a short transaction locks the notifications the e-mail tells of (SELECT ... FOR UPDATE SKIP LOCKED, so
   two workers never take the same one), marks them sending until a lease runs out and counts the attempt;
2. send, outside any transaction;
3. mark them sent (emailed_at), or, when the send failed, failed for good with the reason (email_error), or not
   sent yet, to be tried again after a wait.

A failure that says something about this one e-mail is final for it: an address the mail server refuses for
good (5xx), a message it refuses, or a message that cannot be written (a header Python will not write, a template
that fails). Anything else (no connection, a timeout, the server busy or refusing for now with a 4xx) is tried
again after 1, 2, 4, ... times NOTIFICATION_EMAIL_RETRY_BASE_SECONDS, up to NOTIFICATION_EMAIL_MAX_ATTEMPTS
attempts, and then failed with the last reason. An e-mail failing never stops the others. A notification read in
the app before its e-mail goes is not e-mailed.

Each notification is told of at most once, as far as SMTP allows: only whoever claimed it sends it, and it is marked
sent as soon as the mail server took it. A worker that stops between the two (killed, its machine gone, or its
database unreachable just then) leaves it sending. Once the lease (NOTIFICATION_EMAIL_LEASE_SECONDS, far longer
than a send can take) runs out, the sweeper (lost_emails, every few minutes) puts it back to be sent again: that
one e-mail may then arrive twice. It is at least once for an e-mail cut short like that, and never silently lost.
"""

import datetime
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from projects.models import Membership
from projects.notification_models import EmailMode, EmailStatus, Notification
from projects.one_line import one_line
from projects.retry import doubling_wait

logger = logging.getLogger(__name__)

# A digest tells of the unread notifications of the last day or so; it reaches back at most this far, so a
# member who turns digests on, or a digest missed for a few days, does not bring months of them at once.
DIGEST_REACH = datetime.timedelta(days=7)
DIGEST_ROWS = 50  # listed in one digest; any more are counted, and the notifications page lists them all
# A retry whose task has not run this long after it was due is taken as lost, and sent again by the sweeper.
LOST_AFTER = datetime.timedelta(minutes=5)
ERROR_LIMIT = Notification._meta.get_field("email_error").max_length or 500


@dataclass(frozen=True)
class Sent:
    """What a run did: how many e-mails went, and which to try again after how many seconds (notifications by
    id for their own e-mails, members by membership id for their digests)."""

    count: int = 0
    retry_in: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Claim:
    """Notifications one e-mail tells of, claimed until `lease_until`; `attempt` is this one's number."""

    notifications: list[Notification]
    lease_until: datetime.datetime
    attempt: int

    @property
    def ids(self) -> list[int]:
        return [notification.pk for notification in self.notifications]


@dataclass(frozen=True)
class _Failure:
    reason: str
    again: bool  # worth trying again: nothing in it is about this e-mail


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _max_attempts() -> int:
    return int(settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS)


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first)."""
    return doubling_wait(settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS, attempt)


def _unsent() -> QuerySet[Notification]:
    """Notifications no e-mail told of, that nobody is sending and their reader has not seen."""
    return Notification.objects.filter(
        email_status=EmailStatus.NOT_SENT, emailed_at__isnull=True, read_at__isnull=True
    )


def _claim(rows: QuerySet[Notification]) -> _Claim | None:
    """Lock these rows (those another sender holds are skipped), mark them sending and count the attempt, in a
    transaction of its own: it commits before the e-mail is sent."""
    now = timezone.now()
    lease_until = now + datetime.timedelta(seconds=settings.NOTIFICATION_EMAIL_LEASE_SECONDS)
    with transaction.atomic():
        notifications = list(rows.select_for_update(of=("self",), skip_locked=True))
        if not notifications:
            return None
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
            email_status=EmailStatus.SENDING,
            email_lease_until=lease_until,
            email_attempts=F("email_attempts") + 1,
            email_retry_at=None,
        )
    attempt = max(notification.email_attempts for notification in notifications) + 1
    return _Claim(notifications, lease_until, attempt)


def _send(*, to: str, subject: str, template: str, context: dict[str, object]) -> _Failure | None:
    """Send one e-mail; how it failed, or None when the mail server took it. Never raises for what the mail server
    or the message does. The subject is made one line: it carries names people typed."""
    try:
        message = EmailMultiAlternatives(
            subject=one_line(subject), body=render_to_string(f"{template}.txt", context), to=[to]
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.send()
    except Exception as error:
        failure = _failure(error, to)
        # The traceback of what is not the mail server's doing: a bug to look into.
        logger.warning(
            "A notification e-mail was not sent: %s", failure.reason, exc_info=not isinstance(error, OSError)
        )
        return failure
    return None


def _failure(error: Exception, to: str) -> _Failure:
    """What a failed send says about this e-mail. smtplib's errors are OSErrors: the ones about the recipient or the
    message come first."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = list(error.recipients.values())
        said = "; ".join(f"{code} {_text(reply)}" for code, reply in answers)
        if all(_for_now(code) for code, _ in answers):
            return _Failure(f"The mail server refused {to} for now: {said}", again=True)
        return _Failure(f"The mail server refused the address {to}: {said}", again=False)
    if isinstance(error, smtplib.SMTPDataError) and not _for_now(error.smtp_code):
        return _Failure(
            f"The mail server refused the message: {error.smtp_code} {_text(error.smtp_error)}", again=False
        )
    if isinstance(error, smtplib.SMTPResponseException):  # the sender refused, the log-in, the greeting
        return _Failure(f"The mail server answered {error.smtp_code} {_text(error.smtp_error)}", again=True)
    if isinstance(error, OSError):  # no connection, a timeout, the connection lost
        return _Failure(f"Could not reach the mail server: {error or type(error).__name__}", again=True)
    return _Failure(f"The e-mail could not be written: {error or type(error).__name__}", again=False)


def _for_now(code: int) -> bool:
    """A 4xx answer: the server refuses for now (busy, greylisting) and may take it later."""
    return 400 <= code < 500


def _text(reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return one_line(text)


def _settle(claim: _Claim, failure: _Failure | None) -> float | None:
    """Mark what the claimed e-mail did; the seconds until it is tried again, or None when it is not."""
    now = timezone.now()
    if failure is None:
        # Sent: so marked even if a sweeper took our claim meanwhile, which keeps it from going a second time.
        Notification.objects.filter(pk__in=claim.ids, emailed_at__isnull=True).update(
            email_status=EmailStatus.SENT, emailed_at=now, email_lease_until=None, email_error=""
        )
        return None
    ours = Notification.objects.filter(
        pk__in=claim.ids, email_status=EmailStatus.SENDING, email_lease_until=claim.lease_until
    )
    reason = failure.reason[:ERROR_LIMIT]
    if not failure.again:
        ours.update(email_status=EmailStatus.FAILED, email_lease_until=None, email_error=reason)
        return None
    with transaction.atomic():
        spent = ours.filter(email_attempts__gte=_max_attempts()).update(
            email_status=EmailStatus.FAILED,
            email_lease_until=None,
            email_error=f"Not sent after {_max_attempts()} attempts. {reason}"[:ERROR_LIMIT],
        )
        wait = backoff(claim.attempt)
        waiting = ours.update(
            email_status=EmailStatus.NOT_SENT,
            email_lease_until=None,
            email_retry_at=now + datetime.timedelta(seconds=wait),
            email_error=reason,
        )
    if spent:
        logger.warning("notification e-mail to be given up after %s attempts: %s", _max_attempts(), reason)
    return wait if waiting else None


# One e-mail per notification ---------------------------------------------------------------------------------


def notification_emails_send(notification_ids: Sequence[int]) -> Sent:
    """E-mail each of these notifications not yet e-mailed nor read to its recipient, each on its own, when the
    recipient is still a member who wants e-mails of its kind at once: they may have left the organisation, or
    chosen the digest or no e-mail, since it was queued (a retry waits up to half an hour), and a former member
    is told nothing more of the organisation. How many went, and which to try again when."""
    waiting = _unsent().filter(pk__in=set(notification_ids))
    count, retry_in = 0, {}
    for notification_id in _wanted_at_once(
        list(waiting.values_list("pk", "organisation_id", "recipient_id", "kind"))
    ):
        claim = _claim(
            _unsent().filter(pk=notification_id).select_related("recipient", "organisation", "actor")
        )
        if claim is None:
            continue  # sent, read, failed, being sent, or gone
        [notification] = claim.notifications
        slug = notification.organisation.slug
        failure = _send(
            to=notification.recipient.email,
            subject=f"[{notification.organisation.name}] {notification.subject}",
            template="emails/notification",
            context={
                "notification": notification,
                "link": _absolute(notification.url),
                "settings_link": _absolute(reverse("notification_preferences", args=[slug])),
            },
        )
        wait = _settle(claim, failure)
        if failure is None:
            count += 1
        if wait is not None:
            retry_in[notification_id] = wait
    return Sent(count, retry_in)


# The daily digest ----------------------------------------------------------------------------------------------


def _digest_members(now: datetime.datetime) -> QuerySet[Membership]:
    waiting = _unsent().filter(
        recipient_id=OuterRef("user_id"),
        organisation_id=OuterRef("organisation_id"),
        created_at__gte=now - DIGEST_REACH,
        created_at__lte=now,
    )
    return (
        Membership.objects.filter(notification_preference__email=EmailMode.DIGEST)
        .filter(Exists(waiting))
        .select_related("user", "organisation", "notification_preference")
        .order_by("pk")
    )


def digests_send(now: datetime.datetime | None = None) -> Sent:
    """Send each member who chose the daily digest one e-mail of their unread notifications not yet e-mailed
    (of the last DIGEST_REACH at most), in each of their organisations; how many digests went, and which members'
    to try again when. Run again, it sends nothing new."""
    return _digests(_digest_members(now or timezone.now()), now)


def digest_send(membership_id: int, now: datetime.datetime | None = None) -> Sent:
    """One member's digest, tried again after a failure: nothing if they want no digest now, or it has nothing
    left to tell."""
    return _digests(_digest_members(now or timezone.now()).filter(pk=membership_id), now)


def _digests(members: QuerySet[Membership], now: datetime.datetime | None) -> Sent:
    count, retry_in = 0, {}
    for membership in members:
        sent, wait = _digest_send(membership, now or timezone.now())
        if sent:
            count += 1
        if wait is not None:
            retry_in[membership.pk] = wait
    return Sent(count, retry_in)


def _digest_send(membership: Membership, now: datetime.datetime) -> tuple[bool, float | None]:
    claim = _claim(
        _unsent()
        .filter(
            recipient_id=membership.user_id,
            organisation_id=membership.organisation_id,
            created_at__gte=now - DIGEST_REACH,
            created_at__lte=now,
        )
        .exclude(kind__in=membership.notification_preference.muted_kinds)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    if claim is None:
        return False, None
    organisation, count = membership.organisation, len(claim.notifications)
    failure = _send(
        to=membership.user.email,
        subject=f"[{organisation.name}] {count} notification{'s' if count != 1 else ''} you have not read",
        template="emails/notification_digest",
        context={
            "organisation": organisation,
            "rows": [(n, _absolute(n.url)) for n in claim.notifications[:DIGEST_ROWS]],
            "count": count,
            "more": max(0, count - DIGEST_ROWS),
            "list_link": _absolute(reverse("notification_list", args=[organisation.slug])),
            "settings_link": _absolute(reverse("notification_preferences", args=[organisation.slug])),
        },
    )
    return failure is None, _settle(claim, failure)


# What a stopped worker or a lost task left -------------------------------------------------------------------


def lost_emails(now: datetime.datetime | None = None) -> list[int]:
    """Put back the e-mails whose sender's lease ran out (its worker stopped mid-send, so it may have gone) and
    answer the notifications to e-mail at once again: those, and those whose retry is overdue by LOST_AFTER (its
    task was lost), of members who still want them at once. A digest's notifications put back go in the member's
    next digest. An e-mail cut short on its last attempt is failed instead."""
    now = now or timezone.now()
    cut_short = Notification.objects.filter(email_status=EmailStatus.SENDING, email_lease_until__lt=now)
    cut_short.filter(email_attempts__gte=_max_attempts()).update(
        email_status=EmailStatus.FAILED,
        email_lease_until=None,
        email_error="Stopped: the last attempt was cut short (its worker stopped), so it may have been sent.",
    )
    put_back = list(cut_short.values_list("pk", flat=True))
    cut_short.filter(pk__in=put_back).update(
        email_status=EmailStatus.NOT_SENT,
        email_lease_until=None,
        email_retry_at=now,
        email_error="An attempt was cut short (its worker stopped): it may have been sent, and is sent again.",
    )
    overdue = _unsent().filter(email_attempts__gt=0, email_retry_at__lt=now - LOST_AFTER)
    candidates = _unsent().filter(pk__in=put_back) | overdue
    return _wanted_at_once(list(candidates.values_list("pk", "organisation_id", "recipient_id", "kind")))


type Preference = tuple[str, list[str]]  # (e-mail mode, muted kinds)


def email_preferences(members: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Preference]:
    """Each (organisation, user) that is a membership, with its e-mail mode (at once when never chosen) and the
    kinds it muted: one query. Whoever is missing is no member."""
    pairs = list(members)
    return {
        (organisation_id, user_id): (email or EmailMode.IMMEDIATE, muted or [])
        for organisation_id, user_id, email, muted in Membership.objects.filter(
            organisation_id__in={pair[0] for pair in pairs}, user_id__in={pair[1] for pair in pairs}
        )
        .order_by()
        .values_list(
            "organisation_id",
            "user_id",
            F("notification_preference__email"),
            F("notification_preference__muted_kinds"),
        )
    }


def wanted_at_once(preference: Preference, kind: str) -> bool:
    email, muted = preference
    return email == EmailMode.IMMEDIATE and kind not in muted


def _wanted_at_once(rows: list[tuple[int, int, int, str]]) -> list[int]:
    """The notifications, of these, whose recipient wants e-mails of their kind at once: one query."""
    preferences = email_preferences((organisation_id, user_id) for _, organisation_id, user_id, _ in rows)
    return sorted(
        pk
        for pk, organisation_id, recipient_id, kind in rows
        if wanted_at_once(preferences.get((organisation_id, recipient_id), (EmailMode.OFF, [])), kind)
    )
