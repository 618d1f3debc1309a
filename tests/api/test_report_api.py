"""PDF reports through the API (reports.api_reports): asking for one (a job to poll, or the report already made
from the same data), polling it, listing them, downloading the file as the page serves it, who may do what,
and the schema."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import User
from reports.forms import ReportRequestForm
from reports.models import Report, ReportKind, ReportStatus
from tests.api.conftest import session_client, token_client
from tests.api.test_schema import schema
from tests.conftest import Cast, signed_in
from tests.factories import ProjectFactory
from tests.queries import count_queries
from tests.test_report_pages import _done as done

type Body = dict[str, Any]


def reports_url(slug: str = "acme") -> str:
    return reverse("api_report_list", args=[slug])


def report_url(report: Report, name: str = "api_report_detail", slug: str = "acme") -> str:
    return reverse(name, args=[slug, report.pk])


def ask(api: APIClient, body: Body, slug: str = "acme") -> Any:
    return api.post(reports_url(slug), body, format="json")


def path_of(link: str) -> str:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("http", "testserver"), link
    return parts.path


def field_errors(response: Any) -> Body:
    assert response.status_code == 400, response.content
    fields: Body = response.json()["error"]["fields"]
    return fields


def form_errors(data: Body, cast: Cast) -> Body:
    """What the Reports page's form says to the same input."""
    form = ReportRequestForm(data, projects=cast.organisation.projects.all())
    assert not form.is_valid()
    return dict(form.errors)


# Asking ---------------------------------------------------------------------------------------------------


def test_an_engineer_asks_for_a_report_and_gets_the_job_to_poll(cast: Cast, engineer_api: APIClient) -> None:
    project = ProjectFactory.create(team=cast.team, name="Payments gateway")

    response = ask(engineer_api, {"kind": "project", "project": project.pk, "paper": "letter"})

    assert response.status_code == 202, response.content
    report = Report.objects.get(organisation=cast.organisation)
    body = response.json()
    assert response["Location"] == body["url"]
    assert path_of(body["url"]) == report_url(report)
    assert body | {"created_at": None} == {
        "id": report.pk,
        "kind": "project",
        "title": "Project threat model: Payments gateway",
        "project": project.pk,
        "paper": "letter",
        "requested_by": {"id": cast.engineer.pk, "email": "engineer@acme.test", "name": cast.engineer.name},
        "status": "queued",
        "progress": 0,
        "stage": "",
        "error": "",
        "page_count": None,
        "file_size": None,
        "as_of": None,
        "created_at": None,
        "finished_at": None,
        "url": body["url"],
        "download": None,
    }


def test_polling_the_job_finds_it_done_with_the_pdf_to_download(
    cast: Cast, viewer_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task runs in-process in tests
        job = ask(viewer_api, {"kind": "register", "paper": "a4"}).json()

    polled = viewer_api.get(path_of(job["url"]))

    assert polled.status_code == 200
    body = polled.json()
    assert (body["status"], body["progress"], body["error"]) == ("done", 100, "")
    assert body["page_count"] >= 1
    assert body["as_of"] is not None
    assert body["finished_at"] is not None
    pdf = viewer_api.get(path_of(body["download"]))
    assert pdf.status_code == 200
    content = b"".join(pdf.streaming_content)  # type: ignore[attr-defined]
    assert content.startswith(b"%PDF-")
    assert len(content) == body["file_size"]


def test_the_same_request_on_unchanged_data_answers_200_with_the_report_made(
    cast: Cast, viewer_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(viewer_api, {"kind": "register", "paper": "a4"}).json()

    again = ask(session_client(cast.owner), {"kind": "register", "paper": "a4"})

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["download"] is not None
    assert "Location" not in again
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "project", "paper": "a4"},
        {"kind": "project", "project": None, "paper": "a4"},
        {"kind": "board pack", "paper": "a4"},
        {"kind": "register", "paper": "a3"},
        {"kind": "register"},
        {"paper": "a4"},
    ],
    ids=["no project", "null project", "unknown kind", "unknown paper", "no paper", "no kind"],
)
def test_an_invalid_request_is_refused_by_field_as_the_page_refuses_it(
    body: Body, cast: Cast, viewer_api: APIClient
) -> None:
    fields = field_errors(ask(viewer_api, body))

    assert fields == form_errors(body, cast)
    assert not Report.objects.exists()


def test_a_project_report_names_its_project_in_the_pages_words(cast: Cast, viewer_api: APIClient) -> None:
    assert field_errors(ask(viewer_api, {"kind": "project", "paper": "a4"})) == {
        "project": ["Choose the project to report on."]
    }


def test_another_organisations_project_is_a_field_error(cast: Cast, viewer_api: APIClient) -> None:
    theirs = ProjectFactory.create(team__organisation=cast.outsider_organisation)

    fields = field_errors(ask(viewer_api, {"kind": "project", "project": theirs.pk, "paper": "a4"}))

    assert list(fields) == ["project"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("project", [True, [1], {"id": 1}, 1.5])
def test_a_project_must_be_named_by_its_id(project: object, cast: Cast, viewer_api: APIClient) -> None:
    ProjectFactory.create(team=cast.team)  # may have id 1: `true` must not name it

    fields = field_errors(ask(viewer_api, {"kind": "project", "project": project, "paper": "a4"}))

    assert list(fields) == ["project"]
    assert not Report.objects.exists()


def test_a_body_that_is_not_an_object_is_refused(cast: Cast, viewer_api: APIClient) -> None:
    response = viewer_api.post(reports_url(), ["register"], format="json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Send a JSON object: kind, project and paper."


def test_too_many_reports_at_once_are_refused_with_the_reason(
    cast: Cast, viewer_api: APIClient, settings: Any
) -> None:
    settings.REPORT_MAX_OPEN_PER_ORGANISATION = 2
    for _ in range(2):
        Report.objects.create(organisation=cast.organisation, kind=ReportKind.REGISTER)

    response = ask(viewer_api, {"kind": "executive_summary", "paper": "a4"})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("2 reports of your organisation are being made.")
    assert Report.objects.count() == 2


# Reading --------------------------------------------------------------------------------------------------


def test_the_list_shows_the_organisations_reports_newest_first(cast: Cast, viewer_api: APIClient) -> None:
    older = done(cast)
    newer = Report.objects.create(organisation=cast.organisation, kind=ReportKind.EXECUTIVE_SUMMARY)
    Report.objects.create(organisation=cast.outsider_organisation, kind=ReportKind.REGISTER)

    body = viewer_api.get(reports_url()).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert [row["download"] is not None for row in body["results"]] == [False, True]


def test_the_list_costs_the_same_queries_for_one_report_and_thirty(cast: Cast, viewer_api: APIClient) -> None:
    done(cast, requested_by=cast.owner)
    project = ProjectFactory.create(team=cast.team)

    def read(rows: int) -> None:
        assert len(viewer_api.get(reports_url()).json()["results"]) == rows

    one = count_queries(lambda: read(1))
    for n in range(29):
        if n % 2:
            done(cast, kind=ReportKind.PROJECT, project=project, requested_by=cast.viewer)
        else:
            done(cast, requested_by=cast.owner)

    assert count_queries(lambda: read(30)) == one


def test_a_failed_job_says_why(cast: Cast, viewer_api: APIClient) -> None:
    report = Report.objects.create(
        organisation=cast.organisation,
        kind=ReportKind.REGISTER,
        status=ReportStatus.FAILED,
        error="Too slow.",
    )

    body = viewer_api.get(report_url(report)).json()

    assert (body["status"], body["error"], body["download"]) == ("failed", "Too slow.", None)


# The file -------------------------------------------------------------------------------------------------


def test_the_download_is_the_pages_attachment_with_the_same_headers(
    cast: Cast, viewer_api: APIClient
) -> None:
    report = done(cast)

    api = viewer_api.get(report_url(report, "api_report_download"))
    page = signed_in(cast.viewer).get(reverse("report_download", args=["acme", report.pk]))

    assert api.status_code == page.status_code == 200
    for header in ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options"):
        assert api[header] == page[header], header
    assert api["Content-Type"] == "application/pdf"
    assert api["Content-Disposition"].startswith("attachment; filename=")
    assert b"".join(api.streaming_content) == b"%PDF-1.7 x"  # type: ignore[attr-defined]


def test_a_client_that_accepts_only_pdf_gets_the_file_and_errors_in_json(
    cast: Cast, viewer_api: APIClient
) -> None:
    report = done(cast)
    waiting = Report.objects.create(organisation=cast.organisation, kind=ReportKind.REGISTER)

    pdf = viewer_api.get(report_url(report, "api_report_download"), HTTP_ACCEPT="application/pdf")
    missing = viewer_api.get(report_url(waiting, "api_report_download"), HTTP_ACCEPT="application/pdf")

    assert pdf.status_code == 200
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "This report has no file yet.",
        "fields": {},
    }


def test_a_viewer_downloads_with_a_personal_access_token(
    cast: Cast, token_for: Callable[[User], str]
) -> None:
    report = done(cast)
    api = token_client(token_for(cast.viewer))

    body = api.get(report_url(report)).json()
    pdf = api.get(path_of(body["download"]))

    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content) == b"%PDF-1.7 x"  # type: ignore[attr-defined]


def test_a_personal_access_token_asks_for_a_report(cast: Cast, token_for: Callable[[User], str]) -> None:
    response = ask(token_client(token_for(cast.engineer)), {"kind": "executive_summary", "paper": "a4"})

    assert response.status_code == 202
    assert Report.objects.get().requested_by == cast.engineer


# Who may do what ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer", "viewer"])
def test_every_member_asks_for_reports_and_downloads_them(role: str, cast: Cast) -> None:
    api = session_client(getattr(cast, role))
    report = done(cast)

    assert ask(api, {"kind": "executive_summary", "paper": "a4"}).status_code == 202
    assert api.get(reports_url()).status_code == 200
    assert api.get(report_url(report, "api_report_download")).status_code == 200


def test_the_outsider_finds_neither_the_jobs_nor_the_files(
    cast: Cast, outsider_api: APIClient, anonymous_api: APIClient
) -> None:
    report = done(cast)

    assert outsider_api.get(reports_url()).status_code == 404
    assert ask(outsider_api, {"kind": "register", "paper": "a4"}).status_code == 404
    for name in ("api_report_detail", "api_report_download"):
        assert outsider_api.get(report_url(report, name)).status_code == 404
        # Through their own organisation, the id names nothing of theirs.
        assert outsider_api.get(report_url(report, name, slug="globex")).status_code == 404
        assert anonymous_api.get(report_url(report, name)).status_code == 401
    assert Report.objects.count() == 1


def test_a_member_reaches_no_report_of_another_organisation_through_their_own(
    cast: Cast, viewer_api: APIClient
) -> None:
    theirs = Report.objects.create(organisation=cast.outsider_organisation, kind=ReportKind.REGISTER)

    assert viewer_api.get(report_url(theirs)).status_code == 404
    assert viewer_api.get(report_url(theirs, "api_report_download")).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("api_report_list", "put"),
        ("api_report_list", "delete"),
        ("api_report_detail", "post"),
        ("api_report_detail", "patch"),
        ("api_report_detail", "delete"),
        ("api_report_download", "post"),
        ("api_report_download", "delete"),
    ],
)
def test_other_methods_are_refused(name: str, method: str, cast: Cast, owner_api: APIClient) -> None:
    report = done(cast)
    args = ["acme"] if name == "api_report_list" else ["acme", report.pk]

    assert getattr(owner_api, method)(reverse(name, args=args), {}, format="json").status_code == 405
    assert Report.objects.count() == 1


# The schema -----------------------------------------------------------------------------------------------


def test_the_schema_documents_the_reports_under_their_tag(db: None, client: Client) -> None:
    document: Body = schema(client)
    base = "/api/v1/organisations/{org_slug}/reports/"
    paths = document["paths"]
    operations = {
        (path, method): operation
        for path, methods in paths.items()
        if path.startswith(base)
        for method, operation in methods.items()
    }

    assert {
        (path.removeprefix(base), method): op["operationId"] for (path, method), op in operations.items()
    } == {
        ("", "get"): "report_list",
        ("", "post"): "report_create",
        ("{report_id}/", "get"): "report_retrieve",
        ("{report_id}/download/", "get"): "report_download",
    }
    assert all(op["tags"] == ["reports"] for op in operations.values())
    create = operations[(base, "post")]
    assert {"200", "202", "400", "401", "403", "404"} <= set(create["responses"])
    assert "Location" in create["responses"]["202"]["headers"]
    download = operations[(base + "{report_id}/download/", "get")]
    assert download["responses"]["200"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
    }
    assert set(document["components"]["schemas"]["Report"]["properties"]) >= {
        "id",
        "kind",
        "project",
        "paper",
        "status",
        "progress",
        "stage",
        "error",
        "page_count",
        "file_size",
        "as_of",
        "created_at",
        "finished_at",
        "url",
        "download",
    }
