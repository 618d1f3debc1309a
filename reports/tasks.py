"""Report jobs in the worker: thin tasks over reports.jobs (the lease) and reports.documents (the PDF).

`render_report` is acknowledged late and rejected back to the broker if its worker dies, so a killed worker's
job is delivered again; the lease (reports.jobs.claim) makes a second delivery of a live job do nothing. The
broker's visibility timeout is longer than the hard time limit (settings), so a long render is never handed to
a second worker while the first still works on it. Transient errors (the database or broker dropping a
connection) are retried with backoff; anything else fails the job with its reason.
"""

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from reports import documents, jobs, mail
from reports.models import Report

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TIME_LIMIT,
    max_retries=settings.REPORT_MAX_ATTEMPTS,
)
def render_report(self, report_id: int) -> str:
    held = jobs.claim(report_id)
    if held is jobs.BUSY:
        raise self.retry(countdown=settings.REPORT_BUSY_RETRY_SECONDS)
    if not isinstance(held, jobs.Claim):
        return "not ours"
    started = time.perf_counter()
    report = Report.objects.select_related("organisation", "project").get(pk=report_id)
    try:
        with jobs.heartbeat(held):
            document = documents.render(report, jobs.progress_of(held))
    except jobs.LeaseLost:
        return "lease lost"
    except SoftTimeLimitExceeded:
        jobs.fail(held, f"It took longer than {settings.REPORT_SOFT_TIME_LIMIT} seconds to make.")
        return "too slow"
    except TRANSIENT as error:
        jobs.release(held, type(error).__name__)
        raise self.retry(exc=error, countdown=min(2**self.request.retries * 5, 300)) from error
    except Exception as error:
        logger.exception("report %s could not be made", report_id)
        jobs.fail(held, f"The report could not be made ({type(error).__name__}: {error}).")
        return "failed"
    if not jobs.complete(held, document.pdf, document.pages, document.as_of, started):
        return "lease lost"
    if report.schedule_id is not None:
        email_report_links.delay(report_id)
    return "done"


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def email_report_links(report_id: int) -> int:
    return mail.send_report_links(report_id)


@shared_task
def sweep_abandoned_reports() -> int:
    """Enqueue again the jobs whose worker died (or whose message was lost), and delete files a killed worker
    left unrecorded; how many jobs were enqueued."""
    found = jobs.abandoned()
    for report_id in found:
        render_report.delay(report_id)
    jobs.orphan_files_delete()
    return len(found)
