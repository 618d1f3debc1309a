"""`/healthz`: can this web process reach the database and the broker? Load balancers and Docker ask it.

It answers 200 when both answer and 503 when either does not, so an instance that has lost its shared state
is taken out of rotation instead of serving errors. It needs no sign-in and reveals no more than up or down.
"""

import logging

import redis
from django import db
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# A probe must answer before the load balancer's own timeout does, even when a server hangs.
BROKER_TIMEOUT_SECONDS = 2


def database_ok(database: BaseDatabaseWrapper = db.connection) -> bool:
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except db.Error as error:
        logger.warning("health check: the database does not answer: %s", error)
        return False


def broker_ok(url: str | None = None) -> bool:
    try:
        with redis.Redis.from_url(
            url or settings.CELERY_BROKER_URL,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
        ) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError) as error:
        logger.warning("health check: the broker does not answer: %s", error)
        return False


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"} | {
        name: "ok" if ok else "down" for name, ok in checks.items()
    }
    return JsonResponse(body, status=200 if healthy else 503)
