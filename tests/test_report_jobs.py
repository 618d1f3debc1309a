"""A report job's lease (reports.jobs): claimed once, renewed by progress, claimed again after its worker died,
finished only by the lease holder, failed after its attempts, and capped per organisation."""

import datetime
import os
import time

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from reports import jobs
from reports.models import REPORT_FOLDER, Report, ReportKind, ReportStatus
from tests.conftest import Cast
from tests.factories import OrganisationFactory


@pytest.fixture
def report(cast: Cast) -> Report:
    return Report.objects.create(organisation=cast.organisation, kind=ReportKind.REGISTER)


def _claimed(report_id: int) -> jobs.Claim:
    held = jobs.claim(report_id)
    assert isinstance(held, jobs.Claim)
    return held


def _expire_lease(report: Report) -> None:
    Report.objects.filter(pk=report.pk).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))


def test_a_waiting_job_is_claimed_once(report: Report) -> None:
    held = _claimed(report.pk)

    assert jobs.claim(report.pk) is None
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING
    assert report.attempts == 1
    assert report.lease_token == held.token
    assert report.lease_until is not None
    assert report.lease_until > timezone.now()


def test_progress_renews_the_lease_and_says_how_far(report: Report) -> None:
    held = _claimed(report.pk)
    before = Report.objects.get(pk=report.pk).lease_until
    time.sleep(0.01)

    assert jobs.report_progress(held, 40, "Drawing the charts")

    report.refresh_from_db()
    assert (report.progress, report.stage) == (40, "Drawing the charts")
    assert before is not None
    assert report.lease_until is not None
    assert report.lease_until > before


def test_a_job_whose_worker_died_is_claimed_again_and_the_old_holder_can_no_longer_touch_it(
    report: Report,
) -> None:
    first = _claimed(report.pk)
    _expire_lease(report)

    second = _claimed(report.pk)

    assert not jobs.report_progress(first, 50, "late")
    with pytest.raises(jobs.LeaseLost):
        jobs.progress_of(first)(50, "late")
    assert not jobs.complete(first, b"%PDF-old", 1, timezone.now(), time.perf_counter())
    assert jobs.complete(second, b"%PDF-new", 2, timezone.now(), time.perf_counter())
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    assert report.attempts == 2
    assert report.file.read() == b"%PDF-new"
    assert (report.page_count, report.file_size, report.progress) == (2, 8, 100)


def test_a_finished_job_is_never_claimed_again(report: Report) -> None:
    held = _claimed(report.pk)
    assert jobs.complete(held, b"%PDF", 1, timezone.now(), time.perf_counter())

    assert jobs.claim(report.pk) is None
    assert Report.objects.get(pk=report.pk).status == ReportStatus.DONE


@override_settings(REPORT_MAX_ATTEMPTS=2)
def test_after_its_attempts_a_job_fails_with_the_reason(report: Report) -> None:
    _claimed(report.pk)
    _expire_lease(report)
    _claimed(report.pk)
    _expire_lease(report)

    assert jobs.claim(report.pk) is None

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "after 2 attempts" in report.error
    assert report.finished_at is not None


def test_a_failed_job_keeps_its_reason(report: Report) -> None:
    held = _claimed(report.pk)

    jobs.fail(held, "The report could not be made (ValueError: bad).")

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == "The report could not be made (ValueError: bad)."
    assert report.lease_token == ""


def test_a_released_job_waits_again_for_a_retry(report: Report) -> None:
    held = _claimed(report.pk)

    jobs.release(held, "OperationalError")

    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED
    assert "try again" in report.stage
    assert isinstance(jobs.claim(report.pk), jobs.Claim)


@override_settings(REPORT_MAX_RUNNING_PER_ORGANISATION=1)
def test_an_organisation_makes_at_most_its_cap_at_once(cast: Cast, report: Report) -> None:
    other = Report.objects.create(organisation=cast.organisation, kind=ReportKind.EXECUTIVE_SUMMARY)
    elsewhere = Report.objects.create(organisation=cast.outsider_organisation, kind=ReportKind.REGISTER)
    held = _claimed(report.pk)

    assert jobs.claim(other.pk) is jobs.BUSY
    assert isinstance(jobs.claim(elsewhere.pk), jobs.Claim)  # another organisation has its own cap
    jobs.complete(held, b"%PDF", 1, timezone.now(), time.perf_counter())
    assert isinstance(jobs.claim(other.pk), jobs.Claim)


def test_abandoned_jobs_are_those_past_their_lease_or_waiting_past_the_visibility_timeout(
    cast: Cast, report: Report
) -> None:
    running = Report.objects.create(organisation=cast.organisation, kind=ReportKind.EXECUTIVE_SUMMARY)
    _claimed(running.pk)
    fresh = Report.objects.create(organisation=cast.outsider_organisation, kind=ReportKind.REGISTER)
    lost = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + 60
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - datetime.timedelta(seconds=lost))
    Report.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=10))

    assert jobs.abandoned() == [report.pk]
    _expire_lease(running)
    assert sorted(jobs.abandoned()) == sorted([report.pk, running.pk])
    assert fresh.pk not in jobs.abandoned()


@override_settings(REPORT_LEASE_SECONDS=1)
def test_the_heartbeat_keeps_a_live_workers_lease_through_a_long_layout(transactional_db: None) -> None:
    organisation = OrganisationFactory.create()
    report = Report.objects.create(organisation=organisation, kind=ReportKind.REGISTER)
    held = _claimed(report.pk)

    with jobs.heartbeat(held):
        time.sleep(2.5)  # past two leases, without a progress step
        assert jobs.abandoned() == []
        assert jobs.claim(report.pk) is None

    _expire_lease(report)
    assert jobs.abandoned() == [report.pk]  # once it stops beating, the job is the sweeper's


def test_files_no_report_names_are_deleted_once_older_than_the_hard_limit(report: Report) -> None:
    held = _claimed(report.pk)
    jobs.complete(held, b"%PDF-kept", 1, timezone.now(), time.perf_counter())
    old_orphan = default_storage.save(f"{REPORT_FOLDER}/left-by-a-killed-worker.pdf", ContentFile(b"%PDF-1"))
    new_orphan = default_storage.save(f"{REPORT_FOLDER}/being-recorded-now.pdf", ContentFile(b"%PDF-2"))
    long_ago = time.time() - settings.REPORT_TIME_LIMIT - 60
    kept = Report.objects.get(pk=report.pk).file.name
    assert kept is not None
    for name in (old_orphan, kept):
        os.utime(default_storage.path(name), (long_ago, long_ago))

    assert jobs.orphan_files_delete() == 1

    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(new_orphan)
    assert Report.objects.get(pk=report.pk).file.read() == b"%PDF-kept"
