"""Sending one delivery: sign its body, POST it to the address checked a moment before, record how it went.

The signature is `sha256=` and the hex HMAC-SHA256, keyed with the endpoint's secret, of the timestamp, a dot
and the body exactly as sent (docs/webhooks.md shows a receiver checking it). Each attempt signs anew with the
time of that attempt, so a receiver can refuse old messages replayed at it.

The connection goes to the address projects.webhook_addresses checked, not to the host name looked up again, so
DNS rebinding cannot swap it; TLS still verifies the certificate against the host name. Redirects are not
followed, timeouts are short and at most RESPONSE_LIMIT bytes of an answer are read.

Network errors, timeouts, 429 and 5xx answers are tried again, after 1, 2, 4, ... times
WEBHOOKS_RETRY_BASE_SECONDS (at most half an hour, longer when the receiver asks so with Retry-After), up
to WEBHOOKS_MAX_ATTEMPTS attempts; other answers are final. After WEBHOOKS_MAX_ATTEMPTS failed attempts in a
row, over all its deliveries, an endpoint is marked failing, its waiting deliveries are given up and the
organisation's owners are told (in the app, and by e-mail as each likes), once until an owner enables it again.

Each attempt is claimed by a conditional update (attempts goes from n-1 to n), so a task delivered twice makes
its attempt once; the sweeper (projects.webhook_tasks) sends again what a lost task left waiting.
"""

import datetime
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects import notifications
from projects.retry import doubling_wait
from projects.webhook_addresses import AddressRefused, AddressUnresolved, Target, target
from projects.webhook_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

SIGNATURE_PREFIX = "sha256="
USER_AGENT = "Threatmodel-Webhooks/1"
RESPONSE_LIMIT = 64 * 1024  # bytes of an answer read; the rest is left unread
EXCERPT_LIMIT = 300  # characters of a refusing answer kept in the log
ERROR_LIMIT = 2_000


def body_of(payload: object) -> bytes:
    """The bytes sent, and signed: compact JSON with sorted keys."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def headers_of(delivery: WebhookDelivery, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Threatmodel-Event": delivery.event,
        "X-Threatmodel-Delivery": str(delivery.uuid),
        "X-Threatmodel-Timestamp": str(timestamp),
        "X-Threatmodel-Signature": signature(secret, timestamp, body),
    }


@dataclass(frozen=True)
class Sent:
    """How one attempt went."""

    code: int | None  # the receiver's status code; None when none came
    error: str
    retry: bool  # worth trying again
    retry_after: float | None = None  # seconds the receiver asked us to wait
    duration_ms: int | None = None

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to the checked address: the Host header and the certificate name the host, the socket goes to
    the address."""

    def __init__(self, to: Target, timeout: float) -> None:
        super().__init__(to.host, to.port, timeout=timeout)
        self.target = to

    def connect(self) -> None:
        self.sock = _connect(self.target, float(self.timeout))  # type: ignore[arg-type]


def _connect(to: Target, timeout: float) -> socket.socket:
    failure: OSError | None = None
    for address in to.addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((str(address), to.port))
        except OSError as error:
            sock.close()
            failure = error
            continue
        if to.scheme == "https":
            try:
                return ssl.create_default_context().wrap_socket(sock, server_hostname=to.host)
            except BaseException:
                sock.close()
                raise
        return sock
    assert failure is not None  # a Target has at least one address
    raise failure


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - timezone.now()).total_seconds())


def _answered(code: int, excerpt: str, retry_after: float | None) -> Sent:
    said = f" It said: {excerpt}" if excerpt else ""
    if 200 <= code < 300:
        return Sent(code, "", retry=False)
    if code == 429 or code >= 500:
        return Sent(code, f"The receiver answered {code}.{said}", retry=True, retry_after=retry_after)
    if 300 <= code < 400:
        return Sent(
            code,
            f"The receiver answered {code}, a redirect. Redirects are not followed: register the address it "
            "points to.",
            retry=False,
        )
    return Sent(code, f"The receiver answered {code}, which is not tried again.{said}", retry=False)


def post(to: Target, headers: dict[str, str], body: bytes, timeout: float) -> Sent:
    """One POST; never raises for what the network or the receiver does."""
    started = time.monotonic()
    connection = _PinnedConnection(to, timeout)
    try:
        connection.request("POST", to.path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read(RESPONSE_LIMIT)
        excerpt = "" if 200 <= response.status < 300 else _excerpt(content)
        sent = _answered(response.status, excerpt, _retry_after(response.getheader("Retry-After")))
    except (TimeoutError, SoftTimeLimitExceeded):
        sent = Sent(None, f"No answer within {timeout:g} seconds.", retry=True)
    except ssl.SSLCertVerificationError as error:
        sent = Sent(None, f"The receiver's certificate was refused: {error.verify_message}.", retry=True)
    except (OSError, http.client.HTTPException) as error:
        sent = Sent(None, f"Could not deliver: {error or type(error).__name__}.", retry=True)
    except (
        ValueError
    ) as error:  # something in the request http.client will not send: trying again cannot help
        sent = Sent(None, f"Not sent: {error}.", retry=False)
    finally:
        connection.close()
    elapsed = round((time.monotonic() - started) * 1000)
    return Sent(sent.code, sent.error, sent.retry, sent.retry_after, elapsed)


def _excerpt(content: bytes) -> str:
    text = " ".join(content.decode("utf-8", errors="replace").split())
    return text if len(text) <= EXCERPT_LIMIT else text[: EXCERPT_LIMIT - 1] + "…"


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first), longer if the receiver asked."""
    return doubling_wait(settings.WEBHOOKS_RETRY_BASE_SECONDS, attempt, at_least=retry_after)


def max_attempts(event: str) -> int:
    """A test event is tried once; the others up to WEBHOOKS_MAX_ATTEMPTS times."""
    return 1 if event == WebhookEvent.PING else int(settings.WEBHOOKS_MAX_ATTEMPTS)


def _why_not_sent(endpoint: WebhookEndpoint, event: str) -> str | None:
    if endpoint.needs_secret:
        return "Not sent: the endpoint has no secret yet (make one on its page)."
    if event == WebhookEvent.PING:
        return None  # an owner's test goes to a paused or failing endpoint too
    if endpoint.is_failing:
        return "Not sent: the endpoint is marked failing."
    if not endpoint.active:
        return "Not sent: the endpoint is paused."
    return None


def attempt(delivery_id: int, number: int) -> float | None:
    """Make attempt `number` of the delivery, if it is still to be made; the seconds until the next attempt, or
    None when there is none to make."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=number - 1
    ).update(attempts=number, last_attempt_at=now, next_attempt_at=None)
    if not claimed:
        return None  # finished, gone, or this attempt is another task's
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    why_not = _why_not_sent(endpoint, delivery.event)
    if why_not is not None:
        _finish(delivery, DeliveryStatus.FAILED, error=why_not)
        return None
    try:
        to = target(endpoint.url)
    except AddressRefused as error:
        sent = Sent(None, f"Not sent: {error}", retry=False)
    except AddressUnresolved as error:
        sent = Sent(None, str(error), retry=True)
    else:
        body = body_of(delivery.payload)
        headers = headers_of(delivery, endpoint.secret, int(time.time()), body)
        sent = post(to, headers, body, float(settings.WEBHOOKS_TIMEOUT_SECONDS))
    return _record(delivery, sent, number)


def _finish(delivery: WebhookDelivery, status: str, **fields: object) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, finished_at=timezone.now(), **fields)


def _record(delivery: WebhookDelivery, sent: Sent, number: int) -> float | None:
    outcome = {"response_code": sent.code, "error": sent.error[:ERROR_LIMIT], "duration_ms": sent.duration_ms}
    counts = delivery.event != WebhookEvent.PING  # an owner's test says how the endpoint does, nothing more
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    if sent.ok:
        _finish(delivery, DeliveryStatus.SUCCEEDED, **outcome)
        if counts:
            endpoints.filter(failure_count__gt=0).update(failure_count=0)
        return None
    retry_in = (
        backoff(number, sent.retry_after) if sent.retry and number < max_attempts(delivery.event) else None
    )
    with transaction.atomic():
        if counts:
            endpoints.update(failure_count=F("failure_count") + 1)
            now_failing = endpoints.filter(
                failure_count__gte=settings.WEBHOOKS_MAX_ATTEMPTS, failing_since__isnull=True
            ).update(failing_since=timezone.now())
            if now_failing:
                retry_in = None
                outcome["error"] = (
                    f"{outcome['error']} The endpoint is now marked failing: nothing more is sent to it "
                    "until an owner re-enables it."
                )[:ERROR_LIMIT]
                _give_up_waiting(delivery.endpoint_id, but=delivery.pk)
                # Only the attempt that marks it gets here (failing_since was empty): owners hear once a spell.
                notifications.webhook_failing(
                    endpoint=WebhookEndpoint.objects.select_related("organisation").get(
                        pk=delivery.endpoint_id
                    )
                )
        if retry_in is None:
            _finish(delivery, DeliveryStatus.FAILED, **outcome)
        else:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=timezone.now() + datetime.timedelta(seconds=retry_in), **outcome
            )
    return retry_in


def _give_up_waiting(endpoint_id: int, but: int) -> None:
    WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING).exclude(
        Q(pk=but) | Q(event=WebhookEvent.PING)
    ).update(
        status=DeliveryStatus.FAILED,
        error="Not sent: the endpoint was marked failing.",
        finished_at=timezone.now(),
    )


def lost(now: datetime.datetime | None = None, grace: float = 300.0) -> list[tuple[int, int]]:
    """(delivery, next attempt number) of the deliveries a lost task left waiting: due more than `grace` seconds
    ago, or claimed that long ago and never finished (the worker died). Those that have had all their attempts
    are failed here instead."""
    now = now or timezone.now()
    waiting = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).annotate(
        due=Coalesce("next_attempt_at", "last_attempt_at", "created_at")
    )
    found = list(
        waiting.filter(due__lt=now - datetime.timedelta(seconds=grace)).values_list("pk", "attempts", "event")
    )
    again: list[tuple[int, int]] = []
    spent: list[tuple[int, int]] = []
    for pk, attempts, event in found:
        (again if attempts < max_attempts(event) else spent).append((pk, attempts + 1))
    if spent:
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in spent], status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            error="Stopped: the last attempt was cut short (its worker stopped) and no attempts were left.",
            finished_at=now,
        )
    return again


def prune(now: datetime.datetime | None = None) -> int:
    """Delete finished deliveries older than WEBHOOKS_LOG_DAYS; how many."""
    now = now or timezone.now()
    deleted, _ = WebhookDelivery.objects.filter(
        finished_at__lt=now - datetime.timedelta(days=settings.WEBHOOKS_LOG_DAYS)
    ).delete()
    return deleted
