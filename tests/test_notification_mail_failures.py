"""Notification e-mails that fail (projects.notification_mail), in-process: each e-mail is claimed, sent and marked on
its own, so an address refused for good fails its notification alone and is never tried again, a failure for now is
tried again for that e-mail alone until the last attempt, and what a stopped worker or a lost retry left is found by
the sweeper. Names with line breaks reach subjects on one line. The same through a real worker is in
tests/test_notification_worker.py.

The failing backends are tests/mail_backends.py's, chosen with settings.MAILERS."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from projects import notification_mail, notifications
from projects.models import Organisation, User
from projects.notification_mail import Sent
from projects.notification_models import EmailMode, EmailStatus, Notification, NotificationKind
from tests.conftest import Cast
from tests.mail_backends import FlakyBackend, RefusingBackend
from tests.queries import count_queries

SECOND = datetime.timedelta(seconds=1)
REFUSED = (
    "The mail server refused the address viewer@acme.test: 550 5.1.1 <viewer@acme.test>: Recipient address "
    "rejected: User unknown"
)
LOST_CONNECTION = "Could not reach the mail server: Connection unexpectedly closed"


@pytest.fixture
def refusing_mail(settings: Any) -> Iterator[type[RefusingBackend]]:
    """The mail server refuses the addresses the test adds to `refused`, and takes the others."""
    settings.MAILERS = {"default": {"BACKEND": "tests.mail_backends.RefusingBackend"}}
    RefusingBackend.refused.clear()
    yield RefusingBackend
    RefusingBackend.refused.clear()


@pytest.fixture
def flaky_mail(settings: Any) -> Iterator[type[FlakyBackend]]:
    """The first sends to the addresses in `failing` lose the connection; the rest go."""
    settings.MAILERS = {"default": {"BACKEND": "tests.mail_backends.FlakyBackend"}}
    FlakyBackend.failing.clear()
    FlakyBackend.tries.clear()
    yield FlakyBackend
    FlakyBackend.failing.clear()
    FlakyBackend.tries.clear()


def tell(cast: Cast, *recipients: User, subject: str = "Ann mentioned you on T-3") -> list[int]:
    notifications.notify(
        organisation=cast.organisation,
        recipients=recipients,
        kind=NotificationKind.MENTION,
        actor=None,
        subject=subject,
        url="/o/acme/my-work/",
    )
    return list(Notification.objects.order_by("pk").values_list("pk", flat=True))


def of(user: User) -> Notification:
    return Notification.objects.get(recipient=user)


def prefer(cast: Cast, user: User, email: str) -> None:
    notifications.preference_update(membership=cast.membership(user), email=email)


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


# One e-mail per notification ---------------------------------------------------------------------------------


def test_an_address_refused_for_good_fails_its_notification_alone_and_is_not_tried_again(
    cast: Cast, refusing_mail: type[RefusingBackend]
) -> None:
    refusing_mail.refused.add("viewer@acme.test")
    ids = tell(cast, cast.engineer, cast.viewer, cast.security_lead)

    assert notification_mail.notification_emails_send(ids) == Sent(2, {})

    assert recipients() == ["engineer@acme.test", "lead@acme.test"]
    refused = of(cast.viewer)
    assert (refused.email_status, refused.email_attempts, refused.emailed_at) == (EmailStatus.FAILED, 1, None)
    assert refused.email_error == REFUSED
    assert (of(cast.engineer).email_status, of(cast.engineer).email_error) == (EmailStatus.SENT, "")
    assert notification_mail.notification_emails_send(ids) == Sent(0, {})
    assert notification_mail.lost_emails() == []
    assert len(mail.outbox) == 2


def test_a_failure_for_now_is_tried_again_for_that_email_alone_and_given_up_after_the_last_attempt(
    cast: Cast, flaky_mail: type[FlakyBackend], settings: Any
) -> None:
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = 60
    flaky_mail.failing.update({"viewer@acme.test": 2, "engineer@acme.test": 9})
    tell(cast, cast.viewer, cast.engineer, cast.security_lead)
    viewer, engineer = of(cast.viewer).pk, of(cast.engineer).pk
    before = timezone.now()

    first = notification_mail.notification_emails_send([viewer, engineer, of(cast.security_lead).pk])

    assert first == Sent(1, {viewer: 60.0, engineer: 60.0})
    waiting = of(cast.viewer)
    assert (waiting.email_status, waiting.email_attempts, waiting.email_error) == (
        EmailStatus.NOT_SENT,
        1,
        LOST_CONNECTION,
    )
    assert waiting.email_retry_at is not None
    assert waiting.email_retry_at >= before + datetime.timedelta(seconds=60)
    assert notification_mail.notification_emails_send([viewer, engineer]) == Sent(
        0, {viewer: 120.0, engineer: 120.0}
    )
    assert notification_mail.notification_emails_send([viewer, engineer]) == Sent(1, {})

    assert recipients() == ["lead@acme.test", "viewer@acme.test"]
    sent = of(cast.viewer)
    assert (sent.email_status, sent.email_attempts, sent.email_error, sent.email_retry_at) == (
        EmailStatus.SENT,
        3,
        "",
        None,
    )
    given_up = of(cast.engineer)
    assert (given_up.email_status, given_up.email_attempts) == (EmailStatus.FAILED, 3)
    assert given_up.email_error == f"Not sent after 3 attempts. {LOST_CONNECTION}"
    assert flaky_mail.tries == {"viewer@acme.test": 3, "engineer@acme.test": 3, "lead@acme.test": 1}


def test_an_address_that_cannot_be_written_fails_its_notification_alone(cast: Cast) -> None:
    User.objects.filter(pk=cast.viewer.pk).update(email="viewer@acme.test\nBcc: victim@x.test")
    ids = tell(cast, cast.viewer, cast.engineer)

    assert notification_mail.notification_emails_send(ids) == Sent(1, {})

    assert recipients() == ["engineer@acme.test"]
    failed = of(cast.viewer)
    assert failed.email_status == EmailStatus.FAILED
    assert failed.email_error == (
        "The e-mail could not be written: Header values may not contain linefeed or carriage return characters"
    )


def test_an_organisation_named_over_two_lines_before_names_were_checked_still_gets_its_email(
    cast: Cast,
) -> None:
    Organisation.objects.filter(pk=cast.organisation.pk).update(name="Acme\x85Pay\r\nBcc: victim@x.test")
    ids = tell(cast, cast.viewer, subject="Ann\x07 mentioned you on T-3")

    assert notification_mail.notification_emails_send(ids) == Sent(1, {})

    [message] = mail.outbox
    assert message.subject == "[Acme Pay Bcc: victim@x.test] Ann mentioned you on T-3"
    assert message.bcc == []
    assert "Bcc" not in message.message()


def test_a_digest_subject_is_one_line_too(cast: Cast) -> None:
    Organisation.objects.filter(pk=cast.organisation.pk).update(name="Acme\nPay\tments")
    prefer(cast, cast.viewer, EmailMode.DIGEST)
    tell(cast, cast.viewer)

    assert notification_mail.digests_send() == Sent(1, {})
    assert mail.outbox[0].subject == "[Acme Pay ments] 1 notification you have not read"


def test_an_email_being_sent_by_another_worker_is_left_to_it(cast: Cast) -> None:
    ids = tell(cast, cast.viewer)
    Notification.objects.update(
        email_status=EmailStatus.SENDING, email_lease_until=timezone.now() + 60 * SECOND, email_attempts=1
    )

    assert notification_mail.notification_emails_send(ids) == Sent(0, {})
    assert notification_mail.lost_emails() == []
    assert mail.outbox == []


# The daily digest ------------------------------------------------------------------------------------------------


def test_a_digest_refused_for_one_member_fails_theirs_and_the_others_get_theirs(
    cast: Cast, refusing_mail: type[RefusingBackend]
) -> None:
    refusing_mail.refused.add("viewer@acme.test")
    prefer(cast, cast.viewer, EmailMode.DIGEST)
    prefer(cast, cast.engineer, EmailMode.DIGEST)
    tell(cast, cast.viewer, cast.engineer)

    assert notification_mail.digests_send() == Sent(1, {})

    assert recipients() == ["engineer@acme.test"]
    assert (of(cast.viewer).email_status, of(cast.viewer).email_error) == (EmailStatus.FAILED, REFUSED)
    assert of(cast.engineer).email_status == EmailStatus.SENT
    assert notification_mail.digests_send() == Sent(0, {})
    assert len(mail.outbox) == 1


def test_a_digest_failing_for_now_is_tried_again_for_that_member_alone(
    cast: Cast, flaky_mail: type[FlakyBackend], settings: Any
) -> None:
    settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = 60
    flaky_mail.failing["viewer@acme.test"] = 1
    prefer(cast, cast.viewer, EmailMode.DIGEST)
    prefer(cast, cast.engineer, EmailMode.DIGEST)
    tell(cast, cast.viewer, cast.engineer)
    viewer = cast.membership(cast.viewer)

    assert notification_mail.digests_send() == Sent(1, {viewer.pk: 60.0})
    assert notification_mail.digest_send(cast.membership(cast.engineer).pk) == Sent(0, {})
    assert notification_mail.digest_send(viewer.pk) == Sent(1, {})
    assert notification_mail.digest_send(viewer.pk) == Sent(0, {})

    assert recipients() == ["engineer@acme.test", "viewer@acme.test"]
    assert (of(cast.viewer).email_status, of(cast.viewer).email_attempts) == (EmailStatus.SENT, 2)


# What a stopped worker or a lost retry left -----------------------------------------------------------------------


def test_an_email_cut_short_is_sent_again_once_its_lease_ran_out_and_a_digests_goes_in_the_next_digest(
    cast: Cast,
) -> None:
    prefer(cast, cast.engineer, EmailMode.DIGEST)
    prefer(cast, cast.security_lead, EmailMode.OFF)
    tell(cast, cast.viewer, cast.engineer, cast.security_lead)
    Notification.objects.update(
        email_status=EmailStatus.SENDING, email_lease_until=timezone.now() - SECOND, email_attempts=1
    )

    lost = notification_mail.lost_emails()

    assert lost == [of(cast.viewer).pk]
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.NOT_SENT}
    assert of(cast.viewer).email_error == (
        "An attempt was cut short (its worker stopped): it may have been sent, and is sent again."
    )
    assert notification_mail.notification_emails_send(lost) == Sent(1, {})
    assert notification_mail.digests_send() == Sent(1, {})
    assert recipients() == ["engineer@acme.test", "viewer@acme.test"]
    assert (of(cast.viewer).email_status, of(cast.viewer).email_attempts) == (EmailStatus.SENT, 2)
    assert notification_mail.lost_emails() == []


def test_a_last_attempt_cut_short_is_given_up(cast: Cast, settings: Any) -> None:
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 2
    tell(cast, cast.viewer)
    Notification.objects.update(
        email_status=EmailStatus.SENDING, email_lease_until=timezone.now() - SECOND, email_attempts=2
    )

    assert notification_mail.lost_emails() == []
    failed = of(cast.viewer)
    assert failed.email_status == EmailStatus.FAILED
    assert failed.email_error.startswith("Stopped: the last attempt was cut short")


def test_a_retry_whose_task_was_lost_is_sent_again_once_overdue(cast: Cast) -> None:
    prefer(cast, cast.engineer, EmailMode.OFF)
    tell(cast, cast.viewer, cast.engineer, cast.security_lead)
    now = timezone.now()
    Notification.objects.update(
        email_attempts=1, email_retry_at=now - notification_mail.LOST_AFTER - SECOND, email_error="x"
    )
    Notification.objects.filter(recipient=cast.security_lead).update(email_retry_at=now - SECOND)

    assert notification_mail.lost_emails(now) == [of(cast.viewer).pk]


def test_the_sweeper_reads_the_same_queries_for_one_lost_email_or_many(cast: Cast) -> None:
    tell(cast, cast.viewer)

    def cut_short() -> None:
        Notification.objects.update(
            email_status=EmailStatus.SENDING, email_lease_until=timezone.now() - SECOND, email_attempts=1
        )

    cut_short()
    one = count_queries(notification_mail.lost_emails)
    tell(cast, cast.engineer, cast.security_lead, cast.owner)
    cut_short()
    assert count_queries(notification_mail.lost_emails) == one
