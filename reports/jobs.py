"""A report job's life in a worker: claim it with a lease, say how far it got, store its PDF, or fail it.

Every step is one conditional UPDATE, so two deliveries of the same task (a redelivery after a worker died, a
retry) cannot both work on a job: the one that claims it holds a lease token, every later write names that
token, and a job whose lease ran out (its worker died) is claimed again by whichever delivery comes next.
After MAX_ATTEMPTS claims the job fails with its reason instead of being tried for ever.

Rendering itself is reports.documents; this module knows nothing of what a report contains.
"""

import datetime
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from projects.webhook_payloads import report_data
from projects.webhooks import emit
from reports.models import OPEN_STATUSES, REPORT_FOLDER, Report, ReportStatus

logger = logging.getLogger(__name__)


def lease_length() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.REPORT_LEASE_SECONDS)


@dataclass(frozen=True)
class Claim:
    report_id: int
    token: str


class Busy:
    """The organisation already has as many reports being made as it may: try again shortly."""


BUSY = Busy()
_LOCK_NAMESPACE = 5_002  # advisory locks: one claim at a time per organisation, so the cap holds


def claim(report_id: int) -> Claim | Busy | None:
    """Take the job if it waits, or if its worker's lease ran out. BUSY when its organisation already has
    REPORT_MAX_RUNNING_PER_ORGANISATION jobs running; None when another holds it, it is finished, or it has had
    its attempts (then it is failed here, with why)."""
    now = timezone.now()
    token = secrets.token_hex(16)
    claimable = Q(status=ReportStatus.QUEUED) | Q(status=ReportStatus.RUNNING, lease_until__lt=now)
    organisation_id = Report.objects.filter(pk=report_id).values_list("organisation_id", flat=True).first()
    if organisation_id is None:
        return None
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, organisation_id])
        running = Report.objects.filter(
            organisation_id=organisation_id, status=ReportStatus.RUNNING, lease_until__gte=now
        ).exclude(pk=report_id)
        if running.count() >= settings.REPORT_MAX_RUNNING_PER_ORGANISATION:
            return BUSY
        taken = Report.objects.filter(
            claimable, pk=report_id, attempts__lt=settings.REPORT_MAX_ATTEMPTS
        ).update(
            status=ReportStatus.RUNNING,
            lease_token=token,
            lease_until=now + lease_length(),
            attempts=F("attempts") + 1,
            started_at=now,
            progress=0,
            stage="Starting",
        )
    if taken:
        return Claim(report_id, token)
    gave_up = Report.objects.filter(
        claimable, pk=report_id, attempts__gte=settings.REPORT_MAX_ATTEMPTS
    ).update(
        status=ReportStatus.FAILED,
        error=f"Stopped after {settings.REPORT_MAX_ATTEMPTS} attempts: the worker stopped each time before the "
        "report was finished.",
        finished_at=now,
        lease_token="",
        lease_until=None,
    )
    if gave_up:
        logger.warning("report %s failed after %s attempts", report_id, settings.REPORT_MAX_ATTEMPTS)
    return None


def report_progress(held: Claim, percent: int, stage: str) -> bool:
    """Say how far the job got, and renew the lease; False when the lease was lost (stop working on it)."""
    return bool(
        Report.objects.filter(pk=held.report_id, lease_token=held.token, status=ReportStatus.RUNNING).update(
            progress=max(0, min(percent, 99)),
            stage=stage[:200],
            lease_until=timezone.now() + lease_length(),
        )
    )


def progress_of(held: Claim) -> Callable[[int, str], None]:
    """A progress callback for the renderer, which stops the rendering once the lease is lost."""

    def progress(percent: int, stage: str) -> None:
        if not report_progress(held, percent, stage):
            raise LeaseLost(f"report {held.report_id} is no longer ours")

    return progress


class LeaseLost(Exception):
    """Another delivery holds the job now (ours ran past its lease): stop, and leave the job to it."""


def complete(held: Claim, pdf: bytes, pages: int, as_of: datetime.datetime, started: float) -> bool:
    """Store the PDF and mark the job done, if we still hold it; False (and no file kept) if we do not."""
    report = Report.objects.filter(pk=held.report_id, lease_token=held.token).first()
    if report is None:
        return False
    report.file.save("report.pdf", ContentFile(pdf), save=False)
    try:
        done = Report.objects.filter(
            pk=held.report_id, lease_token=held.token, status=ReportStatus.RUNNING
        ).update(
            status=ReportStatus.DONE,
            file=report.file.name,
            file_size=len(pdf),
            page_count=pages,
            as_of=as_of,
            progress=100,
            stage="Ready",
            error="",
            finished_at=timezone.now(),
            render_seconds=time.perf_counter() - started,
            lease_token="",
            lease_until=None,
        )
    except BaseException:
        report.file.delete(save=False)  # no row names it: do not leave it behind
        raise
    if not done:
        report.file.delete(save=False)  # another delivery took the job over: its file is the one kept
    else:
        emit(
            organisation=report.organisation_id,
            event="report.ready",
            data=lambda: report_data(
                Report.objects.select_related("organisation", "project", "requested_by").get(
                    pk=held.report_id
                )
            ),
        )
    return bool(done)


@contextmanager
def heartbeat(held: Claim) -> Iterator[None]:
    """Renew the lease every third of its length while the body runs (WeasyPrint's layout says nothing for
    long stretches), so a live worker never loses its job to the sweeper; a dead one stops renewing it."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.REPORT_LEASE_SECONDS / 3):
                Report.objects.filter(
                    pk=held.report_id, lease_token=held.token, status=ReportStatus.RUNNING
                ).update(lease_until=timezone.now() + lease_length())
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"report-{held.report_id}-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail(held: Claim, reason: str) -> None:
    Report.objects.filter(pk=held.report_id, lease_token=held.token).update(
        status=ReportStatus.FAILED,
        error=reason[:2_000],
        finished_at=timezone.now(),
        lease_token="",
        lease_until=None,
    )


def release(held: Claim, reason: str) -> None:
    """Give the job back to the queue for a retry (a transient error), keeping its attempts."""
    Report.objects.filter(pk=held.report_id, lease_token=held.token).update(
        status=ReportStatus.QUEUED,
        stage=f"Waiting to try again: {reason}"[:200],
        lease_token="",
        lease_until=None,
    )


def abandoned(now: datetime.datetime | None = None) -> list[int]:
    """Jobs whose worker's lease ran out (it died) and jobs still waiting after the broker's visibility
    timeout (their message was lost): the sweeper enqueues them again, and claim() decides whether each is
    still to be done. A job merely waiting its turn behind busy workers is left alone."""
    now = now or timezone.now()
    lost = datetime.timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    stale = Q(status=ReportStatus.RUNNING, lease_until__lt=now) | Q(
        status=ReportStatus.QUEUED, created_at__lt=now - lost
    )
    return list(Report.objects.filter(stale, status__in=OPEN_STATUSES).values_list("pk", flat=True))


def orphan_files_delete(now: datetime.datetime | None = None) -> int:
    """Delete stored PDFs that no report names, older than the hard time limit (a worker killed between writing
    the file and recording it); how many."""
    now = now or timezone.now()
    oldest = now - datetime.timedelta(seconds=settings.REPORT_TIME_LIMIT)
    try:
        _, names = default_storage.listdir(REPORT_FOLDER)
    except FileNotFoundError:
        return 0
    stored = {f"{REPORT_FOLDER}/{name}" for name in names}
    known = set(Report.objects.filter(file__in=stored).values_list("file", flat=True))
    deleted = 0
    for name in sorted(stored - known):
        if default_storage.get_modified_time(name) < oldest:
            default_storage.delete(name)
            deleted += 1
    return deleted
