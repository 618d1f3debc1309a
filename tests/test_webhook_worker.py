"""Webhooks delivered by a real Celery worker (a `celery worker` process, as tests/test_report_worker.py starts
them) through the real broker, to a receiver listening on 127.0.0.1 that checks every signature with the snippet
of docs/webhooks.md: a new threat arrives signed; a receiver that answers 500 is tried again after its waits and
its endpoint marked failing, while another endpoint of the same organisation gets the same event at once.

The worker's environment allows the local receiver (WEBHOOKS_ALLOW_PRIVATE, WEBHOOKS_ALLOW_HTTP) and makes the
waits short (one second, then two). The owners are told of a failing endpoint by a worker in a thread of this
process (tests/test_worker.py's), so the e-mail it sends lands in the test's outbox.
"""

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from projects import webhooks
from projects.models import Project
from projects.notification_models import Notification, NotificationKind
from projects.webhook_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from projects.workspace_services import threat_create
from tests import test_report_worker, test_worker
from tests.conftest import Cast
from tests.factories import ProjectFactory
from tests.test_report_worker import Workers
from tests.test_worker import eventually
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.worker

own_queue, worker, workers = test_worker.own_queue, test_worker.worker, test_report_worker.workers  # shared

MAX_ATTEMPTS = 3
WORKER_ENVIRONMENT = {
    "WEBHOOKS_ALLOW_PRIVATE": "true",
    "WEBHOOKS_ALLOW_HTTP": "true",
    "WEBHOOKS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    "WEBHOOKS_RETRY_BASE_SECONDS": "1",
    "WEBHOOKS_TIMEOUT_SECONDS": "5",
}


@pytest.fixture
def started(workers: Workers) -> Workers:
    workers.start("webhooks", WORKER_ENVIRONMENT)
    return workers


def registered(cast: Cast, receiver: Receiver) -> WebhookEndpoint:
    issued = webhooks.endpoint_create(
        membership=cast.membership(cast.owner), url=receiver.url(), events=["threat.created"]
    )
    receiver.secret = issued.secret
    return issued.endpoint


def log_threat(cast: Cast, project: Project) -> None:
    threat_create(
        membership=cast.membership(cast.engineer),
        project=project,
        threat_source="external attacker",
        threat_action="replay a captured session token",
    )


def settled(endpoint: WebhookEndpoint) -> WebhookDelivery:
    return eventually(lambda: endpoint.deliveries.exclude(status=DeliveryStatus.PENDING).first())


def test_the_worker_delivers_a_new_threat_signed_with_the_endpoints_secret(
    started: Workers, cast: Cast, receiver: Receiver
) -> None:
    endpoint = registered(cast, receiver)

    log_threat(cast, ProjectFactory.create(team=cast.team))

    delivery = settled(endpoint)
    assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 200, 1)
    [request] = receiver.requests
    assert receiver.refused == 0  # the receiver verified the signature before it answered 200
    assert request.headers["X-Threatmodel-Event"] == "threat.created"
    assert request.headers["X-Threatmodel-Delivery"] == str(delivery.uuid)


def test_a_receiver_answering_500_is_tried_again_then_marked_failing_and_holds_up_no_other(
    started: Workers, cast: Cast, receiver: Receiver, broken: Receiver
) -> None:
    good, bad = registered(cast, receiver), registered(cast, broken)
    project = ProjectFactory.create(team=cast.team)

    log_threat(cast, project)

    assert settled(good).status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1
    failed = settled(bad)
    assert (failed.status, failed.attempts, failed.response_code) == (
        DeliveryStatus.FAILED,
        MAX_ATTEMPTS,
        500,
    )
    assert len(broken.requests) == MAX_ATTEMPTS
    assert broken.refused == 0  # every attempt was signed right: the 500s were the receiver's own
    assert {r.headers["X-Threatmodel-Delivery"] for r in broken.requests} == {str(failed.uuid)}
    bad.refresh_from_db()
    assert bad.is_failing
    assert bad.failure_count == MAX_ATTEMPTS

    # Marked failing, it is sent nothing more; the other endpoint still is.
    log_threat(cast, project)
    eventually(lambda: len(receiver.requests) == 2 or None)
    assert not bad.deliveries.filter(status=DeliveryStatus.PENDING).exists()
    assert bad.deliveries.count() == 1
    assert len(broken.requests) == MAX_ATTEMPTS


@pytest.fixture
def in_thread(worker: None, local: None, settings: Any) -> None:
    """The worker in this process reads this process's settings: the local receiver allowed, short waits."""
    settings.WEBHOOKS_MAX_ATTEMPTS = MAX_ATTEMPTS
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 1
    settings.WEBHOOKS_TIMEOUT_SECONDS = 5


def test_the_owners_are_told_once_in_the_app_and_by_email_when_an_endpoint_is_marked_failing(
    in_thread: None, cast: Cast, broken: Receiver
) -> None:
    endpoint = registered(cast, broken)
    project = ProjectFactory.create(team=cast.team)

    log_threat(cast, project)
    log_threat(cast, project)  # two deliveries failing together: one failing spell, told once

    message = eventually(lambda: next(iter(mail.outbox), None))
    assert message.to == [cast.owner.email]
    assert message.subject == (
        f"[Acme Payments] The webhook endpoint {broken.url()} is marked failing after {MAX_ATTEMPTS} failed "
        "attempts in a row: nothing is sent to it until an owner enables it again"
    )
    assert reverse("webhook_detail", args=["acme", endpoint.pk]) in message.body
    eventually(lambda: not endpoint.deliveries.filter(status=DeliveryStatus.PENDING).exists() or None)
    endpoint.refresh_from_db()
    assert endpoint.is_failing
    assert len(broken.requests) == MAX_ATTEMPTS
    told = Notification.objects.filter(kind=NotificationKind.WEBHOOK_FAILING)
    assert list(told.values_list("recipient", flat=True)) == [cast.owner.pk]
    assert told.get().emailed_at is not None
    assert len(mail.outbox) == 1
