"""Projects through the API: list with filters, create, read, replace, change, delete; the review's status and
day are the review's."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from projects import review_services
from projects.models import Project, ProjectStatus
from projects.review_models import ModelReview
from tests.api.errors import error_of, field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast
from tests.factories import ProjectFactory, TeamFactory, ThreatFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_lists_the_organisations_projects_with_their_counts(
    w: Workspace, cast: Cast, viewer_api: APIClient
) -> None:
    ProjectFactory.create(team=cast.other_team, name="Platform API")
    ProjectFactory.create(team=TeamFactory.create(organisation=cast.outsider_organisation), name="Secret")
    response = viewer_api.get(url("api_project_list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [project["name"] for project in body["results"]] == ["Checkout", "Platform API"]
    checkout = body["results"][0]
    assert checkout["team"] == {"id": cast.team.pk, "slug": "payments", "name": "Payments"}
    assert (checkout["threat_count"], checkout["open_threat_count"], checkout["component_count"]) == (1, 1, 2)
    assert checkout["version"] == 1


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"team": "platform"}, ["Platform API"]),
        ({"team": "nobody"}, []),
        ({"status": "active"}, ["Platform API"]),
        ({"status": "unknown"}, ["Checkout", "Platform API"]),
        ({"q": "ledger"}, ["Platform API"]),
        ({"team": "payments", "status": "active"}, []),
    ],
)
def test_it_filters_projects_by_team_status_and_text(
    query: dict[str, str], names: list[str], w: Workspace, cast: Cast, viewer_api: APIClient
) -> None:
    ProjectFactory.create(
        team=cast.other_team, name="Platform API", status=ProjectStatus.ACTIVE, description="The ledger"
    )
    response = viewer_api.get(url("api_project_list"), query)
    assert [project["name"] for project in response.json()["results"]] == names


def test_it_pages_projects(cast: Cast, viewer_api: APIClient) -> None:
    ProjectFactory.create_batch(3, team=cast.team)
    body = viewer_api.get(url("api_project_list"), {"page_size": 2, "page": 2}).json()
    assert (body["count"], len(body["results"]), body["next"]) == (3, 1, None)


def test_an_engineer_creates_a_project_for_their_team(cast: Cast, engineer_api: APIClient) -> None:
    body = {"name": "Refunds", "team": "payments", "criticality": "high"}
    response = engineer_api.post(url("api_project_list"), body)
    assert response.status_code == 201
    project = Project.objects.get(name="Refunds")
    assert response["ETag"] == f'"project-{project.pk}-v1"'
    assert response.json() == {
        **response.json(),
        "id": project.pk,
        "name": "Refunds",
        "description": "",
        "team": {"id": cast.team.pk, "slug": "payments", "name": "Payments"},
        "criticality": "high",
        "data_classification": "internal",
        "status": "draft",
        "last_reviewed_on": None,
        "threat_count": 0,
        "version": 1,
    }
    assert (project.organisation, project.team) == (cast.organisation, cast.team)


def test_a_team_can_be_named_by_id(cast: Cast, lead_api: APIClient) -> None:
    response = lead_api.post(url("api_project_list"), {"name": "Billing", "team": cast.other_team.pk})
    assert response.status_code == 201
    assert response.json()["team"]["slug"] == "platform"


def test_an_engineer_cannot_create_a_project_for_another_team(engineer_api: APIClient) -> None:
    response = engineer_api.post(url("api_project_list"), {"name": "Billing", "team": "platform"})
    assert field_errors(response) == {"team": ["Choose one of your own teams."]}
    assert not Project.objects.filter(name="Billing").exists()


def test_a_viewer_cannot_create_a_project(viewer_api: APIClient) -> None:
    response = viewer_api.post(url("api_project_list"), {"name": "Billing", "team": "payments"})
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_a_team_of_another_organisation_is_unknown(cast: Cast, owner_api: APIClient) -> None:
    secret = TeamFactory.create(organisation=cast.outsider_organisation, slug="secret")
    for team in (secret.pk, "secret"):
        response = owner_api.post(url("api_project_list"), {"name": "Billing", "team": team})
        assert list(field_errors(response)) == ["team"]
    assert not Project.objects.filter(name="Billing").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Check\x00out"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Checkout"}, "name"),  # taken
        ({"description": "x" * 10_001}, "description"),
        ({"criticality": "extreme"}, "criticality"),
        ({"status": "done"}, "status"),
        ({"status": "in_review"}, "status"),
        ({"last_reviewed_on": "yesterday"}, "last_reviewed_on"),
        ({"last_reviewed_on": "2026-10-01"}, "last_reviewed_on"),
        ({"team": True}, "team"),
    ],
)
def test_it_rejects_bad_fields(
    body: dict[str, object], field: str, w: Workspace, owner_api: APIClient
) -> None:
    response = owner_api.post(url("api_project_list"), {"name": "Refunds", "team": "payments", **body})
    assert list(field_errors(response)) == [field]
    assert Project.objects.count() == 1


def test_it_shows_a_project(w: Workspace, viewer_api: APIClient) -> None:
    response = viewer_api.get(url("api_project_detail", w.project.pk))
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["name"]) == (w.project.pk, "Checkout")


def test_put_replaces_every_field_and_resets_those_left_out(w: Workspace, engineer_api: APIClient) -> None:
    Project.objects.filter(pk=w.project.pk).update(description="Old", status=ProjectStatus.ACTIVE)
    response = engineer_api.put(
        url("api_project_detail", w.project.pk),
        {"name": "Checkout v2", "team": "payments"},
        headers=if_match(w.project),
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"], response.json()["status"]) == (
        "Checkout v2",
        "",
        "draft",
    )


def test_put_needs_every_required_field(w: Workspace, engineer_api: APIClient) -> None:
    response = engineer_api.put(
        url("api_project_detail", w.project.pk), {"name": "Checkout v2"}, headers=if_match(w.project)
    )
    assert list(field_errors(response)) == ["team"]


def test_patch_changes_only_what_it_names(w: Workspace, engineer_api: APIClient) -> None:
    response = engineer_api.patch(
        url("api_project_detail", w.project.pk), {"status": "active"}, headers=if_match(w.project)
    )
    assert response.status_code == 200
    w.project.refresh_from_db()
    assert (w.project.name, w.project.status, w.project.version) == ("Checkout", "active", 2)


def test_a_lead_moves_a_project_to_another_team(w: Workspace, cast: Cast, lead_api: APIClient) -> None:
    response = lead_api.patch(
        url("api_project_detail", w.project.pk), {"team": "platform"}, headers=if_match(w.project)
    )
    assert response.status_code == 200
    w.project.refresh_from_db()
    assert w.project.team == cast.other_team


def test_a_rename_to_a_taken_name_is_refused(w: Workspace, cast: Cast, engineer_api: APIClient) -> None:
    ProjectFactory.create(team=cast.other_team, name="Ledger")
    response = engineer_api.patch(
        url("api_project_detail", w.project.pk), {"name": "Ledger"}, headers=if_match(w.project)
    )
    assert list(field_errors(response)) == ["name"]
    w.project.refresh_from_db()
    assert (w.project.name, w.project.version) == ("Checkout", 1)


def test_deleting_a_project_takes_its_model_with_it(w: Workspace, engineer_api: APIClient) -> None:
    ThreatFactory.create(project=w.project)
    response = engineer_api.delete(url("api_project_detail", w.project.pk), headers=if_match(w.project))
    assert response.status_code == 204
    assert not Project.objects.filter(pk=w.project.pk).exists()


def test_an_unknown_project_is_not_found(w: Workspace, owner_api: APIClient) -> None:
    response = owner_api.get(url("api_project_detail", 10**20))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("query", ["q=%00", "team=%00", "status=%00"])
def test_odd_filter_values_are_ignored_rather_than_errors(
    query: str, w: Workspace, viewer_api: APIClient
) -> None:
    assert viewer_api.get(url("api_project_list") + "?" + query).status_code == 200


# The review's status and day ----------------------------------------------------------------------------------

WAITING = "it stays in review until a security lead or an owner approves its model or asks for changes"


def submitted(cast: Cast, project: Project) -> ModelReview:
    review = review_services.model_review_submit(membership=cast.membership(cast.engineer), project=project)
    project.refresh_from_db()
    return review


def unchanged(project: Project) -> tuple[object, ...]:
    saved = Project.objects.get(pk=project.pk)
    return saved.status, saved.last_reviewed_on, saved.version


@pytest.mark.parametrize(
    "body",
    [
        {"status": "active", "last_reviewed_on": "today"},
        {"status": "active"},
        {"status": "archived"},
        {"status": "draft", "name": "Checkout v2"},
    ],
)
def test_an_engineer_cannot_take_a_project_out_of_review_or_mark_it_reviewed(
    body: dict[str, str], w: Workspace, cast: Cast, engineer_api: APIClient
) -> None:
    review = submitted(cast, w.project)
    before = unchanged(w.project)
    if body.get("last_reviewed_on") == "today":
        body = body | {"last_reviewed_on": timezone.localdate().isoformat()}
    response = engineer_api.patch(url("api_project_detail", w.project.pk), body, headers=if_match(w.project))
    errors = field_errors(response)
    if "last_reviewed_on" in body:
        assert errors == {
            "last_reviewed_on": [
                "The day of the latest review is set when a security lead or an owner approves the model; it "
                "cannot be written."
            ]
        }
    else:
        [error] = errors.pop("status")
        assert (errors, WAITING in error) == ({}, True)
        assert error.endswith("Archive it once the review is decided.") == (body["status"] == "archived")
    assert unchanged(w.project) == before
    assert Project.objects.get(pk=w.project.pk).name == "Checkout"
    review.refresh_from_db()
    assert review.is_open


def test_a_put_without_the_status_of_a_project_in_review_is_refused(
    w: Workspace, cast: Cast, engineer_api: APIClient
) -> None:
    """PUT takes the default for a field left out: draft would take the project out of review."""
    submitted(cast, w.project)
    before = unchanged(w.project)
    response = engineer_api.put(
        url("api_project_detail", w.project.pk),
        {"name": "Checkout", "team": "payments"},
        headers=if_match(w.project),
    )
    assert list(field_errors(response)) == ["status"]
    assert unchanged(w.project) == before


@pytest.mark.parametrize("api", ["engineer_api", "lead_api", "owner_api"])
def test_nobody_puts_a_project_in_review_through_the_api(
    api: str, w: Workspace, request: pytest.FixtureRequest
) -> None:
    client: APIClient = request.getfixturevalue(api)
    before = unchanged(w.project)
    response = client.patch(
        url("api_project_detail", w.project.pk), {"status": "in_review"}, headers=if_match(w.project)
    )
    assert field_errors(response) == {
        "status": [
            "A project is in review only while its model waits for sign-off: submit the model for review on the "
            "project's Review page instead."
        ]
    }
    assert unchanged(w.project) == before
    assert not ModelReview.objects.exists()


def test_a_project_read_back_is_written_back_as_it_is(
    w: Workspace, cast: Cast, engineer_api: APIClient
) -> None:
    """The day of the latest review is in what the API shows; sent back unchanged, it is not an attempt to write
    it."""
    Project.objects.filter(pk=w.project.pk).update(last_reviewed_on=datetime.date(2026, 10, 25))
    submitted(cast, w.project)
    shown = engineer_api.get(url("api_project_detail", w.project.pk)).json()
    assert (shown["status"], shown["last_reviewed_on"]) == ("in_review", "2026-10-25")
    body = shown | {"team": "payments", "description": "Takes card payments"}
    response = engineer_api.put(url("api_project_detail", w.project.pk), body, headers=if_match(w.project))
    assert response.status_code == 200
    assert (response.json()["description"], response.json()["last_reviewed_on"]) == (
        "Takes card payments",
        "2026-10-25",
    )
    response = engineer_api.patch(
        url("api_project_detail", w.project.pk), {"last_reviewed_on": None}, headers=if_match(w.project)
    )
    assert list(field_errors(response)) == ["last_reviewed_on"]


def test_only_an_approval_marks_a_project_reviewed(w: Workspace, cast: Cast, lead_api: APIClient) -> None:
    submitted(cast, w.project)
    review_services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=w.project, decision="approved"
    )
    shown = lead_api.get(url("api_project_detail", w.project.pk)).json()
    assert (shown["status"], shown["last_reviewed_on"]) == ("active", timezone.localdate().isoformat())
