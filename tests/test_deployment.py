"""docker-compose.yml and the Dockerfile, checked against the project without a Docker engine.

Every command a service runs must name something that exists here, every variable the settings demand must
be given, and the pieces that can run outside a container (settings, collectstatic, gunicorn with the web
service's environment, the web healthcheck) are run for real.
"""

import fnmatch
import importlib
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from celery.app.utils import find_app
from django.conf import settings
from django.core.management import get_commands
from django.db import connection
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from threatmodel.celery import app as celery_app

BASE_DIR = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
COMPOSE: dict[str, Any] = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
LONG_RUNNING = ["postgres", "redis", "web", "worker", "beat"]
APP_SERVICES = ["migrate", "web", "worker", "beat"]
IMAGE_HOME = Path("/app")

# Stand-ins for what an operator puts in .env; the compose file refuses to start without them.
OPERATOR_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "threats.example.com",
    "SITE_URL": "https://threats.example.com",
    "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME:?error} and $$, as `docker compose config` resolves them."""

    def resolve(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise LookupError(f"{name}: {argument}")
        return argument or ""

    resolved = re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", resolve, value)
    return resolved.replace("$$", "$")


def service_environment(service: str, env: dict[str, str] = OPERATOR_ENV) -> dict[str, str]:
    """The variables the container gets; a variable given without a value is passed on only when set."""
    given: dict[str, str | None] = SERVICES[service].get("environment", {})
    return {name: interpolate(str(value), env) for name, value in given.items() if value is not None} | {
        name: env[name] for name, value in given.items() if value is None and name in env
    }


def required_by_settings() -> set[str]:
    return set(
        re.findall(r'env_required\(\s*"(\w+)"', (BASE_DIR / "threatmodel" / "settings.py").read_text())
    )


@dataclass
class Instruction:
    keyword: str
    arguments: str


def dockerfile() -> list[Instruction]:
    text = re.sub(r"\\\n", " ", (BASE_DIR / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [Instruction(*line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def dockerignore_patterns() -> list[str]:
    lines = (BASE_DIR / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "is_dockerignored does not handle exceptions"
    return patterns


def _matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Docker's matching: `*` and `?` stay within a path segment; `**` spans any number of segments."""
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_matches(path[start:], pattern[1:]) for start in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], pattern[0]) and _matches(path[1:], pattern[1:])


def is_dockerignored(path: str) -> bool:
    """Whether the build context leaves out the path, or a folder it is in."""
    parts = Path(path).parts
    return any(
        _matches(parts[:length], tuple(pattern.split("/")))
        for pattern in dockerignore_patterns()
        for length in range(1, len(parts) + 1)
    )


def url_of_test_database() -> str:
    database = connection.settings_dict
    credentials = quote(database["USER"], safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgresql://{credentials}@{quote(database['HOST'], safe='')}{port}/{database['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthcheck_command(service: str) -> list[str]:
    test = SERVICES[service]["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", interpolate(test, {})]
    kind, *command = test
    if kind == "CMD-SHELL":
        return ["sh", "-c", interpolate(command[0], {})]
    assert kind == "CMD"
    return [interpolate(part, {}) for part in command]


def local_environment(service: str, **overrides: str) -> dict[str, str]:
    """The service's environment, run on this machine: our PostgreSQL and Redis instead of the compose hosts."""
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(BASE_DIR),
        **service_environment(service),
        "DATABASE_URL": url_of_test_database(),
        "REDIS_URL": settings.REDIS_URL,
        **overrides,
    }


def test_it_runs_the_five_services_and_a_one_shot_migration() -> None:
    assert set(SERVICES) == {*LONG_RUNNING, "migrate"}
    assert SERVICES["migrate"]["restart"] == "no"


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(service: str) -> None:
    healthcheck = SERVICES[service]["healthcheck"]
    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}
    assert {"interval", "timeout", "retries"} <= set(healthcheck)


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_the_app_starts_once_state_is_healthy_and_migrated(service: str) -> None:
    assert SERVICES[service]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }


def test_the_migration_waits_only_for_the_database() -> None:
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_the_web_command_serves_our_wsgi_application() -> None:
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn"
    assert (BASE_DIR / command[command.index("--config") + 1]).is_file()
    module, _, attribute = command[-1].partition(":")
    application = getattr(importlib.import_module(module), attribute)
    assert callable(application)


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_the_celery_commands_find_our_app(service: str) -> None:
    command = SERVICES[service]["command"]
    assert command[:2] == ["celery", "-A"]
    assert find_app(command[2]) is celery_app
    assert command[3] == service


def test_the_migrate_command_exists() -> None:
    command = SERVICES["migrate"]["command"]
    assert command[:2] == ["python", "manage.py"]
    assert (BASE_DIR / "manage.py").is_file()
    assert command[2] in get_commands()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_app_service_gives_what_the_settings_require(service: str) -> None:
    assert required_by_settings() >= {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
    environment = SERVICES[service]["environment"]
    assert required_by_settings() <= set(environment)
    assert environment["DEBUG"] == "false"


def test_the_compose_file_refuses_to_start_without_the_operators_secrets() -> None:
    for name in OPERATOR_ENV:
        with pytest.raises(LookupError, match=name):
            service_environment("web", {k: v for k, v in OPERATOR_ENV.items() if k != name})


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_settings_load_with_nothing_but_the_services_environment(service: str) -> None:
    environment = {"PATH": os.environ["PATH"], **service_environment(service)}
    result = subprocess.run(
        [sys.executable, "-c", "import threatmodel.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"],
        env=environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['threats.example.com']"


def test_the_beat_healthcheck_watches_the_file_beat_writes() -> None:
    schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).relative_to(BASE_DIR)
    assert str(IMAGE_HOME / schedule) in " ".join(SERVICES["beat"]["healthcheck"]["test"])


def test_the_worker_healthcheck_pings_the_workers_own_node() -> None:
    assert "inspect ping --destination celery@$HOSTNAME" in " ".join(healthcheck_command("worker"))


def test_the_dockerfile_copies_only_files_that_exist_and_reach_the_build() -> None:
    copies = [shlex.split(i.arguments) for i in dockerfile() if i.keyword == "COPY"]
    assert copies
    for *sources, _destination in copies:
        for source in sources:
            assert not source.startswith("--"), "no COPY --from or --chown expected"
            assert (BASE_DIR / source).exists(), source
            assert source == "." or not is_dockerignored(source), source


def test_the_build_context_has_the_app_and_leaves_out_local_state() -> None:
    local_apps = [app for app in settings.INSTALLED_APPS if (BASE_DIR / app).is_dir()]
    for needed in ["manage.py", "threatmodel/settings.py", "templates", "static", *local_apps]:
        assert not is_dockerignored(needed), needed
    for kept_out in [
        ".git",
        ".venv",
        ".data/postgres",
        ".env",
        "projects/__pycache__/models.cpython-313.pyc",
    ]:
        assert is_dockerignored(kept_out), kept_out


def test_the_image_leaves_out_only_development_packages() -> None:
    argument = next(
        i.arguments for i in dockerfile() if i.keyword == "ARG" and "DEVELOPMENT_ONLY" in i.arguments
    )
    left_out = set(shlex.split(argument.partition("=")[2])[0].split())
    listed = set(re.sub(r"#.*", "", (BASE_DIR / "system-packages.txt").read_text()).split())
    assert left_out == {"chromium", "git", "make", "python3-venv"}
    assert left_out <= listed


def test_the_image_installs_dependencies_pinned_by_the_lock() -> None:
    installs = [i.arguments for i in dockerfile() if i.keyword == "RUN" and "pip install" in i.arguments]
    assert any("-c requirements.lock" in run for run in installs)


def pins(lines: list[str]) -> dict[str, str]:
    """`name==version` lines by normalised name (PEP 503), so Django and django, a_b and a-b are one; extras
    such as `celery[redis]` name the package they extend."""
    found = (line.split("==", 1) for line in lines if "==" in line and not line.lstrip().startswith("#"))
    return {
        re.sub(r"[-_.]+", "-", name.split("[", 1)[0].strip()).lower(): version.strip()
        for name, version in found
    }


def test_the_lock_pins_each_runtime_dependency_as_pyproject_does() -> None:
    """The image installs pyproject's dependencies constrained by the lock: were they to disagree, it would
    not build."""
    wanted = pins(tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["dependencies"])
    locked = pins((BASE_DIR / "requirements.lock").read_text().splitlines())
    assert {name: locked.get(name) for name in wanted} == wanted


# What the web, worker and beat processes load; prints the distributions that provide it.
RUNTIME_IMPORTS = """
import json, sys
already_loaded = set(sys.modules)
import django
django.setup()
import threatmodel.wsgi
from threatmodel.celery import app
app.loader.import_default_modules()
app.connection_for_write().transport
app.backend
import celery.apps.beat, celery.apps.worker, celery.bin.celery
import gunicorn.app.wsgiapp, gunicorn.workers.sync
from importlib.metadata import packages_distributions
owners = packages_distributions()
loaded = {name.split(".")[0] for name in set(sys.modules) - already_loaded}
print(json.dumps(sorted({owner for name in loaded for owner in owners.get(name, [])})))
"""

# Imported when installed, and fine without: libraries try them and carry on.
OPTIONAL_IMPORTS = {
    "pygments": "Django REST framework highlights its browsable API with it",
    "greenlet": "Celery uses it for greenlet pools, which we do not run",
}


def runtime_closure() -> set[str]:
    """Every distribution pyproject's dependencies bring in, with the extras they ask for."""
    wanted = [
        Requirement(line)
        for line in tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["dependencies"]
    ]
    extras: dict[str, set[str]] = {}
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in extras and set(requirement.extras) <= extras[name]:
            continue
        asked = extras.setdefault(name, set())
        asked.update(requirement.extras)
        for line in metadata.requires(name) or []:
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in {"", *asked}):
                wanted.append(needed)
    return set(extras)


def test_the_runtime_dependencies_provide_everything_the_services_load() -> None:
    """The image installs pyproject's dependencies only; here the development tools are installed too and can
    hide a module that only they bring in (kombu's Redis transport needs `packaging`, from its redis extra)."""
    result = subprocess.run(
        [sys.executable, "-c", RUNTIME_IMPORTS],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "threatmodel.settings",
            **service_environment("worker"),
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = {canonicalize_name(name) for name in json.loads(result.stdout.splitlines()[-1])}
    project = canonicalize_name(tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["name"])
    assert loaded - runtime_closure() - set(OPTIONAL_IMPORTS) - {project} == set()


def test_the_image_runs_as_an_unprivileged_user() -> None:
    instructions = dockerfile()
    user = [i.arguments for i in instructions if i.keyword == "USER"][-1]
    assert user not in {"root", "0"}
    assert instructions[-1].keyword == "CMD"
    assert any(i.keyword == "ENV" and "DEBUG=false" in i.arguments for i in instructions)


def test_collectstatic_at_build_time_gives_every_page_its_hashed_files(tmp_path: Path) -> None:
    run = next(i.arguments for i in dockerfile() if "collectstatic" in i.arguments)
    build_environment = dict(re.findall(r"\b([A-Z_]+)=(\S+)", run.partition("python manage.py")[0]))
    assert build_environment["DEBUG"] == "false"
    # The same command, collecting into a temporary folder instead of the shared .data/staticfiles; then a
    # page served from what it collected, as production serves it: a file missing from the manifest is a 500.
    script = """
import sys, django
from django.conf import settings
settings.STATIC_ROOT = sys.argv[1]
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)
response = Client(SERVER_NAME=settings.ALLOWED_HOSTS[0]).get("/accounts/login/", secure=True)
print(response.status_code)
print(response.content.decode())
"""
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "threatmodel.settings",
            **build_environment,
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    status, page = result.stdout.split("\n", 1)
    assert status == "200", page
    assert (tmp_path / "staticfiles.json").is_file()
    assert re.search(r'href="/static/css/app\.[0-9a-f]{12}\.css"', page)


StartWeb = Callable[..., dict[str, str]]


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise TimeoutError(f"nothing listens on port {port} after 30 seconds:\n{log.read_text()}")


@pytest.fixture
def gunicorn(db: None, tmp_path: Path) -> Iterator[StartWeb]:
    """Yields a function that runs the web service's command here, with overrides, and waits until it listens."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(**overrides: str) -> dict[str, str]:
        environment = local_environment("web", PORT=str(free_port()), WEB_CONCURRENCY="1", **overrides)
        log = tmp_path / f"web-{len(processes)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                SERVICES["web"]["command"],
                env=environment,
                cwd=BASE_DIR,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        wait_until_listening(int(environment["PORT"]), process, log)
        return environment

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def test_the_web_healthcheck_passes_against_the_served_app(gunicorn: StartWeb) -> None:
    environment = gunicorn()
    result = subprocess.run(
        healthcheck_command("web"), env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_web_healthcheck_fails_when_the_database_is_down(gunicorn: StartWeb) -> None:
    environment = gunicorn(DATABASE_URL="postgresql://postgres@127.0.0.1:1/threatmodel?connect_timeout=2")
    result = subprocess.run(
        healthcheck_command("web"), env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "HTTP Error 503" in result.stderr
