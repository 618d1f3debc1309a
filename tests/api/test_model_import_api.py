"""POST /api/v1/imports/ and GET /api/v1/organisations/<org>/projects/<id>/export/."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from projects.interop.formats import WRITERS, parse
from projects.models import Project, User
from projects.webhook_models import WebhookEndpoint
from tests.api.conftest import token_client
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast
from tests.data import INTEROP_DATA
from tests.factories import ProjectFactory, ThreatFactory

DATA = INTEROP_DATA
EXAMPLE = DATA / "otm/EXAMPLE.json"
URL = "/api/v1/imports/"


def upload(path: Path = EXAMPLE, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, content if content is not None else path.read_bytes())


def send(client: APIClient, **fields: Any) -> Any:
    body = {"organisation": "acme", "file": upload()} | fields
    return client.post(URL, {k: v for k, v in body.items() if v is not None}, format="multipart")


def row_counts() -> dict[str, int]:
    ours = [m for m in apps.get_models() if m._meta.app_label in ("projects", "risks", "reports")]
    return {m._meta.label: m._default_manager.count() for m in ours}


# Importing ----------------------------------------------------------------------------------------------


def test_it_imports_a_file_and_answers_201_with_the_summary(cast: Cast, engineer_api: APIClient) -> None:
    response = send(engineer_api)

    assert response.status_code == 201, response.content
    body = response.json()
    project = Project.objects.get(pk=body["project"]["id"])
    assert body["project"] == {"id": project.pk, "name": "Test project", "team": "payments"}
    assert {k: body[k] for k in ("zones", "components", "flows", "threats", "controls")} == {
        "zones": 2,
        "components": 4,
        "flows": 2,
        "threats": 1,
        "controls": 2,
    }
    assert (body["replaced"], body["dry_run"]) == (False, False)
    assert "project.owner: The project's owner “John Doe” is not kept." in body["warnings"]
    assert project.threats.get().created_by == cast.engineer


def test_it_takes_a_team_by_slug_or_id_a_format_and_a_name(cast: Cast, owner_api: APIClient) -> None:
    by_slug = send(owner_api, team="platform", format="otm", name="One")
    by_id = send(owner_api, team=str(cast.other_team.pk), name="Two")

    assert by_slug.status_code == by_id.status_code == 201
    assert by_slug.json()["project"]["team"] == by_id.json()["project"]["team"] == "platform"
    assert Project.objects.filter(name__in=["One", "Two"], team=cast.other_team).count() == 2


def test_a_personal_access_token_imports_too(cast: Cast, token_for: Callable[[User], str]) -> None:
    response = send(token_client(token_for(cast.owner)))

    assert response.status_code == 201


def test_a_dry_run_answers_what_it_would_write_and_writes_nothing(cast: Cast, owner_api: APIClient) -> None:
    before = row_counts()

    response = send(owner_api, dry_run="true")

    assert response.status_code == 200
    body = response.json()
    assert body["project"] == {"id": None, "name": "Test project", "team": "payments"}
    assert (body["threats"], body["dry_run"]) == (1, True)
    assert row_counts() == before


def test_an_import_announces_its_threats_to_webhooks_and_a_dry_run_does_not(
    cast: Cast, owner_api: APIClient
) -> None:
    endpoint = WebhookEndpoint.objects.create(
        organisation=cast.organisation,
        url="https://93.184.215.14/hooks",
        events=["threat.created"],
        secret="whsec_test",
    )

    assert send(owner_api, dry_run="true").status_code == 200
    assert not endpoint.deliveries.exists()
    response = send(owner_api)

    assert response.status_code == 201
    [delivery] = endpoint.deliveries.all()
    threat = Project.objects.get(pk=response.json()["project"]["id"]).threats.get()
    assert delivery.payload["data"]["threat"]["id"] == threat.pk
    assert delivery.payload["data"]["actor"]["email"] == cast.owner.email


def test_it_replaces_a_project(cast: Cast, owner_api: APIClient) -> None:
    project = ProjectFactory.create(team=cast.other_team, name="Shop")
    ThreatFactory.create(project=project, number=1)

    response = send(owner_api, replace=project.pk, team="payments")

    assert response.status_code == 201
    body = response.json()
    assert body["project"] == {"id": project.pk, "name": "Shop", "team": "platform"}
    assert body["replaced"] is True
    assert project.threats.get().threat_action.startswith("Threat 1")


# Refusals -----------------------------------------------------------------------------------------------


def test_a_malformed_file_is_a_400_on_the_file_with_its_place(cast: Cast, owner_api: APIClient) -> None:
    before = row_counts()

    response = send(owner_api, file=upload(content=b'{"otmVersion": "0.2.0", "project": {'))

    message = field_errors(response)["file"][0]
    assert message.startswith("line 1, column")
    assert row_counts() == before


def test_a_file_of_no_known_format_is_a_400_listing_the_formats(cast: Cast, owner_api: APIClient) -> None:
    response = send(owner_api, file=upload(content=b"just: some yaml\n"))

    assert "not in a format we read" in field_errors(response)["file"][0]


def test_a_broken_reference_is_named_with_its_place_and_nothing_is_written(
    cast: Cast, owner_api: APIClient
) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["dataflows"][0]["destination"] = "nowhere"
    before = row_counts()

    response = send(owner_api, file=upload(content=json.dumps(data).encode()))

    assert field_errors(response) == {
        "file": [
            "dataflows[0].destination: The flow's destination “nowhere” is not one of the file's components."
        ]
    }
    assert row_counts() == before


def test_a_name_already_taken_is_a_400_on_the_name(cast: Cast, owner_api: APIClient) -> None:
    ProjectFactory.create(team=cast.team, name="Test project")

    response = send(owner_api)

    assert field_errors(response) == {
        "name": [
            "A project named “Test project” already exists. Choose it to replace, or give this import another "
            "name."
        ]
    }


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"file": None}, "file", "No file was submitted."),
        ({"format": "visio"}, "format", '"visio" is not a valid choice.'),
        ({"team": "nowhere"}, "team", "Choose a team of this organisation."),
        ({"replace": 999_999}, "replace", "Choose a project of this organisation."),
        ({"organisation": None}, "organisation", "Name the organisation by its slug."),
    ],
)
def test_each_bad_field_is_a_400_on_that_field(
    cast: Cast, owner_api: APIClient, fields: dict[str, Any], field: str, message: str
) -> None:
    response = send(owner_api, **fields)

    assert field_errors(response)[field] == [message]


def test_a_format_that_does_not_fit_is_a_400_on_the_file(cast: Cast, owner_api: APIClient) -> None:
    response = send(owner_api, format="threagile")

    assert field_errors(response)["file"] == [
        "This file is not Threagile; it looks like Open Threat Model. Choose its format, or let it be told "
        "from the file."
    ]


def test_a_viewer_cannot_import(viewer_api: APIClient) -> None:
    response = send(viewer_api)

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_an_engineer_imports_only_into_their_own_team(cast: Cast, engineer_api: APIClient) -> None:
    response = send(engineer_api, team="platform")

    assert field_errors(response) == {"team": ["Choose one of your own teams."]}


def test_an_engineer_cannot_replace_another_teams_project(cast: Cast, engineer_api: APIClient) -> None:
    project = ProjectFactory.create(team=cast.other_team, name="Shop")

    response = send(engineer_api, replace=project.pk)

    assert response.status_code == 403
    assert not Project.objects.filter(name="Test project").exists()


def test_another_organisation_is_not_found(cast: Cast, outsider_api: APIClient) -> None:
    response = send(outsider_api)

    assert response.status_code == 404


def test_another_organisations_team_or_project_is_refused(cast: Cast, outsider_api: APIClient) -> None:
    theirs = ProjectFactory.create(team=cast.team, name="Acme shop")

    by_team = send(outsider_api, organisation="globex", team=cast.team.slug)
    by_project = send(outsider_api, organisation="globex", replace=theirs.pk)

    assert field_errors(by_project) == {"replace": ["Choose a project of this organisation."]}
    assert field_errors(by_team) == {"team": ["Choose a team of this organisation."]}
    assert theirs.threats.count() == 0


def test_anonymous_requests_are_refused(anonymous_api: APIClient) -> None:
    response = send(anonymous_api)

    assert response.status_code in {401, 403}
    assert error_of(response)["code"] == "not_authenticated"


def test_get_is_not_allowed(owner_api: APIClient) -> None:
    assert owner_api.get(URL).status_code == 405


# Exporting ----------------------------------------------------------------------------------------------


@pytest.fixture
def imported(cast: Cast, owner_api: APIClient) -> Project:
    response = send(owner_api)
    return Project.objects.get(pk=response.json()["project"]["id"])


def export_url(project: Project) -> str:
    return reverse("api_model_export", args=[project.organisation.slug, project.pk])


@pytest.mark.parametrize("format", list(WRITERS))
def test_it_downloads_the_model_in_each_format(imported: Project, viewer_api: APIClient, format: str) -> None:
    response = viewer_api.get(export_url(imported), {"format": format})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="test-project.')
    assert parse(response.content).format == format


def test_an_unknown_export_format_is_a_400(imported: Project, owner_api: APIClient) -> None:
    response = owner_api.get(export_url(imported), {"format": "threagile"})

    assert field_errors(response) == {"format": ["Choose one of: otm, threat-dragon, threat-composer."]}


def test_another_organisations_project_does_not_export(imported: Project, outsider_api: APIClient) -> None:
    response = outsider_api.get(export_url(imported), {"format": "otm"})

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
