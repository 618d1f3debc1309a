"""Background work through a real Celery worker and the real broker (REDIS_URL), never in-process.

Each test gets a queue of its own, so test runs that share a broker (pytest-xdist, two developers on one
Redis) never take each other's tasks.
"""

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import celery.contrib.testing.tasks  # noqa: F401 (registers the ping that start_worker waits for)
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.utils import timezone

from projects.models import Invitation
from projects.roles import Role
from projects.services import invitation_create
from projects.tasks import expire_invitations
from tests.conftest import Cast
from tests.factories import InvitationFactory
from tests.test_deployment import SERVICES, healthcheck_command, local_environment
from threatmodel.celery import app as celery_app

pytestmark = pytest.mark.worker

BASE_DIR = Path(settings.BASE_DIR)
TASK_TIMEOUT_SECONDS = 30


def eventually[T](probe: Callable[[], T | None], timeout: float = TASK_TIMEOUT_SECONDS) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.1)
    raise TimeoutError(f"nothing after {timeout} seconds")


@pytest.fixture
def own_queue(transactional_db: None) -> Iterator[str]:
    """Send tasks to the broker, on a queue of this test's own, instead of running them in-process.

    The worker runs in another thread or process, with connections of its own, so it can only see rows that
    are committed: hence a transactional database.
    """
    queue = f"test-{uuid.uuid4().hex}"
    saved = {
        name: celery_app.conf[name]
        for name in ["task_always_eager", "task_default_queue", "worker_hijack_root_logger"]
    }
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue, worker_hijack_root_logger=False)
    try:
        yield queue
    finally:
        celery_app.conf.update(saved)


@pytest.fixture
def worker(own_queue: str) -> Iterator[None]:
    """A worker in a thread of this process: it shares Django's in-memory outbox with the test."""
    with start_worker(celery_app, pool="solo", queues=[own_queue], loglevel="WARNING", shutdown_timeout=30):
        yield


def test_the_worker_sends_the_invitation_email(worker: None, cast: Cast) -> None:
    invitation = invitation_create(
        organisation=cast.organisation,
        email="New.Person@acme.test",
        role=Role.ENGINEER,
        invited_by=cast.owner,
    )

    message = eventually(lambda: next((m for m in mail.outbox if m.to == ["new.person@acme.test"]), None))
    assert message.subject == "You are invited to Acme Payments on Threat Model"
    assert invitation.token in message.body


def test_a_task_round_trips_through_the_broker(worker: None, cast: Cast) -> None:
    stale = InvitationFactory.create(
        organisation=cast.organisation, expires_at=timezone.now() - timedelta(days=8)
    )
    fresh = InvitationFactory.create(organisation=cast.organisation)

    assert expire_invitations.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 1
    assert list(Invitation.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not Invitation.objects.filter(pk=stale.pk).exists()


@pytest.fixture
def compose_worker(own_queue: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """docker-compose.yml's worker command and environment, run here against our database and broker.

    Yields the environment its healthcheck runs in: HOSTNAME is the worker's node name, as in a container.
    """
    hostname = f"test-worker-{own_queue}"
    environment = local_environment("worker", HOSTNAME=hostname)
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*SERVICES["worker"]["command"], "--queues", own_queue, "--hostname", f"celery@{hostname}"],
            env=environment,
            cwd=BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def ready_or_exited() -> bool | None:
        return f"celery@{hostname} ready." in log.read_text() or process.poll() is not None or None

    try:
        eventually(ready_or_exited)
        assert process.poll() is None, log.read_text()
        yield environment
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, log.read_text()


def run_worker_healthcheck(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        healthcheck_command("worker"),
        env=environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_compose_worker_answers_its_healthcheck_and_runs_tasks(
    compose_worker: dict[str, str], cast: Cast
) -> None:
    healthcheck = run_worker_healthcheck(compose_worker)
    assert healthcheck.returncode == 0, healthcheck.stdout + healthcheck.stderr
    InvitationFactory.create(organisation=cast.organisation, expires_at=timezone.now() - timedelta(days=30))

    assert expire_invitations.delay().get(timeout=TASK_TIMEOUT_SECONDS) == 1
    assert not Invitation.objects.exists()


def test_the_worker_healthcheck_fails_when_no_worker_answers(own_queue: str) -> None:
    # The same command, waiting one second for a reply instead of ten: the last --timeout given wins.
    command = healthcheck_command("worker")
    command[-1] += " --timeout 1"
    environment = local_environment("worker", HOSTNAME=f"nobody-{own_queue}")
    result = subprocess.run(
        command, env=environment, cwd=BASE_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "No nodes replied" in result.stdout + result.stderr
