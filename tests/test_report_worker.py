"""PDF reports made by a real Celery worker through the real broker (reports.services, reports.tasks): the
executive summary read back from its PDF with the dashboard's figures; a worker SIGKILLed in the middle of a render
whose job the next worker makes exactly once; a second delivery while the lease is live doing nothing; identical
requests reusing the file until the data changes.

Like tests/test_worker.py, each test has a queue of its own and a transactional database. The crash tests run
`celery worker` as subprocesses, each in a process group of its own so that SIGKILL takes the pool's children with
their parent, and give them a short lease, time limits and visibility timeout in their environment only.
"""

import datetime
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from celery.result import AsyncResult
from celery.signals import after_task_publish
from django.conf import settings

from projects.models import Project
from reports import documents, jobs
from reports.dashboard import DashboardFilters, dashboard
from reports.models import Report, ReportKind, ReportStatus
from reports.services import report_request
from reports.tasks import render_report, sweep_abandoned_reports
from risks import services
from risks.models import BusinessRisk
from risks.tasks import recompute_organisation
from tests import test_worker
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.test_dashboard import build_estate, settings_with_tolerance
from tests.test_deployment import BIN, url_of_test_database
from tests.test_report_executive import HEADINGS, money
from tests.test_report_pdf import ignore_progress, read_pdf
from tests.test_worker import BASE_DIR, TASK_TIMEOUT_SECONDS, eventually
from threatmodel.celery import app as celery_app

pytestmark = pytest.mark.worker

own_queue, worker = test_worker.own_queue, test_worker.worker  # its fixtures, shared

RENDER_TIMEOUT_SECONDS = 45
SLOW_PROJECT_THREATS = 40  # a project report that takes a few seconds to lay out, most of it in WeasyPrint
LAYING_OUT = 60  # the progress reports.documents gives before WeasyPrint lays the pages out
# For the crash test only: a lease that runs out soon after the worker dies, time limits well above the render
# time, and a visibility timeout just longer than the hard limit (the settings refuse a shorter one), so the
# broker hands the dead worker's message back within the test.
SHORT_LIMITS = {
    "REPORT_LEASE_SECONDS": "3",
    "REPORT_SOFT_TIME_LIMIT": "15",
    "REPORT_TIME_LIMIT": "18",
    "CELERY_VISIBILITY_TIMEOUT": "20",
}


@dataclass
class Workers:
    """`celery worker` processes on the test's queue, against its database, broker and media folder."""

    queue: str
    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, name: str, environment: dict[str, str] | None = None, concurrency: int = 1
    ) -> subprocess.Popen[bytes]:
        hostname = f"{name}-{self.queue}"
        log = self.logs / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    *["celery", "-A", "threatmodel", "worker", "--loglevel=INFO", "--pool=prefork"],
                    *[
                        f"--concurrency={concurrency}",
                        "--queues",
                        self.queue,
                        "--hostname",
                        f"celery@{hostname}",
                    ],
                    *["--without-mingle", "--without-gossip"],  # no other workers to hear from: start sooner
                ],
                env=worker_environment(environment or {}),
                cwd=BASE_DIR,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: the pool's children and their parent
            )
        self.started.append(process)
        eventually(
            lambda: f"celery@{hostname} ready." in log.read_text() or process.poll() is not None or None
        )
        assert process.poll() is None, log.read_text()
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its pool's processes at once, as a lost machine or container would."""
        assert len(living_in_group(process.pid)) >= 2  # the worker and its pool's process
        os.killpg(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        eventually(lambda: not living_in_group(process.pid) or None)

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                raise


def living_in_group(group: int) -> list[int]:
    """The processes of a process group that are alive (not zombies waiting to be reaped), from /proc."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis
            state, _, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except OSError:
            continue  # it ended while we looked
        if int(pgrp) == group and state != "Z":
            living.append(int(stat.parent.name))
    return living


def worker_environment(overrides: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(BASE_DIR),
        "DATABASE_URL": url_of_test_database(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **overrides,
    }


@pytest.fixture
def workers(own_queue: str, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(own_queue, tmp_path)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def published() -> Iterator[list[tuple[str, str]]]:
    """(task name, task id) of every task sent to the broker while the test runs."""
    sent: list[tuple[str, str]] = []

    def record(sender: str | None = None, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if sender is not None and headers is not None:
            sent.append((sender, headers["id"]))

    after_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        after_task_publish.disconnect(record)


def ids_of(task: Any, sent: list[tuple[str, str]]) -> list[str]:
    return [task_id for name, task_id in sent if name == task.name]


def result_of(task_id: str) -> Any:
    return AsyncResult(task_id, app=celery_app).get(timeout=TASK_TIMEOUT_SECONDS)


def recomputed(sent: list[tuple[str, str]]) -> None:
    """Wait for the recomputations that edits queued (debounced: all but the last step aside), so that none
    moves the stored figures, and with them a report's fingerprint, under the test."""
    assert [result_of(task_id) for task_id in ids_of(recompute_organisation, sent)][-1] is True


@pytest.fixture
def estate(
    worker: None, published: list[tuple[str, str]], cast: Cast, today: datetime.date
) -> list[BusinessRisk]:
    """The dashboard tests' estate, once the worker has run the recomputations its edits queued."""
    settings_with_tolerance(cast)
    risks = build_estate(cast, 4, today)
    recomputed(published)
    return risks


def slow_project(cast: Cast) -> Project:
    project = ProjectFactory.create(organisation=cast.organisation, team=cast.team, name="Checkout")
    for _ in range(SLOW_PROJECT_THREATS):
        ThreatControlFactory.create(threat=ThreatFactory.create(project=project, likelihood="moderate"))
    return project


def stored_pdfs() -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / "reports").glob("*"))


def finished(report_id: int, seen: list[tuple[str, int]] | None = None) -> Report:
    """The job once a worker has finished it, polling its row as the page's progress bar does; `seen` gathers
    every (status, progress) the polls found on the way."""

    def probe() -> Report | None:
        row = Report.objects.get(pk=report_id)
        if seen is not None and (row.status, row.progress) not in seen:
            seen.append((row.status, row.progress))
        return row if row.finished else None

    return eventually(probe, timeout=RENDER_TIMEOUT_SECONDS)


def laying_out(report_id: int) -> Report:
    """The job once its worker holds it and has read its figures: WeasyPrint is laying the pages out."""
    return eventually(
        lambda: Report.objects.filter(
            pk=report_id, status=ReportStatus.RUNNING, progress__gte=LAYING_OUT
        ).first()
    )


def request_summary(cast: Cast) -> Report:
    return report_request(membership=cast.membership(cast.viewer), kind=ReportKind.EXECUTIVE_SUMMARY)


def test_the_worker_makes_the_executive_summary_with_the_dashboards_figures(
    estate: list[BusinessRisk], cast: Cast, today: datetime.date
) -> None:
    report = request_summary(cast)
    assert report.status == ReportStatus.QUEUED

    seen: list[tuple[str, int]] = []
    done = finished(report.pk, seen)

    assert done.status == ReportStatus.DONE, done.error
    assert any(status == ReportStatus.RUNNING and 0 < progress < 100 for status, progress in seen), seen
    assert seen[-1] == (ReportStatus.DONE, 100)
    assert done.attempts == 1
    read = read_pdf(done.file.read())
    assert done.page_count == len(read.pages)
    assert 2 <= len(read.pages) <= 4
    for heading in HEADINGS:
        assert heading in read.text
    assert all("Acme Payments" in page for page in read.pages)
    headline = dashboard(cast.organisation, DashboardFilters(), today).headline
    assert headline.above_count > 0
    assert (
        f"{headline.above_count} risks are above appetite, carrying {money(headline.above_ale)}" in read.text
    )
    assert stored_pdfs() == [Path(done.file.path)]


def test_a_report_whose_worker_is_killed_mid_render_is_made_exactly_once(
    workers: Workers, published: list[tuple[str, str]], cast: Cast
) -> None:
    project = slow_project(cast)
    first = workers.start("first", SHORT_LIMITS)
    report = report_request(
        membership=cast.membership(cast.engineer), kind=ReportKind.PROJECT, project=project
    )
    (delivery,) = ids_of(render_report, published)

    held = laying_out(report.pk)
    visible_again = time.monotonic() + int(SHORT_LIMITS["CELERY_VISIBILITY_TIMEOUT"])
    workers.kill(first)

    killed = Report.objects.get(pk=report.pk)
    assert (killed.status, killed.attempts, killed.lease_token) == (ReportStatus.RUNNING, 1, held.lease_token)
    assert stored_pdfs() == []  # the killed attempt stored nothing

    # The next worker gets the job when its lease has run out: beat's sweeper (every minute in production,
    # called here) sends it again, long before the broker's visibility timeout would.
    workers.start("second", SHORT_LIMITS)
    eventually(lambda: report.pk in jobs.abandoned() or None)
    assert sweep_abandoned_reports() == 1
    done = finished(report.pk)

    assert done.status == ReportStatus.DONE, done.error
    assert done.attempts == 2
    assert stored_pdfs() == [Path(done.file.path)]
    expected = documents.render(
        Report(organisation=cast.organisation, kind=ReportKind.PROJECT, project=project), ignore_progress
    )
    assert done.page_count == len(read_pdf(done.file.read()).pages) == expected.pages
    assert list(Report.objects.values_list("pk", flat=True)) == [report.pk]

    # Once its visibility timeout has run out, the killed worker's delivery goes back on the queue: a worker
    # that starts then restores it (kombu does when it starts polling, and about every 100 seconds after), and
    # whichever worker takes it finds the job done.
    eventually(lambda: time.monotonic() >= visible_again or None)
    workers.start("restarted", SHORT_LIMITS)
    assert result_of(delivery) == "not ours"
    after = Report.objects.get(pk=report.pk)
    assert (after.status, after.attempts, after.file.name) == (ReportStatus.DONE, 2, done.file.name)
    assert stored_pdfs() == [Path(done.file.path)]


def test_a_second_delivery_while_the_lease_is_live_does_nothing(
    workers: Workers, published: list[tuple[str, str]], cast: Cast
) -> None:
    project = slow_project(cast)
    workers.start("pair", concurrency=2)  # a free process for the second delivery, and the settings' lease
    report = report_request(
        membership=cast.membership(cast.engineer), kind=ReportKind.PROJECT, project=project
    )
    held = laying_out(report.pk)

    assert render_report.delay(report.pk).get(timeout=TASK_TIMEOUT_SECONDS) == "not ours"

    still = Report.objects.get(pk=report.pk)
    assert (still.status, still.attempts, still.lease_token) == (ReportStatus.RUNNING, 1, held.lease_token)
    done = finished(report.pk)
    assert done.status == ReportStatus.DONE, done.error
    assert done.attempts == 1
    assert [result_of(task_id) for task_id in ids_of(render_report, published)] == ["done", "not ours"]
    assert stored_pdfs() == [Path(done.file.path)]


def test_an_identical_request_on_unchanged_data_gets_the_same_file_and_a_change_gets_a_new_one(
    estate: list[BusinessRisk], published: list[tuple[str, str]], cast: Cast
) -> None:
    made = finished(request_summary(cast).pk)
    assert made.status == ReportStatus.DONE, made.error

    again = request_summary(cast)

    assert (again.pk, again.file.name) == (made.pk, made.file.name)
    assert Report.objects.count() == 1
    assert len(ids_of(render_report, published)) == 1

    risk = estate[3]
    services.risk_update(
        membership=cast.membership(cast.security_lead), risk=risk, version=risk.version, title="Ledger forged"
    )
    recomputed(published)
    changed = request_summary(cast)

    assert changed.pk != made.pk
    remade = finished(changed.pk)
    assert remade.status == ReportStatus.DONE, remade.error
    assert "Ledger forged" in read_pdf(remade.file.read()).text
    assert "Ledger forged" not in read_pdf(made.file.read()).text
    assert stored_pdfs() == sorted([Path(made.file.path), Path(remade.file.path)])
    assert request_summary(cast).pk == remade.pk
