"""An executive's PDF in a real browser: the button on the dashboard asks for the executive summary, the report's
page shows it waiting and then being made while a real Celery worker renders it, and offers the file, which is a
PDF with the organisation's name in it.

Elsewhere the browser tests run tasks eagerly in-process (tests/conftest.py), so the job would be done before
the report's page loaded and no progress would be seen. Here the job goes to the real broker, on a queue of the
test's own (tests/test_worker.py), and the worker starts only once the page shows the job waiting: the polling
is then seen to carry the page from waiting to ready, with nothing timed by sleeps.
"""

import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from reports.models import Report, ReportKind, ReportStatus
from risks.models import BusinessRisk
from tests import test_worker
from tests.browser import test_risk_dashboard
from tests.browser.conftest import sign_in
from tests.conftest import Cast
from tests.test_report_pdf import read_pdf
from tests.test_worker import TASK_TIMEOUT_SECONDS
from threatmodel.celery import app as celery_app

pytestmark = [pytest.mark.browser, pytest.mark.worker]

own_queue, estate = test_worker.own_queue, test_risk_dashboard.estate  # their fixtures, shared

# Records the text of the report's status region each time htmx swaps it in, so the test can read the states the
# page went through after the fact (a swap replaces the element, so the observer watches its parent).
RECORD_STATES = """() => {
    window.reportStates = [];
    const region = document.getElementById("report-status").parentElement;
    new MutationObserver(() => {
        const status = document.getElementById("report-status");
        if (status) window.reportStates.push(status.textContent.replace(/\\s+/g, " ").trim());
    }).observe(region, {childList: true});
}"""
PERCENT = re.compile(r"Being made, (\d+) %")


@pytest.fixture
def queue(estate: list[BusinessRisk], own_queue: str) -> str:
    """The test's own queue, switched on once the estate is built: its recomputations ran in-process."""
    return own_queue


def test_an_executive_asks_for_the_summary_watches_it_being_made_and_downloads_the_pdf(
    cast: Cast, queue: str, context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    sign_in(context, live_server, cast.viewer)
    page.goto("/o/acme/")

    page.get_by_role("button", name="Executive summary (PDF)").click()

    expect(page).to_have_url(re.compile(r"/o/acme/reports/\d+/$"))
    report = Report.objects.get(organisation=cast.organisation)
    assert (report.kind, report.status, report.requested_by) == (
        ReportKind.EXECUTIVE_SUMMARY,
        ReportStatus.QUEUED,
        cast.viewer,
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Executive summary")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Waiting for a worker")
    expect(status.get_by_role("progressbar", name="Progress")).to_be_visible()
    expect(status.get_by_role("link", name="Download the PDF")).to_have_count(0)
    page.evaluate(RECORD_STATES)

    with start_worker(celery_app, pool="solo", queues=[queue], loglevel="WARNING", shutdown_timeout=30):
        expect(status).to_contain_text("Ready", timeout=TASK_TIMEOUT_SECONDS * 1_000)

    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    expect(status.get_by_role("progressbar")).to_have_count(0)
    expect(status).to_contain_text(f"{report.page_count} pages")
    states: list[str] = page.evaluate("window.reportStates")
    assert states
    assert states[-1].startswith("Ready")
    assert all(state.startswith(("Waiting for a worker", "Being made", "Ready")) for state in states), states
    percents = [int(found[1]) for state in states if (found := PERCENT.match(state))]
    assert percents == sorted(percents), f"the progress went backwards: {states}"

    with page.expect_download() as downloading:
        status.get_by_role("link", name="Download the PDF").click()
    download = downloading.value
    assert re.fullmatch(
        r"executive-summary-acme-payments-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename
    )
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    read = read_pdf(data)
    assert len(read.pages) == report.page_count
    assert "Acme Payments" in read.text
    assert "Executive summary" in read.text
