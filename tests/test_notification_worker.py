"""Notification e-mails through a real Celery worker and the real broker, into Django's locmem outbox (the worker
runs in a thread of this process, as in tests/test_worker.py): an assignment's e-mail arrives at once with its
subject and a link back to the threat; the daily digest and the daily reminders run as beat would run them.

E-mails that fail go through tests/mail_backends.py's backends, chosen with settings.MAILERS, which the worker's
thread reads too: an address refused for good fails its notification alone while the others go once; a failure
for now is tried again after its wait, for that e-mail alone, up to the last attempt; an e-mail a stopped worker
left sending is sent again by the sweeper."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from projects import notifications, workspace_services
from projects.models import ThreatStatus, User
from projects.notification_models import EmailMode, EmailStatus, Notification, NotificationKind
from projects.notification_tasks import resend_lost_notification_emails, send_notification_digests
from projects.reminder_tasks import send_daily_reminders
from projects.workspace_selectors import Seen
from tests import test_notification_mail_failures, test_worker
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatFactory
from tests.mail_backends import FlakyBackend, RefusingBackend
from tests.test_notification_mail_failures import LOST_CONNECTION, REFUSED, recipients
from tests.test_notifications import html_of_mail
from tests.test_worker import TASK_TIMEOUT_SECONDS, eventually

pytestmark = pytest.mark.worker

own_queue, worker = test_worker.own_queue, test_worker.worker  # their fixtures, shared
refusing_mail, flaky_mail = (
    test_notification_mail_failures.refusing_mail,
    test_notification_mail_failures.flaky_mail,
)

SITE = "https://threats.example.test"


def test_the_new_owner_of_a_threat_gets_an_email_with_a_link_to_it(
    worker: None, cast: Cast, settings: object
) -> None:
    settings.SITE_URL = SITE  # type: ignore[attr-defined]
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    threat = ThreatFactory.create(project=project)

    workspace_services.threat_update(
        membership=cast.membership(cast.engineer), threat=threat, version=threat.version, owner=cast.viewer
    )

    message = eventually(lambda: next((m for m in mail.outbox if m.to == ["viewer@acme.test"]), None))
    assert (
        message.subject
        == f"[Acme Payments] {cast.engineer} made you the owner of T-{threat.number} in Checkout"
    )
    link = SITE + reverse("threat_detail", args=["acme", project.pk, threat.number])
    assert link in message.body
    assert f'href="{link}"' in html_of_mail(message)
    assert eventually(
        lambda: Notification.objects.filter(recipient=cast.viewer, emailed_at__isnull=False).first()
    )
    assert len(mail.outbox) == 1


def test_a_threat_sent_for_review_is_emailed_at_once_to_the_lead_who_wants_it(
    worker: None, cast: Cast, settings: object
) -> None:
    settings.SITE_URL = SITE  # type: ignore[attr-defined]
    notifications.preference_update(membership=cast.membership(cast.owner), email=EmailMode.DIGEST)
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    threat = ThreatFactory.create(project=project)

    workspace_services.threats_set_status(
        membership=cast.membership(cast.engineer),
        project=project,
        seen=[Seen(threat, threat.version)],
        status=ThreatStatus.IN_REVIEW,
    )

    message = eventually(lambda: next(iter(mail.outbox), None))
    assert message.to == ["lead@acme.test"]
    assert (
        message.subject
        == f"[Acme Payments] {cast.engineer} asks for a review of T-{threat.number} in Checkout"
    )
    link = SITE + reverse("threat_detail", args=["acme", project.pk, threat.number])
    assert f'href="{link}"' in html_of_mail(message)
    assert eventually(
        lambda: Notification.objects.filter(recipient=cast.security_lead, emailed_at__isnull=False).first()
    )
    # The owner chose the daily digest: told in the app, e-mailed later.
    assert Notification.objects.get(recipient=cast.owner).emailed_at is None
    assert len(mail.outbox) == 1


def test_the_digest_goes_once_through_the_worker(worker: None, cast: Cast) -> None:
    notifications.preference_update(membership=cast.membership(cast.viewer), email=EmailMode.DIGEST)
    notifications.notify(
        organisation=cast.organisation,
        recipients=[cast.viewer],
        kind="mention",
        actor=cast.owner,
        subject="owner@acme.test mentioned you on T-3",
        url="/o/acme/my-work/",
    )

    assert send_notification_digests.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 1
    assert send_notification_digests.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 0
    [digest] = mail.outbox
    assert digest.subject == "[Acme Payments] 1 notification you have not read"
    assert "owner@acme.test mentioned you on T-3" in digest.body


def test_the_daily_reminders_write_and_email_once(worker: None, cast: Cast) -> None:
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    ControlFactory.create(
        project=project,
        title="Rotate keys",
        owner=cast.engineer,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )

    assert send_daily_reminders.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 1
    message = eventually(lambda: next(iter(mail.outbox), None))
    assert message.to == ["engineer@acme.test"]
    assert "The control “Rotate keys” in Checkout was due on" in message.subject
    assert send_daily_reminders.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 0
    assert Notification.objects.count() == 1


# E-mails that fail ---------------------------------------------------------------------------------------------


def mention(cast: Cast, *people: User) -> None:
    """Committed at once (a transactional test), so its e-mail task is on its way to the worker."""
    notifications.notify(
        organisation=cast.organisation,
        recipients=people,
        kind=NotificationKind.MENTION,
        actor=cast.owner,
        subject="owner@acme.test mentioned you on T-3",
        url="/o/acme/my-work/",
    )


def settled() -> bool | None:
    """Every e-mail sent or given up: none waits for a retry or is being sent, so no send is still to come."""
    return (
        not Notification.objects.filter(email_status__in=[EmailStatus.NOT_SENT, EmailStatus.SENDING]).exists()
        or None
    )


def status_of(user: User) -> tuple[str, int, str]:
    row = Notification.objects.get(recipient=user)
    return row.email_status, row.email_attempts, row.email_error


def test_an_address_refused_for_good_fails_its_notification_and_the_others_go_once(
    worker: None, cast: Cast, refusing_mail: type[RefusingBackend]
) -> None:
    refusing_mail.refused.add("viewer@acme.test")

    mention(cast, cast.engineer, cast.viewer, cast.security_lead)

    eventually(settled)
    assert recipients() == ["engineer@acme.test", "lead@acme.test"]
    assert status_of(cast.viewer) == (EmailStatus.FAILED, 1, REFUSED)
    assert status_of(cast.engineer) == (EmailStatus.SENT, 1, "")
    assert resend_lost_notification_emails.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 0
    assert status_of(cast.viewer) == (EmailStatus.FAILED, 1, REFUSED)


def test_a_failure_for_now_is_tried_again_after_its_wait_for_that_email_alone(
    worker: None, cast: Cast, flaky_mail: type[FlakyBackend], settings: object
) -> None:
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 3  # type: ignore[attr-defined]
    settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = 1  # type: ignore[attr-defined]
    flaky_mail.failing.update({"viewer@acme.test": 2, "engineer@acme.test": 9})

    mention(cast, cast.viewer, cast.engineer, cast.security_lead)

    eventually(settled)
    assert recipients() == ["lead@acme.test", "viewer@acme.test"]
    assert status_of(cast.viewer) == (EmailStatus.SENT, 3, "")
    assert status_of(cast.security_lead) == (EmailStatus.SENT, 1, "")
    assert status_of(cast.engineer) == (
        EmailStatus.FAILED,
        3,
        f"Not sent after 3 attempts. {LOST_CONNECTION}",
    )
    assert flaky_mail.tries == {"viewer@acme.test": 3, "engineer@acme.test": 3, "lead@acme.test": 1}


def test_a_digest_failing_for_now_is_tried_again_for_that_member_alone(
    worker: None, cast: Cast, flaky_mail: type[FlakyBackend], settings: object
) -> None:
    settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS = 1  # type: ignore[attr-defined]
    flaky_mail.failing["viewer@acme.test"] = 1
    for person in (cast.viewer, cast.engineer):
        notifications.preference_update(membership=cast.membership(person), email=EmailMode.DIGEST)
    mention(cast, cast.viewer, cast.engineer)

    assert send_notification_digests.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 1

    eventually(settled)
    assert recipients() == ["engineer@acme.test", "viewer@acme.test"]
    assert status_of(cast.viewer) == (EmailStatus.SENT, 2, "")
    assert {message.subject for message in mail.outbox} == {
        "[Acme Payments] 1 notification you have not read"
    }


def test_an_email_a_stopped_worker_left_sending_is_sent_again_by_the_sweeper(
    worker: None, cast: Cast
) -> None:
    """The worker stopped after it claimed the e-mail: whether it went is unknown, so it is sent again (at least
    once for that e-mail), once, when its lease has run out."""
    Notification.objects.create(
        organisation=cast.organisation,
        recipient=cast.viewer,
        kind=NotificationKind.MENTION,
        subject="owner@acme.test mentioned you on T-3",
        url="/o/acme/my-work/",
        email_status=EmailStatus.SENDING,
        email_lease_until=timezone.now() - datetime.timedelta(seconds=1),
        email_attempts=1,
    )

    assert resend_lost_notification_emails.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 1

    eventually(settled)
    assert recipients() == ["viewer@acme.test"]
    assert status_of(cast.viewer) == (EmailStatus.SENT, 2, "")
    assert resend_lost_notification_emails.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 0
