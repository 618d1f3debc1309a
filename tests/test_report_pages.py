"""The reports' pages: asking for a report (a job queued for a worker, or the same file again on unchanged
data), its progress, its download, and who may do what."""

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Project
from reports.models import Report, ReportKind, ReportStatus
from tests.conftest import Cast, signed_in
from tests.factories import ProjectFactory
from tests.queries import count_queries


def _list(cast: Cast) -> str:
    return reverse("report_list", args=[cast.organisation.slug])


def _done(cast: Cast, kind: str = ReportKind.REGISTER, **fields: Any) -> Report:
    report = Report.objects.create(
        organisation=cast.organisation,
        kind=kind,
        status=ReportStatus.DONE,
        page_count=3,
        file_size=9,
        finished_at=timezone.now(),
        **fields,
    )
    report.file.save("report.pdf", ContentFile(b"%PDF-1.7 x"))
    return report


def test_a_viewer_asks_for_the_register_and_the_worker_makes_it(
    cast: Cast, viewer_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = viewer_client.post(_list(cast), {"kind": "register", "paper": "letter"})

    report = Report.objects.get(organisation=cast.organisation)
    assert response.status_code == 302
    assert response["Location"] == reverse("report_detail", args=[cast.organisation.slug, report.pk])
    assert (
        report.status == ReportStatus.DONE
    )  # tasks run in-process in tests; test_report_worker uses a worker
    assert report.requested_by == cast.viewer
    assert report.paper == "letter"
    assert report.file.read(5) == b"%PDF-"


def test_the_same_request_on_unchanged_data_gets_the_same_file(
    cast: Cast, viewer_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        viewer_client.post(_list(cast), {"kind": "register", "paper": "a4"})
    first = Report.objects.get()

    response = signed_in(cast.owner).post(_list(cast), {"kind": "register", "paper": "a4"})

    assert Report.objects.count() == 1
    assert response["Location"] == reverse("report_detail", args=[cast.organisation.slug, first.pk])


def test_a_project_report_needs_its_project(cast: Cast, viewer_client: Client) -> None:
    response = viewer_client.post(_list(cast), {"kind": "project", "paper": "a4"})

    assert response.status_code == 400
    assert "Choose the project to report on." in response.content.decode()
    assert not Report.objects.exists()


def test_another_organisations_project_cannot_be_named(cast: Cast, viewer_client: Client) -> None:
    theirs = ProjectFactory.create(
        organisation=cast.outsider_organisation, team__organisation=cast.outsider_organisation
    )

    response = viewer_client.post(_list(cast), {"kind": "project", "project": theirs.pk, "paper": "a4"})

    assert response.status_code == 400
    assert not Report.objects.exists()


def test_too_many_reports_at_once_are_refused_clearly(
    cast: Cast, viewer_client: Client, settings: object
) -> None:
    settings.REPORT_MAX_OPEN_PER_ORGANISATION = 2  # type: ignore[attr-defined]
    for _ in range(2):
        Report.objects.create(organisation=cast.organisation, kind=ReportKind.REGISTER)

    response = viewer_client.post(_list(cast), {"kind": "executive_summary", "paper": "a4"})

    assert response.status_code == 400
    assert "2 reports of your organisation are being made" in response.content.decode()
    assert Report.objects.count() == 2


def test_the_list_shows_every_report_with_its_state(cast: Cast, viewer_client: Client) -> None:
    done = _done(cast)
    Report.objects.create(
        organisation=cast.organisation,
        kind=ReportKind.EXECUTIVE_SUMMARY,
        progress=40,
        status=ReportStatus.RUNNING,
    )
    Report.objects.create(organisation=cast.outsider_organisation, kind=ReportKind.REGISTER)

    page = viewer_client.get(_list(cast)).content.decode()

    assert reverse("report_download", args=[cast.organisation.slug, done.pk]) in page
    assert "Being made, 40 %" in page
    assert page.count("<tr>") == 1 + 2


def test_a_project_page_link_preselects_its_project(cast: Cast, viewer_client: Client) -> None:
    project = ProjectFactory.create(organisation=cast.organisation, team=cast.team)

    page = viewer_client.get(_list(cast) + f"?kind=project&project={project.pk}").content.decode()

    assert f'<option value="{project.pk}" selected>' in page


def test_progress_polls_until_the_report_is_ready(cast: Cast, viewer_client: Client) -> None:
    report = Report.objects.create(
        organisation=cast.organisation,
        kind=ReportKind.REGISTER,
        status=ReportStatus.RUNNING,
        progress=60,
        stage="Laying out the pages",
    )
    url = reverse("report_detail", args=[cast.organisation.slug, report.pk])

    running = viewer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert "Laying out the pages" in running
    assert 'value="60"' in running

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.DONE, page_count=3, file_size=10)
    ready = viewer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in ready
    assert reverse("report_download", args=[cast.organisation.slug, report.pk]) in ready


def test_a_failed_report_says_why_and_offers_to_ask_again(cast: Cast, viewer_client: Client) -> None:
    report = Report.objects.create(
        organisation=cast.organisation,
        kind=ReportKind.REGISTER,
        status=ReportStatus.FAILED,
        error="It took too long.",
    )

    page = viewer_client.get(
        reverse("report_detail", args=[cast.organisation.slug, report.pk])
    ).content.decode()

    assert "It took too long." in page
    assert "Ask for it again" in page


def test_the_download_is_a_pdf_attachment_with_a_safe_name(cast: Cast, viewer_client: Client) -> None:
    project = Project.objects.create(organisation=cast.organisation, team=cast.team, name='Pay"ments\r\n<b>')
    report = _done(cast, kind=ReportKind.PROJECT, project=project)

    response = viewer_client.get(reverse("report_download", args=[cast.organisation.slug, report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert '"pay' not in disposition.lower().split("filename=")[1][1:]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 x"  # type: ignore[attr-defined]


def test_a_report_without_a_file_has_no_download(cast: Cast, viewer_client: Client) -> None:
    report = Report.objects.create(organisation=cast.organisation, kind=ReportKind.REGISTER)

    assert (
        viewer_client.get(reverse("report_download", args=[cast.organisation.slug, report.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("name", ["report_detail", "report_download"])
def test_the_outsider_finds_neither_the_job_nor_the_file(
    cast: Cast, outsider_client: Client, name: str
) -> None:
    report = _done(cast)

    assert outsider_client.get(reverse(name, args=[cast.organisation.slug, report.pk])).status_code == 404
    theirs = reverse(name, args=[cast.outsider_organisation.slug, report.pk])
    assert outsider_client.get(theirs).status_code == 404


def test_the_pages_reject_other_methods(cast: Cast, viewer_client: Client) -> None:
    report = _done(cast)

    assert viewer_client.put(_list(cast)).status_code == 405
    assert (
        viewer_client.post(reverse("report_detail", args=[cast.organisation.slug, report.pk])).status_code
        == 405
    )
    assert (
        viewer_client.post(reverse("report_download", args=[cast.organisation.slug, report.pk])).status_code
        == 405
    )


def test_the_list_costs_the_same_queries_for_one_report_and_thirty(cast: Cast, viewer_client: Client) -> None:
    _done(cast)
    viewer_client.get(_list(cast))
    one = count_queries(lambda: viewer_client.get(_list(cast)))
    for _ in range(29):
        _done(cast, requested_by=cast.owner)
    thirty = count_queries(lambda: viewer_client.get(_list(cast)))

    assert one == thirty
