"""Notification e-mails through a real Celery worker and the real broker, into Django's locmem outbox (the worker
runs in a thread of this process, as in tests/test_worker.py): an assignment's e-mail arrives at once with its
subject and a link back to the threat; the daily digest and the daily reminders run as beat would run them."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from projects import notifications, workspace_services
from projects.models import ThreatStatus
from projects.notification_models import EmailMode, Notification
from projects.notification_tasks import send_notification_digests
from projects.reminder_tasks import send_daily_reminders
from projects.workspace_selectors import Seen
from tests import test_worker
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatFactory
from tests.test_notifications import html_of_mail
from tests.test_worker import TASK_TIMEOUT_SECONDS, eventually

pytestmark = pytest.mark.worker

own_queue, worker = test_worker.own_queue, test_worker.worker  # its fixtures, shared

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
