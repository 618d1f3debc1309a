"""The model upload page (preview, then commit or cancel), the project's export downloads, and their links."""

import json
import re
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from projects.interop.formats import parse
from projects.models import Project, Team
from risks.models import BusinessRisk, Scenario
from tests.conftest import Cast, signed_in
from tests.data import INTEROP_DATA
from tests.factories import ProjectFactory, ThreatFactory, UserFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response  # only django-stubs has it

DATA = INTEROP_DATA
EXAMPLE = DATA / "otm/EXAMPLE.json"
UPLOAD = reverse("model_import", args=["acme"])
COMMIT = reverse("model_import_commit", args=["acme"])


def upload(client: Client, content: bytes | None = None, **fields: object) -> "Response":
    """Send the upload form as a browser does: the team select sends the team it shows (Payments)."""
    file = SimpleUploadedFile("model.json", EXAMPLE.read_bytes() if content is None else content)
    team = Team.objects.get(slug="payments").pk
    return client.post(UPLOAD, {"file": file, "format": "auto", "team": team, **fields})


def hidden(response: "Response", name: str) -> str:
    """The value a form field of the page holds ("" when it has none)."""
    page = response.content.decode()
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag is not None, f"no {name} in the form"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def commit_fields(preview: "Response") -> dict[str, str]:
    return {name: hidden(preview, name) for name in ("token", "format", "team", "name")} | {"replace": ""}


# The upload page ----------------------------------------------------------------------------------------


def test_the_page_offers_a_file_its_format_a_team_and_a_project_to_replace(engineer_client: Client) -> None:
    response = engineer_client.get(UPLOAD)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    for field in ("file", "format", "team", "replace", "name"):
        assert f'name="{field}"' in page
    assert "Tell from the file" in page


def test_a_member_without_a_team_is_told_what_to_do(cast: Cast) -> None:
    loner = UserFactory.create()
    cast.organisation.memberships.create(user=loner, role="engineer")

    response = signed_in(loner).get(UPLOAD)

    assert "You need a team first" in response.content.decode()


def test_a_viewer_cannot_import(viewer_client: Client) -> None:
    assert viewer_client.get(UPLOAD).status_code == 403
    assert upload(viewer_client).status_code == 403


def test_an_outsider_gets_nothing(outsider_client: Client) -> None:
    assert outsider_client.get(UPLOAD).status_code == 404
    assert upload(outsider_client).status_code == 404


def test_the_commit_takes_only_posts(owner_client: Client) -> None:
    assert owner_client.get(COMMIT).status_code == 405


# Preview, commit, cancel --------------------------------------------------------------------------------


def test_uploading_shows_the_preview_and_writes_nothing(cast: Cast, engineer_client: Client) -> None:
    response = upload(engineer_client)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Create “Test project”" in page
    assert "<li>Internet</li>" in page  # the zones and components by name
    assert "<li>Web Service</li>" in page
    assert "The project&#x27;s owner “John Doe” is not kept." in page
    assert ">Create project</button>" in page
    assert hidden(response, "team") == str(cast.team.pk)
    assert not Project.objects.filter(name="Test project").exists()


def test_committing_creates_the_project_and_lands_on_it(cast: Cast, engineer_client: Client) -> None:
    preview = upload(engineer_client)

    response = engineer_client.post(COMMIT, commit_fields(preview))

    project = Project.objects.get(name="Test project")
    assert response.status_code == 302
    assert response["Location"] == reverse("project_detail", args=["acme", project.pk])
    assert (project.team, project.threats.count(), project.components.count()) == (cast.team, 1, 4)
    page = engineer_client.get(response["Location"]).content.decode()
    assert "Imported “Test project”: 4 components, 2 data flows, 1 threat, 2 controls." in page
    assert 'id="import-notes"' in page
    assert "John Doe" in page  # the warnings kept in the notes


def test_committing_twice_writes_once(cast: Cast, owner_client: Client) -> None:
    fields = commit_fields(upload(owner_client))

    owner_client.post(COMMIT, fields)
    again = owner_client.post(COMMIT, fields)

    assert again.status_code == 400
    assert "This upload has expired or is not yours" in again.content.decode()
    assert Project.objects.filter(name="Test project").count() == 1


def test_cancelling_forgets_the_upload_and_writes_nothing(cast: Cast, owner_client: Client) -> None:
    fields = commit_fields(upload(owner_client))

    response = owner_client.post(COMMIT, fields | {"cancel": "1"})

    assert response.status_code == 302
    assert response["Location"] == UPLOAD
    assert not Project.objects.filter(name="Test project").exists()
    assert owner_client.post(COMMIT, fields).status_code == 400  # the upload is gone


def test_another_member_cannot_commit_my_upload(cast: Cast, owner_client: Client) -> None:
    fields = commit_fields(upload(owner_client))

    response = signed_in(cast.security_lead).post(COMMIT, fields)

    assert response.status_code == 400
    assert not Project.objects.filter(name="Test project").exists()


def test_a_bad_file_is_refused_on_the_file_field_with_its_place(cast: Cast, owner_client: Client) -> None:
    response = upload(owner_client, content=b'{"otmVersion": "0.2.0", "project": {')

    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="id_file_error"[^>]*>.*line 1, column', page, re.DOTALL)
    assert 'aria-invalid="true"' in page
    assert not Project.objects.exists()


def test_no_file_is_refused(owner_client: Client) -> None:
    response = owner_client.post(UPLOAD, {"format": "auto"})

    assert response.status_code == 400
    assert "Choose the model file to import." in response.content.decode()


def test_a_name_taken_keeps_the_upload_for_another_name(cast: Cast, owner_client: Client) -> None:
    ProjectFactory.create(team=cast.team, name="Test project")

    refused = upload(owner_client)

    assert refused.status_code == 400
    assert "A project named “Test project” already exists." in refused.content.decode()
    token = hidden(refused, "token")
    preview = owner_client.post(
        UPLOAD, {"token": token, "format": "auto", "team": cast.team.pk, "name": "Imported shop"}
    )
    assert preview.status_code == 200
    assert "Create “Imported shop”" in preview.content.decode()


def test_replacing_previews_what_goes_and_keeps_the_project(cast: Cast, owner_client: Client) -> None:
    project = ProjectFactory.create(team=cast.other_team, name="Shop", threat_counter=3)
    threat = ThreatFactory.create(project=project, number=3)
    risk = BusinessRisk.objects.create(organisation=cast.organisation, number=5, title="Fines", impact="high")
    Scenario.objects.create(risk=risk, threat=threat)

    preview = upload(owner_client, team=cast.team.pk, replace=project.pk)

    page = preview.content.decode()
    assert "Replace the model of “Shop”" in page
    assert "Today “Shop” has 1 threats." in page
    assert "T-3 of the replaced project leads to R-5; replacing it drops those scenarios." in page
    assert ">Replace project</button>" in page
    response = owner_client.post(COMMIT, commit_fields(preview) | {"replace": str(project.pk)})
    assert response["Location"] == reverse("project_detail", args=["acme", project.pk])
    project.refresh_from_db()
    assert (project.name, project.team) == ("Shop", cast.other_team)
    assert project.threats.get().number == 4


def test_an_engineer_can_replace_only_their_teams_projects(cast: Cast, engineer_client: Client) -> None:
    theirs = ProjectFactory.create(team=cast.other_team, name="Platform shop")

    response = upload(engineer_client, team=cast.team.pk, replace=theirs.pk)

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


# Exports and links --------------------------------------------------------------------------------------


@pytest.fixture
def imported(cast: Cast, owner_client: Client) -> Project:
    owner_client.post(COMMIT, commit_fields(upload(owner_client)))
    return Project.objects.get(name="Test project")


@pytest.mark.parametrize("format", ["otm", "threat-dragon", "threat-composer"])
def test_the_project_page_offers_each_export(imported: Project, viewer_client: Client, format: str) -> None:
    page = viewer_client.get(reverse("project_detail", args=["acme", imported.pk])).content.decode()
    url = reverse("model_export", args=["acme", imported.pk]) + f"?format={format}"
    assert f'href="{url}"' in page

    response = viewer_client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="test-project.')
    assert parse(response.content).format == format
    assert json.loads(response.content)


def test_an_unknown_export_format_is_a_400(imported: Project, owner_client: Client) -> None:
    url = reverse("model_export", args=["acme", imported.pk])

    assert owner_client.get(url, {"format": "visio"}).status_code == 400
    assert owner_client.post(url, {"format": "otm"}).status_code == 405


def test_an_outsider_cannot_export(imported: Project, outsider_client: Client) -> None:
    url = reverse("model_export", args=["acme", imported.pk])

    assert outsider_client.get(url, {"format": "otm"}).status_code == 404


def test_the_project_list_links_to_the_import(owner_client: Client) -> None:
    page = owner_client.get(reverse("project_list", args=["acme"])).content.decode()

    assert f'href="{UPLOAD}"' in page
