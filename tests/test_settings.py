"""The settings module read the way production reads it: from an environment holding nothing else."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(settings.BASE_DIR)
SETTINGS_FILE = BASE_DIR / "threatmodel" / "settings.py"


def production_environment() -> dict[str, str]:
    """What an operator must give. REDIS_URL is among it: the cache and Celery need it, and there is no safe
    default for a container, so the settings demand it even for `check`, as they do DATABASE_URL."""
    return {
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "threats.example.com",
        "SITE_URL": "https://threats.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or "postgresql://threatmodel@db.example.com/threatmodel",
        "REDIS_URL": "redis://broker.example.com:6379/0",
    }


def deploy_check(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={"PATH": os.environ["PATH"], **environment},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def load_settings(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> dict[str, object]:
    """Run settings.py afresh in this process with exactly these variables among those it reads."""
    for name in [*production_environment(), "SECURE_HSTS_PRELOAD"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_the_deploy_check_passes_with_only_the_production_variables() -> None:
    assert len(production_environment()["SECRET_KEY"]) >= 50
    result = deploy_check(production_environment())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("System check identified no issues")
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deploy_check_fails_on_a_weak_secret_key() -> None:
    result = deploy_check(production_environment() | {"SECRET_KEY": "short"})
    assert result.returncode == 1
    assert "security.W009" in result.stderr


def test_the_deploy_check_fails_with_debug_on() -> None:
    result = deploy_check(production_environment() | {"DEBUG": "true"})
    assert result.returncode == 1
    assert "security.W018" in result.stderr


@pytest.mark.parametrize("name", ["SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    environment = {k: v for k, v in production_environment().items() if k != name}
    with pytest.raises(ImproperlyConfigured, match=f"^{name} is not set"):
        load_settings(monkeypatch, environment)


def test_importing_the_settings_without_secret_key_fails_loudly() -> None:
    environment = {k: v for k, v in production_environment().items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", "import threatmodel.settings"],
        env={"PATH": os.environ["PATH"], **environment},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_development_needs_neither_secret_key_nor_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = production_environment()
    for name in ["DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"]:
        del environment[name]
    loaded = load_settings(monkeypatch, environment)
    assert loaded["DEBUG"] is True
    assert loaded["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]


def test_an_unreadable_debug_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        load_settings(monkeypatch, production_environment() | {"DEBUG": "maybe"})


@pytest.mark.parametrize(
    ("redis_url", "cache_url"),
    [
        ("redis://broker.example.com:6379/0", "redis://broker.example.com:6379/1"),
        ("redis://:secret@broker.example.com:6380/15", "redis://:secret@broker.example.com:6380/0"),
        ("redis://broker.example.com:6379", "redis://broker.example.com:6379/1"),
    ],
)
def test_the_cache_keeps_to_a_database_of_its_own(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, cache_url: str
) -> None:
    """Clearing the cache flushes its database; the broker's queued tasks must not be in it."""
    monkeypatch.delenv("CACHE_URL", raising=False)
    loaded = load_settings(monkeypatch, {**production_environment(), "REDIS_URL": redis_url})
    assert loaded["CELERY_BROKER_URL"] == redis_url
    assert loaded["CACHES"]["default"]["LOCATION"] == cache_url  # type: ignore[index]


def test_the_cache_can_live_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CACHE_URL", "redis://cache.example.com:6379/0")
    loaded = load_settings(monkeypatch, production_environment())
    assert loaded["CACHES"]["default"]["LOCATION"] == "redis://cache.example.com:6379/0"  # type: ignore[index]
