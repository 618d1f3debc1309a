import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client
from pytest_django.fixtures import Settings

from threatmodel.health import broker_ok, database_ok

# Nothing listens on port 1: connections to it are refused at once.
CLOSED_PORT = 1


def test_it_reports_the_database_and_the_broker_up(db: None, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_it_answers_503_when_the_broker_is_down(db: None, client: Client, settings: Settings) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "down"}


def test_the_database_check_fails_against_a_closed_port(db: None) -> None:
    unreachable = DatabaseWrapper(
        {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": CLOSED_PORT}, alias="unreachable"
    )
    try:
        assert database_ok(unreachable) is False
    finally:
        unreachable.close()
    assert database_ok() is True


def test_the_broker_check_fails_against_a_closed_port() -> None:
    assert broker_ok(f"redis://127.0.0.1:{CLOSED_PORT}/0") is False
    assert broker_ok(django_settings.CELERY_BROKER_URL) is True


def test_it_answers_503_when_the_database_is_down() -> None:
    """The whole view in a fresh process whose DATABASE_URL names a closed port."""
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "response = Client().get('/healthz'); print(response.status_code, json.dumps(response.json()))"
    )
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "threatmodel.settings",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/threatmodel",
        "REDIS_URL": django_settings.REDIS_URL,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"status": "unavailable", "database": "down", "broker": "ok"}


def test_it_needs_no_sign_in_and_is_never_cached(db: None, client: Client) -> None:
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_it_answers_head_for_load_balancers(db: None, client: Client) -> None:
    assert client.head("/healthz").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_rejects_writes(client: Client, method: str) -> None:
    assert getattr(client, method)("/healthz").status_code == 405
