"""Webhooks (projects.webhooks, projects.webhook_delivery, projects.webhook_addresses): events signed as
docs/webhooks.md says and verified with its snippet, delivered to a real HTTP receiver on 127.0.0.1 (which the
tests allow with WEBHOOKS_ALLOW_PRIVATE and WEBHOOKS_ALLOW_HTTP); addresses that are not public refused at
registration and again at delivery; retries with doubling waits on 5xx, 429 and network errors only; an endpoint
marked failing after its attempts, without holding up any other; every event emitted where it happens; the owners'
pages. Tasks run in the test's process here (eagerly, once the change commits); tests/test_webhook_worker.py runs
them in a real worker.
"""

import datetime
import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import notifications, webhook_delivery, webhooks
from projects.interop.backup import backup_bytes, export_org_document, import_org_document
from projects.interop.document import InvalidModelFile
from projects.interop.services import model_import
from projects.models import ControlStatus, Membership, Project, ThreatStatus
from projects.notification_models import EmailMode, Notification, NotificationKind
from projects.roles import Role
from projects.webhook_addresses import AddressRefused, Target, check_url, target
from projects.webhook_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from projects.webhook_tasks import sweep_webhook_deliveries
from projects.workspace_selectors import Seen
from projects.workspace_services import (
    control_update,
    controls_set_status,
    threat_create,
    threat_update,
    threats_set_status,
)
from reports import jobs
from reports.models import Report, ReportKind
from risks import services as risk_services
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance, RiskStatus
from risks.results import recompute
from tests.conftest import Cast, signed_in
from tests.factories import ControlFactory, MembershipFactory, ProjectFactory, ThreatFactory, UserFactory
from tests.queries import count_queries
from tests.test_model_import import shop
from tests.webhook_receiver import Receiver, documented_verify, serving

PUBLIC_URL = (
    "https://93.184.215.14/hooks/threatmodel"  # an address on the internet, written as one: no DNS here
)
EVERY_EVENT = [event for event in WebhookEvent.values if event != WebhookEvent.PING]

type Commit = Callable[..., Any]


@pytest.fixture
def local(local: None, settings: Any) -> None:
    """The test receiver (conftest's `local`); three attempts, ten seconds apart to start."""
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 10
    settings.WEBHOOKS_TIMEOUT_SECONDS = 5


@pytest.fixture
def owner(cast: Cast) -> Membership:
    return cast.membership(cast.owner)


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


def endpoint_for(owner: Membership, url: str, events: list[str] | None = None) -> webhooks.IssuedSecret:
    return webhooks.endpoint_create(membership=owner, url=url, events=events or ["threat.created"])


def stored_endpoint(cast: Cast, events: list[str] | None = None, **fields: Any) -> WebhookEndpoint:
    """An endpoint written directly: for tests of what is emitted, which send nothing (no commit happens)."""
    return WebhookEndpoint.objects.create(
        organisation=cast.organisation,
        url=PUBLIC_URL,
        events=events or EVERY_EVENT,
        secret="whsec_test",
        **fields,
    )


def log_threat(cast: Cast, project: Project, action: str = "replay a captured session token") -> Any:
    return threat_create(
        membership=cast.membership(cast.engineer),
        project=project,
        threat_source="external attacker",
        threat_action=action,
        stride=["S"],
    )


# Signing ------------------------------------------------------------------------------------------------------


def test_a_new_threat_reaches_the_endpoint_signed_as_the_documentation_verifies(
    cast: Cast,
    owner: Membership,
    project: Project,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    issued = endpoint_for(owner, receiver.url("/jira?team=payments"))
    verify = documented_verify()

    with django_capture_on_commit_callbacks(execute=True):
        threat = log_threat(cast, project)

    [request] = receiver.requests
    assert request.path == "/jira?team=payments"
    assert verify(issued.secret, request.headers, request.body)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 200, 1)
    assert request.headers["X-Threatmodel-Event"] == "threat.created"
    assert request.headers["X-Threatmodel-Delivery"] == str(delivery.uuid)
    assert abs(int(request.headers["X-Threatmodel-Timestamp"]) - time.time()) < 600
    assert request.headers["X-Threatmodel-Signature"].startswith("sha256=")
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert body["event"] == "threat.created"
    assert body["organisation"] == {"slug": "acme", "name": "Acme Payments"}
    assert body["data"]["threat"]["reference"] == threat.reference
    assert body["data"]["threat"]["statement"] == threat.statement
    assert body["data"]["threat"]["url"].endswith(f"/o/acme/projects/{project.pk}/threats/{threat.number}/")
    assert body["data"]["project"]["name"] == "Checkout"
    assert body["data"]["actor"] == {"email": cast.engineer.email, "name": cast.engineer.name}


def test_a_changed_body_another_secret_or_an_old_timestamp_do_not_verify(
    cast: Cast,
    owner: Membership,
    project: Project,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    issued = endpoint_for(owner, receiver.url())
    verify = documented_verify()
    with django_capture_on_commit_callbacks(execute=True):
        log_threat(cast, project)
    [request] = receiver.requests

    assert verify(issued.secret, request.headers, request.body)
    assert not verify(issued.secret, request.headers, request.body.replace(b"Checkout", b"Checkin"))
    assert not verify("whsec_someone-elses", request.headers, request.body)
    old = int(request.headers["X-Threatmodel-Timestamp"]) - 3600
    replayed = {
        "X-Threatmodel-Timestamp": str(old),
        "X-Threatmodel-Signature": webhook_delivery.signature(issued.secret, old, request.body),
    }
    assert not verify(issued.secret, replayed, request.body)
    assert verify(issued.secret, replayed, request.body, tolerance=7200)  # the signature itself is right


def test_the_signature_is_the_hmac_of_the_timestamp_a_dot_and_the_body() -> None:
    expected = hmac.new(b"whsec_k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert webhook_delivery.signature("whsec_k", 1700000000, b'{"a":1}') == f"sha256={expected}"
    assert webhook_delivery.body_of({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'.encode()


# Where webhooks may go -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("https://127.9.9.9:8443/hook", "a loopback address"),
        ("https://localhost/hook", "localhost resolves to 127.0.0.1, which is a loopback address"),
        (
            "https://2130706433/hook",
            "resolves to 127.0.0.1, which is a loopback address",
        ),  # 127.0.0.1 as a number
        ("https://0x7f.1/hook", "resolves to 127.0.0.1, which is a loopback address"),
        ("https://[::1]/hook", "::1 is a loopback address"),
        ("https://[::ffff:127.0.0.1]/hook", "a loopback address (carried in an IPv6 address)"),
        ("https://[::ffff:10.0.0.1]/hook", "a private address (carried in an IPv6 address)"),
        ("https://[::ffff:169.254.169.254]/hook", "a link-local address (carried in an IPv6 address)"),
        (
            "https://[2002:7f00:1::]/hook",
            "a loopback address (carried in an IPv6 address)",
        ),  # 6to4 of 127.0.0.1
        ("https://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("https://[fe80::1]/hook", "a link-local address"),
        ("https://10.1.2.3/hook", "a private address"),
        ("https://172.16.5.4/hook", "a private address"),
        ("https://192.168.1.1/hook", "a private address"),
        ("https://[fd12:3456::1]/hook", "a private address"),
        ("https://100.64.0.1/hook", "not a public address"),  # carrier-grade NAT
        ("https://0.0.0.0/hook", "an unspecified address"),
        ("https://[::]/hook", "an unspecified address"),
        ("https://224.0.0.1/hook", "a multicast address"),
        ("https://[ff02::1]/hook", "a multicast address"),
        ("https://240.0.0.1/hook", "a private address"),
        ("https://[fec0::1]/hook", "a site-local address"),
        ("https://[::7f00:1]/hook", "a reserved address"),  # the deprecated IPv4-compatible form
    ],
)
def test_an_address_that_is_not_public_is_refused_naming_why(owner: Membership, url: str, why: str) -> None:
    with pytest.raises(AddressRefused, match=why.replace("(", r"\(").replace(")", r"\)")):
        check_url(url)
    with pytest.raises(ValidationError) as refused:
        endpoint_for(owner, url)
    assert why in refused.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hook", "Use an https:// address"),
        ("ftp://93.184.215.14/hook", "Use an https:// address"),
        ("https://user:password@93.184.215.14/hook", "Leave the user name and password out"),
        ("https:///hook", "Give the host name"),
        ("https://93.184.215.14/hook#part", "Leave out the part after #"),
        ("https://hooks.example.invalid/hook", "No address found for hooks.example.invalid"),
        ("https://[::1/hook", "This is not a web address"),
    ],
)
def test_other_unusable_addresses_are_refused_with_the_reason(owner: Membership, url: str, why: str) -> None:
    with pytest.raises(ValidationError) as refused:
        endpoint_for(owner, url)
    assert why in refused.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", [PUBLIC_URL, "https://[2606:4700:4700::1111]:8443/x?y=1", "https://1.1.1.1/"])
def test_a_public_https_address_is_accepted(owner: Membership, url: str) -> None:
    issued = endpoint_for(owner, url)
    assert WebhookEndpoint.objects.get().url == url
    assert issued.secret.startswith("whsec_")
    assert len(issued.secret) > 40


def test_the_address_is_checked_again_at_delivery(
    cast: Cast,
    owner: Membership,
    project: Project,
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    endpoint_for(owner, receiver.url())  # registered while local addresses were allowed
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with django_capture_on_commit_callbacks(execute=True):
        log_threat(cast, project)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (DeliveryStatus.FAILED, 1, None)
    assert delivery.error.startswith("Not sent: 127.0.0.1 is a loopback address.")


def test_a_delivery_connects_to_the_address_it_checked_not_to_a_second_lookup(receiver: Receiver) -> None:
    # The host name resolves nowhere here: only the address checked before can have been dialled.
    to = Target("http", "rebound.example", receiver.port, "/hook", (ipaddress.ip_address("127.0.0.1"),))

    sent = webhook_delivery.post(to, {"Content-Type": "application/json"}, b"{}", timeout=5)

    assert sent.ok, sent.error
    [request] = receiver.requests
    assert request.headers["Host"] == f"rebound.example:{receiver.port}"


def test_letters_outside_ascii_in_the_path_are_sent_percent_encoded() -> None:
    to = target("https://93.184.215.14/hooks/équipe?canal=sécurité&x=1")
    assert (to.host, to.port, to.path) == (
        "93.184.215.14",
        443,
        "/hooks/%C3%A9quipe?canal=s%C3%A9curit%C3%A9&x=1",
    )


def test_a_changed_address_is_checked_again_and_a_refused_one_changes_nothing(owner: Membership) -> None:
    endpoint = endpoint_for(owner, PUBLIC_URL).endpoint
    with pytest.raises(ValidationError) as refused:
        webhooks.endpoint_update(
            membership=owner,
            endpoint=endpoint,
            version=endpoint.version,
            url="https://10.0.0.5/hook",
            events=["threat.changed"],
        )
    assert "a private address" in refused.value.message_dict["url"][0]
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == (PUBLIC_URL, ["threat.created"])


# Retries and failing endpoints -----------------------------------------------------------------------------------


def pending_ping(endpoint: WebhookEndpoint, event: str = "threat.created") -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, payload={"event": event, "data": {}}
    )


def test_a_failing_receiver_is_tried_again_with_doubling_waits_and_then_the_endpoint_is_marked_failing(
    owner: Membership, broken: Receiver
) -> None:
    endpoint = endpoint_for(owner, broken.url()).endpoint
    delivery = pending_ping(endpoint)

    waits = [webhook_delivery.attempt(delivery.pk, number) for number in (1, 2, 3)]

    assert waits == [10.0, 20.0, None]
    assert len(broken.requests) == 3
    assert {r.headers["X-Threatmodel-Delivery"] for r in broken.requests} == {str(delivery.uuid)}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (DeliveryStatus.FAILED, 3, 500)
    assert "The receiver answered 500. It said: not today" in delivery.error
    assert "marked failing" in delivery.error
    endpoint.refresh_from_db()
    assert endpoint.is_failing
    assert endpoint.failure_count == 3


def test_a_waiting_retry_says_when_it_comes(owner: Membership, broken: Receiver) -> None:
    delivery = pending_ping(endpoint_for(owner, broken.url()).endpoint)
    before = timezone.now()
    assert webhook_delivery.attempt(delivery.pk, 1) == 10.0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None
    assert before + datetime.timedelta(seconds=10) <= delivery.next_attempt_at
    assert delivery.response_code == 500
    assert delivery.duration_ms is not None


def test_a_busy_receiver_is_given_the_time_it_asks_for(owner: Membership, local: None) -> None:
    for receiver in serving(Receiver(statuses=[429], headers={"Retry-After": "120"})):
        delivery = pending_ping(endpoint_for(owner, receiver.url()).endpoint)
        assert webhook_delivery.attempt(delivery.pk, 1) == 120.0


def test_the_waits_double_up_to_half_an_hour(settings: Any) -> None:
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 60
    assert [webhook_delivery.backoff(n) for n in range(1, 8)] == [60, 120, 240, 480, 960, 1800, 1800]
    assert webhook_delivery.backoff(1, retry_after=300) == 300


@pytest.mark.parametrize(
    ("status", "said"), [(400, "400, which is not tried again"), (404, "404"), (410, "410")]
)
def test_a_client_error_is_not_tried_again(owner: Membership, local: None, status: int, said: str) -> None:
    for receiver in serving(Receiver(statuses=[status])):
        endpoint = endpoint_for(owner, receiver.url()).endpoint
        delivery = pending_ping(endpoint)
        assert webhook_delivery.attempt(delivery.pk, 1) is None
        assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.FAILED, status)
    assert said in delivery.error
    endpoint.refresh_from_db()
    assert endpoint.failure_count == 1
    assert not endpoint.is_failing


def test_a_redirect_is_not_followed(owner: Membership, local: None, receiver: Receiver) -> None:
    for redirecting in serving(Receiver(statuses=[302], headers={"Location": receiver.url("/elsewhere")})):
        delivery = pending_ping(endpoint_for(owner, redirecting.url()).endpoint)
        assert webhook_delivery.attempt(delivery.pk, 1) is None
        assert len(redirecting.requests) == 1
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "Redirects are not followed" in delivery.error


def test_nobody_listening_is_a_network_error_tried_again(owner: Membership, local: None) -> None:
    for gone in serving(Receiver()):
        url = gone.url()
    delivery = pending_ping(endpoint_for(owner, url).endpoint)  # the port is closed now
    assert webhook_delivery.attempt(delivery.pk, 1) == 10.0
    delivery.refresh_from_db()
    assert delivery.response_code is None
    assert delivery.error.startswith("Could not deliver:")


def test_an_attempt_sent_twice_is_made_once(owner: Membership, receiver: Receiver) -> None:
    delivery = pending_ping(endpoint_for(owner, receiver.url()).endpoint)
    webhook_delivery.attempt(delivery.pk, 1)
    assert webhook_delivery.attempt(delivery.pk, 1) is None  # the broker delivered the task again
    assert webhook_delivery.attempt(delivery.pk, 2) is None  # and the delivery is done
    assert len(receiver.requests) == 1


def test_a_success_forgets_the_failures_before_it(owner: Membership, local: None) -> None:
    for flaky in serving(Receiver(statuses=[503, 503, 200])):
        endpoint = endpoint_for(owner, flaky.url()).endpoint
        first, second = pending_ping(endpoint), pending_ping(endpoint)
        assert webhook_delivery.attempt(first.pk, 1) == 10.0
        assert webhook_delivery.attempt(second.pk, 1) == 10.0
        endpoint.refresh_from_db()
        assert endpoint.failure_count == 2
        assert webhook_delivery.attempt(first.pk, 2) is None
    endpoint.refresh_from_db()
    assert (endpoint.failure_count, endpoint.failing_since) == (0, None)


def test_a_failing_endpoint_holds_up_no_other_and_is_sent_nothing_more_until_re_enabled(
    cast: Cast,
    owner: Membership,
    project: Project,
    receiver: Receiver,
    broken: Receiver,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    bad = endpoint_for(owner, broken.url()).endpoint
    good = endpoint_for(owner, receiver.url()).endpoint

    # Tasks run in this process at once, so the retries come without their waits.
    with django_capture_on_commit_callbacks(execute=True):
        log_threat(cast, project, "first")
    with django_capture_on_commit_callbacks(execute=True):
        log_threat(cast, project, "second")

    assert len(broken.requests) == 3  # the first event's three attempts; nothing after it was marked failing
    assert len(receiver.requests) == 2
    bad.refresh_from_db()
    assert bad.is_failing
    assert list(good.deliveries.values_list("status", flat=True)) == [DeliveryStatus.SUCCEEDED] * 2
    assert list(bad.deliveries.values_list("status", flat=True)) == [DeliveryStatus.FAILED]

    webhooks.endpoint_reenable(membership=owner, endpoint=bad)
    broken.statuses = [200]
    with django_capture_on_commit_callbacks(execute=True):
        log_threat(cast, project, "third")
    assert len(broken.requests) == 4
    bad.refresh_from_db()
    assert (bad.failing_since, bad.failure_count) == (None, 0)


def test_deliveries_waiting_when_the_endpoint_is_marked_failing_are_given_up(
    owner: Membership, broken: Receiver
) -> None:
    endpoint = endpoint_for(owner, broken.url()).endpoint
    first, waiting = pending_ping(endpoint), pending_ping(endpoint)
    for number in (1, 2, 3):
        webhook_delivery.attempt(first.pk, number)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.error) == (
        DeliveryStatus.FAILED,
        "Not sent: the endpoint was marked failing.",
    )
    assert webhook_delivery.attempt(waiting.pk, 1) is None
    assert len(broken.requests) == 3


def fail(endpoint: WebhookEndpoint, times: int) -> None:
    """`times` failed attempts in a row at the endpoint, each of its own delivery, as its worker makes them."""
    for _ in range(times):
        webhook_delivery.attempt(pending_ping(endpoint).pk, 1)


def test_owners_are_told_once_when_an_endpoint_is_marked_failing(
    cast: Cast, owner: Membership, broken: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    second_owner = UserFactory.create(email="second.owner@acme.test")
    MembershipFactory.create(user=second_owner, organisation=cast.organisation, role=Role.OWNER)
    endpoint = endpoint_for(owner, broken.url()).endpoint

    fail(endpoint, 2)
    assert not Notification.objects.exists()  # two failures are not yet failing
    with django_capture_on_commit_callbacks(execute=True):
        fail(endpoint, 1)

    told = Notification.objects.filter(kind=NotificationKind.WEBHOOK_FAILING)
    assert sorted(told.values_list("recipient__email", flat=True)) == [cast.owner.email, second_owner.email]
    notice = told.first()
    assert notice is not None
    assert notice.subject == (
        f"The webhook endpoint {broken.url()} is marked failing after 3 failed attempts in a row: nothing is "
        "sent to it until an owner enables it again"
    )
    assert notice.url == reverse("webhook_detail", args=["acme", endpoint.pk])
    assert (notice.target_type, notice.target_id, notice.actor) == (
        "projects.webhookendpoint",
        endpoint.pk,
        None,
    )
    assert sorted(message.to[0] for message in mail.outbox) == [cast.owner.email, second_owner.email]
    assert "is marked failing" in mail.outbox[0].subject

    # Still failing: neither its later deliveries nor an attempt already under way tell anyone again.
    with django_capture_on_commit_callbacks(execute=True):
        fail(endpoint, 2)
        webhook_delivery._record(pending_ping(endpoint), webhook_delivery.Sent(500, "again", retry=True), 1)
    assert told.count() == 2
    assert len(mail.outbox) == 2


def test_enabled_again_a_failing_endpoint_is_told_of_anew(
    cast: Cast, owner: Membership, broken: Receiver
) -> None:
    endpoint = endpoint_for(owner, broken.url()).endpoint
    fail(endpoint, 3)
    endpoint.refresh_from_db()
    webhooks.endpoint_reenable(membership=owner, endpoint=endpoint)

    fail(endpoint, 3)

    assert (
        Notification.objects.filter(recipient=cast.owner, kind=NotificationKind.WEBHOOK_FAILING).count() == 2
    )


def test_only_the_owners_of_its_organisation_are_told_and_as_they_like(
    cast: Cast, owner: Membership, broken: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    digest_owner, muting_owner = (
        UserFactory.create(email=f"{name}@acme.test") for name in ("digest", "muting")
    )
    for user in (digest_owner, muting_owner):
        MembershipFactory.create(user=user, organisation=cast.organisation, role=Role.OWNER)
    notifications.preference_update(membership=cast.membership(digest_owner), email=EmailMode.DIGEST)
    notifications.preference_update(
        membership=cast.membership(muting_owner),
        email=EmailMode.IMMEDIATE,
        muted_kinds=[NotificationKind.WEBHOOK_FAILING],
    )
    endpoint = endpoint_for(owner, broken.url()).endpoint

    with django_capture_on_commit_callbacks(execute=True):
        fail(endpoint, 3)

    told = Notification.objects.filter(kind=NotificationKind.WEBHOOK_FAILING)
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(
        [cast.owner.email, digest_owner.email, muting_owner.email]
    )  # not the security lead, nor the owner of another organisation
    assert [message.to for message in mail.outbox] == [[cast.owner.email]]


def test_a_test_event_reaches_a_failing_endpoint_once_and_leaves_its_state(
    owner: Membership, broken: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    endpoint = endpoint_for(owner, broken.url()).endpoint
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now(), failure_count=3)
    endpoint.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        ping = webhooks.endpoint_test(membership=owner, endpoint=endpoint)

    assert len(broken.requests) == 1  # tried once, not again
    assert broken.requests[0].headers["X-Threatmodel-Event"] == "ping"
    ping.refresh_from_db()
    assert (ping.status, ping.response_code) == (DeliveryStatus.FAILED, 500)
    endpoint.refresh_from_db()
    assert endpoint.failure_count == 3


def test_a_paused_endpoint_is_sent_nothing(cast: Cast, project: Project) -> None:
    paused = stored_endpoint(cast, active=False)
    live = stored_endpoint(cast)
    log_threat(cast, project)
    assert not paused.deliveries.exists()
    assert live.deliveries.count() == 1


def test_the_sweeper_sends_again_what_a_lost_task_left_waiting(owner: Membership, receiver: Receiver) -> None:
    endpoint = endpoint_for(owner, receiver.url()).endpoint
    never_sent, cut_short, spent, fresh = (pending_ping(endpoint) for _ in range(4))
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    WebhookDelivery.objects.filter(pk=never_sent.pk).update(created_at=long_ago)
    WebhookDelivery.objects.filter(pk__in=[cut_short.pk, spent.pk]).update(last_attempt_at=long_ago)
    WebhookDelivery.objects.filter(pk=cut_short.pk).update(attempts=1)
    WebhookDelivery.objects.filter(pk=spent.pk).update(attempts=3)

    assert sweep_webhook_deliveries() == 2

    never_sent.refresh_from_db()
    cut_short.refresh_from_db()
    spent.refresh_from_db()
    fresh.refresh_from_db()
    assert (never_sent.status, never_sent.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert (cut_short.status, cut_short.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    assert spent.status == DeliveryStatus.FAILED
    assert "no attempts were left" in spent.error
    assert (fresh.status, fresh.attempts) == (DeliveryStatus.PENDING, 0)
    assert len(receiver.requests) == 2


def test_the_log_forgets_deliveries_older_than_its_days(cast: Cast) -> None:
    endpoint = stored_endpoint(cast)
    old, recent = pending_ping(endpoint), pending_ping(endpoint)
    WebhookDelivery.objects.filter(pk=old.pk).update(
        status=DeliveryStatus.SUCCEEDED, finished_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert webhook_delivery.prune() == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [recent.pk]


# Emitting --------------------------------------------------------------------------------------------------------


def test_emit_costs_one_query_and_builds_nothing_when_no_endpoint_wants_the_event(cast: Cast) -> None:
    stored_endpoint(cast, events=["report.ready"])
    stored_endpoint(cast, active=False)
    built: list[bool] = []

    def data() -> dict[str, Any]:
        built.append(True)
        return {}

    queries = count_queries(
        lambda: webhooks.emit(organisation=cast.organisation, event="threat.created", data=data)
    )
    assert (queries, built, WebhookDelivery.objects.count()) == (1, [], 0)


def test_emit_refuses_an_unknown_event(cast: Cast) -> None:
    for event in ("threat.deleted", "ping"):
        with pytest.raises(ValueError, match="Unknown webhook event"):
            webhooks.emit(organisation=cast.organisation, event=event, data={})


def test_each_event_goes_to_the_endpoints_subscribed_to_it_in_the_organisation(
    cast: Cast, project: Project
) -> None:
    threats_only = stored_endpoint(cast, events=["threat.created"])
    reports_only = stored_endpoint(cast, events=["report.ready"])
    elsewhere = WebhookEndpoint.objects.create(
        organisation=cast.outsider_organisation, url=PUBLIC_URL, events=EVERY_EVENT, secret="whsec_x"
    )
    log_threat(cast, project)
    assert threats_only.deliveries.count() == 1
    assert not reports_only.deliveries.exists()
    assert not elsewhere.deliveries.exists()


def test_a_change_that_rolls_back_leaves_no_delivery(cast: Cast, project: Project) -> None:
    stored_endpoint(cast)

    def change_then_fail() -> None:
        with transaction.atomic():
            log_threat(cast, project)
            assert WebhookDelivery.objects.count() == 1  # written with the change...
            raise RuntimeError("the request fails after the threat was saved")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not WebhookDelivery.objects.exists()  # ...and gone with it


def test_an_imported_model_announces_each_threat_once_the_import_commits(
    cast: Cast, owner: Membership, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    issued = endpoint_for(owner, receiver.url())
    receiver.secret = issued.secret
    engineer = cast.membership(cast.engineer)

    with django_capture_on_commit_callbacks(execute=True):
        result = model_import(membership=engineer, team=cast.team, document=shop(3, "Imported shop"))
        assert issued.endpoint.deliveries.count() == 3  # written with the import...
        assert receiver.requests == []  # ...and sent only once it commits

    threats = list(result.project.threats.order_by("number"))
    assert [json.loads(r.body)["event"] for r in receiver.requests] == ["threat.created"] * 3
    assert receiver.refused == 0
    bodies = sorted((json.loads(r.body)["data"] for r in receiver.requests), key=lambda d: d["threat"]["id"])
    assert [d["threat"]["reference"] for d in bodies] == [threat.reference for threat in threats]
    assert bodies[0]["project"]["name"] == "Imported shop"
    assert bodies[0]["threat"]["statement"] == threats[0].statement
    assert {d["actor"]["email"] for d in bodies} == {cast.engineer.email}
    assert set(issued.endpoint.deliveries.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_replacing_a_model_announces_the_threats_it_brings(cast: Cast) -> None:
    endpoint = stored_endpoint(cast, events=["threat.created"])
    project = ProjectFactory.create(team=cast.team, name="Shop")
    ThreatFactory.create_batch(4, project=project)

    model_import(membership=cast.membership(cast.owner), team=cast.team, document=shop(2), replace=project)

    references = sorted(d.payload["data"]["threat"]["reference"] for d in endpoint.deliveries.all())
    assert references == ["T-5", "T-6"]


def test_an_import_that_fails_announces_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Commit
) -> None:
    stored_endpoint(cast)
    engineer = cast.membership(cast.engineer)
    broken = shop(3, "Broken shop")
    broken.threats[1].targets.append("nowhere")

    def import_then_fail() -> None:
        with transaction.atomic():
            model_import(membership=engineer, team=cast.team, document=shop(3, "Rolled back"))
            assert WebhookDelivery.objects.count() == 3
            raise RuntimeError("the request fails after the import was written")

    with django_capture_on_commit_callbacks() as sent:
        with pytest.raises(InvalidModelFile):
            model_import(membership=engineer, team=cast.team, document=broken)
        with pytest.raises(RuntimeError):
            import_then_fail()

    assert sent == []
    assert not WebhookDelivery.objects.exists()
    assert not Project.objects.filter(name__in=["Broken shop", "Rolled back"]).exists()


def test_an_import_announces_its_threats_in_the_same_queries_however_many(cast: Cast) -> None:
    stored_endpoint(cast, events=["threat.created"])
    stored_endpoint(cast, events=["threat.created", "report.ready"])
    owner = cast.membership(cast.owner)
    model_import(membership=owner, team=cast.team, document=shop(1, "Warm-up"))

    small = count_queries(lambda: model_import(membership=owner, team=cast.team, document=shop(2, "A")))
    large = count_queries(lambda: model_import(membership=owner, team=cast.team, document=shop(60, "B")))

    assert small == large
    assert WebhookDelivery.objects.count() == 2 * (1 + 2 + 60)


def only_payload(event: str) -> dict[str, Any]:
    [delivery] = WebhookDelivery.objects.filter(event=event)
    assert delivery.payload["event"] == event
    data: dict[str, Any] = delivery.payload["data"]
    return data


def test_a_threat_edit_says_which_fields_changed(cast: Cast, project: Project) -> None:
    stored_endpoint(cast)
    threat = ThreatFactory.create(project=project, threat_source="insider")
    threat_update(
        membership=cast.membership(cast.engineer),
        threat=threat,
        version=threat.version,
        threat_source="insider",  # the same: not a change
        threat_impact="card data leaks",
        owner=cast.engineer,
    )
    data = only_payload("threat.changed")
    assert data["changed"] == ["owner", "threat_impact"]
    assert data["threat"]["owner"]["email"] == cast.engineer.email
    assert data["threat"]["version"] == 2


def test_an_edit_that_changes_nothing_emits_nothing(cast: Cast, project: Project) -> None:
    stored_endpoint(cast)
    threat = ThreatFactory.create(project=project, threat_source="insider")
    threat_update(
        membership=cast.membership(cast.engineer),
        threat=threat,
        version=threat.version,
        threat_source="insider",
    )
    assert not WebhookDelivery.objects.exists()


def test_a_bulk_status_change_emits_one_event_per_threat(cast: Cast, project: Project) -> None:
    stored_endpoint(cast)
    threats = [ThreatFactory.create(project=project) for _ in range(3)]
    threats_set_status(
        membership=cast.membership(cast.security_lead),
        project=project,
        seen=[Seen(threat, threat.version) for threat in threats],
        status=ThreatStatus.CONFIRMED,
    )
    deliveries = WebhookDelivery.objects.filter(event="threat.changed")
    assert sorted(d.payload["data"]["threat"]["reference"] for d in deliveries) == sorted(
        t.reference for t in threats
    )
    assert {d.payload["data"]["threat"]["status"] for d in deliveries} == {"confirmed"}
    assert {tuple(d.payload["data"]["changed"]) for d in deliveries} == {("status",)}


def test_a_control_moving_status_says_from_where(cast: Cast, project: Project) -> None:
    stored_endpoint(cast)
    control = ControlFactory.create(project=project, status=ControlStatus.PLANNED, title="MFA")
    lead = cast.membership(cast.security_lead)
    control_update(membership=lead, control=control, version=control.version, title="MFA for admins")
    assert not WebhookDelivery.objects.exists()  # no status change

    control_update(
        membership=lead, control=control, version=control.version, status=ControlStatus.IMPLEMENTED
    )
    data = only_payload("control.status_changed")
    assert (data["previous_status"], data["status"]) == ("planned", "implemented")
    assert data["control"]["title"] == "MFA for admins"


def test_controls_moved_together_each_emit(cast: Cast, project: Project) -> None:
    stored_endpoint(cast)
    controls = [ControlFactory.create(project=project, status=s) for s in ("proposed", "implemented")]
    controls_set_status(
        membership=cast.membership(cast.security_lead),
        project=project,
        seen=[Seen(control, control.version) for control in controls],
        status=ControlStatus.IMPLEMENTED,
    )
    data = only_payload("control.status_changed")  # the one already implemented did not move
    assert (data["control"]["id"], data["previous_status"]) == (controls[0].pk, "proposed")


def test_an_acceptance_running_out_is_announced(cast: Cast) -> None:
    stored_endpoint(cast)
    risk = BusinessRisk.objects.create(
        organisation=cast.organisation,
        number=4,
        title="Card data exposed",
        impact="high",
        owner=cast.viewer,
        status=RiskStatus.ACCEPTED,
    )
    ran_out = timezone.localdate() - datetime.timedelta(days=1)
    RiskAcceptance.objects.create(
        risk=risk,
        requested_by=cast.security_lead,
        rationale="Compensating controls in place",
        expires_on=ran_out,
        status=AcceptanceStatus.APPROVED,
        decided_by=cast.viewer,
    )

    assert risk_services.acceptances_expire() == 1

    data = only_payload("acceptance.expired")
    assert data["risk"]["reference"] == "R-4"
    assert data["risk"]["owner"]["email"] == cast.viewer.email
    assert data["acceptance"]["expires_on"] == ran_out.isoformat()
    assert data["acceptance"]["rationale"] == "Compensating controls in place"


def test_a_risk_moving_above_appetite_is_announced_once(cast: Cast, project: Project) -> None:
    stored_endpoint(cast)
    risk = risk_services.risk_create(
        membership=cast.membership(cast.security_lead), title="Checkout down", impact="very_high"
    )
    threat = ThreatFactory.create(project=project, likelihood="very_low")
    risk_services.scenario_create(membership=cast.membership(cast.security_lead), risk=risk, threat=threat)
    recompute(cast.organisation.pk)
    assert not WebhookDelivery.objects.exists()  # within appetite

    type(threat).objects.filter(pk=threat.pk).update(likelihood="very_high")
    recompute(cast.organisation.pk)
    recompute(cast.organisation.pk)  # still above: not announced again

    data = only_payload("risk.above_appetite")
    assert data["risk"]["reference"] == risk.reference
    assert (data["residual_level"], data["appetite_level"]) == ("very_high", "moderate")
    assert data["accepted_until"] is None


def test_a_finished_report_is_announced_with_its_links(cast: Cast) -> None:
    stored_endpoint(cast, events=["report.ready"])
    report = Report.objects.create(
        organisation=cast.organisation, kind=ReportKind.REGISTER, requested_by=cast.viewer
    )
    held = jobs.claim(report.pk)
    assert isinstance(held, jobs.Claim)
    assert jobs.complete(held, b"%PDF-1.7", 3, timezone.now(), time.perf_counter())

    data = only_payload("report.ready")["report"]
    assert (data["id"], data["pages"], data["bytes"], data["kind"]) == (report.pk, 3, 8, "register")
    assert data["download_url"].endswith(f"/o/acme/reports/{report.pk}/download/")
    assert data["requested_by"]["email"] == cast.viewer.email


# Backups ---------------------------------------------------------------------------------------------------------


def test_a_backup_never_holds_a_secret_and_a_restored_endpoint_waits_for_a_new_one(
    cast: Cast, owner: Membership, project: Project
) -> None:
    issued = endpoint_for(owner, PUBLIC_URL, EVERY_EVENT)
    text = backup_bytes(export_org_document(cast.organisation)).decode()
    assert issued.secret not in text
    assert PUBLIC_URL in text

    restored = import_org_document(json.loads(text), slug="acme-restored")
    copy = WebhookEndpoint.objects.get(organisation=restored)
    assert (copy.url, copy.events, copy.secret) == (PUBLIC_URL, EVERY_EVENT, "")
    assert copy.needs_secret
    assert not copy.sends
    webhooks.emit(organisation=restored, event="threat.created", data={})
    assert not copy.deliveries.exists()

    restorer = Membership.objects.get(organisation=restored, user=cast.owner)
    with pytest.raises(ValidationError, match="Make a secret"):
        webhooks.endpoint_test(membership=restorer, endpoint=copy)
    webhooks.endpoint_new_secret(membership=restorer, endpoint=copy)
    webhooks.emit(organisation=restored, event="threat.created", data={})
    assert copy.deliveries.count() == 1


# The owners' pages -----------------------------------------------------------------------------------------------


def url(name: str, cast: Cast, *args: object) -> str:
    return reverse(name, args=[cast.organisation.slug, *args])


@pytest.fixture
def endpoint(cast: Cast, owner: Membership) -> WebhookEndpoint:
    return endpoint_for(owner, PUBLIC_URL, ["threat.created", "report.ready"]).endpoint


@pytest.mark.parametrize(
    ("who", "status"), [("security_lead", 403), ("engineer", 403), ("viewer", 403), ("outsider", 404)]
)
def test_only_owners_reach_the_webhook_pages(
    cast: Cast, endpoint: WebhookEndpoint, who: str, status: int
) -> None:
    client = signed_in(getattr(cast, who))
    for name, args in [("webhook_list", ()), ("webhook_create", ()), ("webhook_detail", (endpoint.pk,))]:
        assert client.get(url(name, cast, *args)).status_code == status
    for name in ("webhook_detail", "webhook_test", "webhook_reenable", "webhook_secret", "webhook_delete"):
        assert (
            client.post(
                url(name, cast, endpoint.pk), {"url": "https://1.1.1.1/", "events": ["ping"]}
            ).status_code
            == status
        )
    assert (
        client.post(
            url("webhook_create", cast), {"url": PUBLIC_URL, "events": ["threat.created"]}
        ).status_code
        == status
    )
    endpoint.refresh_from_db()
    assert WebhookEndpoint.objects.count() == 1
    assert endpoint.url == PUBLIC_URL
    assert not WebhookDelivery.objects.exists()


def test_another_organisations_endpoint_is_not_found(cast: Cast, owner_client: Client) -> None:
    theirs = WebhookEndpoint.objects.create(
        organisation=cast.outsider_organisation, url=PUBLIC_URL, events=["threat.created"], secret="whsec_x"
    )
    assert owner_client.get(url("webhook_detail", cast, theirs.pk)).status_code == 404
    assert owner_client.post(url("webhook_delete", cast, theirs.pk)).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(
        url("webhook_create", cast),
        {
            "url": PUBLIC_URL,
            "description": "Jira automation",
            "events": ["threat.created", "risk.above_appetite"],
        },
    )

    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.description, endpoint.events, endpoint.created_by) == (
        "Jira automation",
        ["threat.created", "risk.above_appetite"],
        cast.owner,
    )
    assert endpoint.secret in response.content.decode()
    for again in (url("webhook_detail", cast, endpoint.pk), url("webhook_list", cast)):
        page = owner_client.get(again)
        assert page.status_code == 200
        assert endpoint.secret not in page.content.decode()
    assert "Jira automation" in owner_client.get(url("webhook_list", cast)).content.decode()


def test_a_private_address_is_a_field_error_and_nothing_is_written(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(
        url("webhook_create", cast), {"url": "https://169.254.169.254/latest", "events": ["threat.created"]}
    )
    assert response.status_code == 400
    assert "169.254.169.254 is a link-local address" in response.context["form"].errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_needs_an_event(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(url("webhook_create", cast), {"url": PUBLIC_URL})
    assert response.status_code == 400
    assert response.context["form"].errors["events"] == ["Choose at least one event."]
    response = owner_client.post(url("webhook_create", cast), {"url": PUBLIC_URL, "events": ["ping"]})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_the_owner_changes_the_events_and_pauses_the_endpoint(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    response = owner_client.post(
        url("webhook_detail", cast, endpoint.pk),
        {"url": PUBLIC_URL, "description": "chat", "events": ["control.status_changed"], "version": 1},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.description, endpoint.active) == (
        ["control.status_changed"],
        "chat",
        False,
    )


def test_the_delivery_log_shows_each_delivery_with_its_state_and_answer(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="threat.created",
        payload={"data": {"x": 1}},
        status="succeeded",
        attempts=1,
        response_code=204,
        duration_ms=31,
    )
    failed = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="report.ready",
        payload={},
        status="failed",
        attempts=3,
        response_code=503,
        error="The receiver answered 503.",
    )
    page = owner_client.get(url("webhook_detail", cast, endpoint.pk)).content.decode()
    assert "Delivered" in page
    assert "204" in page
    assert "31 ms" in page
    assert "Failed" in page
    assert "503" in page
    assert "The receiver answered 503." in page
    assert str(failed.uuid) in page
    assert 'id="delivery-log" aria-live="polite">' in page  # nothing is waiting, so the log does not poll


def test_a_waiting_delivery_makes_the_log_refresh_itself(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    pending_ping(endpoint)
    page = owner_client.get(url("webhook_detail", cast, endpoint.pk)).content.decode()
    assert 'hx-trigger="every 3s"' in page
    partial = owner_client.get(url("webhook_detail", cast, endpoint.pk), headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="delivery-log"')


def test_the_owner_sends_a_test_event(cast: Cast, owner_client: Client, endpoint: WebhookEndpoint) -> None:
    response = owner_client.post(url("webhook_test", cast, endpoint.pk))
    assert response.status_code == 302
    ping = WebhookDelivery.objects.get()
    assert (ping.endpoint, ping.event, ping.payload["data"]["endpoint"]["id"]) == (
        endpoint,
        "ping",
        endpoint.pk,
    )


def test_the_owner_makes_a_new_secret_shown_once(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    old = endpoint.secret
    response = owner_client.post(url("webhook_secret", cast, endpoint.pk))
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in owner_client.get(url("webhook_detail", cast, endpoint.pk)).content.decode()


def test_the_owner_sees_a_failing_endpoint_and_enables_it_again(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now(), failure_count=8)
    assert "Failing" in owner_client.get(url("webhook_list", cast)).content.decode()
    assert (
        "8 attempts in a row failed"
        in owner_client.get(url("webhook_detail", cast, endpoint.pk)).content.decode()
    )

    assert owner_client.post(url("webhook_reenable", cast, endpoint.pk)).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.failing_since, endpoint.failure_count, endpoint.sends) == (None, 0, True)


def test_an_owners_edit_over_another_owners_newer_one_is_refused_keeping_what_they_typed(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    other = MembershipFactory.create(organisation=cast.organisation, role=Role.OWNER)
    webhooks.endpoint_update(
        membership=other,
        endpoint=endpoint,
        version=1,
        url=PUBLIC_URL,
        description="Jira automation",
        events=["threat.created"],
    )

    mine = {"url": PUBLIC_URL, "description": "chat", "events": ["control.status_changed"], "version": 1}
    response = owner_client.post(url("webhook_detail", cast, endpoint.pk), mine)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Another owner changed this endpoint while you were editing it" in page
    assert 'value="chat"' in page
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.events, endpoint.version) == (
        "Jira automation",
        ["threat.created"],
        2,
    )

    again = owner_client.post(url("webhook_detail", cast, endpoint.pk), mine | {"version": 2})
    assert again.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.events) == ("chat", ["control.status_changed"])


def test_a_form_drawn_before_the_endpoint_was_enabled_again_does_not_pause_it_unseen(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    drawn = {
        "url": PUBLIC_URL,
        "description": "",
        "events": ["threat.created"],
        "version": 1,
    }  # active unticked
    assert owner_client.post(url("webhook_reenable", cast, endpoint.pk)).status_code == 302

    assert owner_client.post(url("webhook_detail", cast, endpoint.pk), drawn).status_code == 409
    endpoint.refresh_from_db()
    assert endpoint.active


def test_the_owner_deletes_an_endpoint_with_its_log(
    cast: Cast, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    pending_ping(endpoint)
    response = owner_client.post(url("webhook_delete", cast, endpoint.pk))
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_the_pages_refuse_other_methods(cast: Cast, owner_client: Client, endpoint: WebhookEndpoint) -> None:
    assert owner_client.post(url("webhook_list", cast)).status_code == 405
    assert owner_client.delete(url("webhook_detail", cast, endpoint.pk)).status_code == 405
    for name in ("webhook_test", "webhook_reenable", "webhook_secret", "webhook_delete"):
        assert owner_client.get(url(name, cast, endpoint.pk)).status_code == 405
    assert not WebhookDelivery.objects.exists()


def test_the_list_and_the_log_cost_the_same_queries_however_many_rows(
    cast: Cast, owner: Membership, owner_client: Client, endpoint: WebhookEndpoint
) -> None:
    pending_ping(endpoint)
    owner_client.get(url("webhook_list", cast))  # the session's first page does more
    few = (
        count_queries(lambda: owner_client.get(url("webhook_list", cast))),
        count_queries(lambda: owner_client.get(url("webhook_detail", cast, endpoint.pk))),
    )
    for _ in range(5):
        endpoint_for(owner, PUBLIC_URL)
    for _ in range(30):
        pending_ping(endpoint)
    many = (
        count_queries(lambda: owner_client.get(url("webhook_list", cast))),
        count_queries(lambda: owner_client.get(url("webhook_detail", cast, endpoint.pk))),
    )
    assert few == many


def test_the_settings_page_leads_owners_to_the_webhooks(cast: Cast, owner_client: Client) -> None:
    page = owner_client.get(url("organisation_settings", cast)).content.decode()
    assert url("webhook_list", cast) in page
