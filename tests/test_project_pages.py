"""The project pages around the Model section: the list, create, edit, delete and history."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import review_services
from projects import workspace_services as services
from projects.models import Project, ProjectStatus, ThreatStatus
from projects.review_models import ModelReview, ReviewDecision
from tests.conftest import Cast, signed_in
from tests.factories import ComponentFactory, ProjectFactory, TeamFactory, ThreatFactory
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout", description="Takes card payments")


def url(name: str, cast: Cast, *args: object) -> str:
    return reverse(name, args=[cast.organisation.slug, *args])


def project_body(project: Project | None = None, /, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Checkout",
        "team": project.team_id if project else "",
        "description": "Takes card payments",
        "criticality": "high",
        "data_classification": "restricted",
        "status": "active",
    }
    if project is not None:
        body["version"] = project.version
    return body | changes


# The list -------------------------------------------------------------------------------------------------


def test_the_list_shows_each_project_with_its_counts(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    ComponentFactory.create(project=project)
    ThreatFactory.create(project=project)
    ThreatFactory.create(project=project, status=ThreatStatus.MITIGATED)
    ProjectFactory.create(team=cast.outsider_organisation.teams.create(name="Elsewhere", slug="elsewhere"))
    response = viewer_client.get(url("project_list", cast))
    assert response.status_code == 200
    [shown] = response.context["projects"]
    assert (shown.name, shown.component_count, shown.threat_count, shown.open_threat_count) == (
        "Checkout",
        1,
        2,
        1,
    )
    assert reverse("project_detail", args=["acme", project.pk]) in response.content.decode()


def test_the_list_filters_by_team_status_and_search(cast: Cast, viewer_client: Client) -> None:
    ProjectFactory.create(team=cast.team, name="Checkout", status=ProjectStatus.ACTIVE)
    ProjectFactory.create(team=cast.team, name="Refunds", status=ProjectStatus.DRAFT)
    ProjectFactory.create(team=cast.other_team, name="Build farm", status=ProjectStatus.ACTIVE)

    def names(**query: str) -> list[str]:
        response = viewer_client.get(url("project_list", cast), query)
        return [p.name for p in response.context["projects"]]

    assert names() == ["Build farm", "Checkout", "Refunds"]
    assert names(team="payments") == ["Checkout", "Refunds"]
    assert names(status="active") == ["Build farm", "Checkout"]
    assert names(team="payments", status="active") == ["Checkout"]
    assert names(q="refu") == ["Refunds"]
    assert names(status="no-such-status") == ["Build farm", "Checkout", "Refunds"]
    assert names(q="nul\x00byte") == []


def test_the_list_filters_the_projects_not_reviewed_in_90_days(cast: Cast, viewer_client: Client) -> None:
    today = timezone.localdate()
    ProjectFactory.create(team=cast.team, name="Never reviewed", last_reviewed_on=None)
    ProjectFactory.create(
        team=cast.team, name="Reviewed long ago", last_reviewed_on=today - datetime.timedelta(91)
    )
    ProjectFactory.create(
        team=cast.team, name="Reviewed lately", last_reviewed_on=today - datetime.timedelta(90)
    )
    ProjectFactory.create(
        team=cast.other_team, name="Archived", status=ProjectStatus.ARCHIVED, last_reviewed_on=None
    )

    def names(**query: str) -> list[str]:
        response = viewer_client.get(url("project_list", cast), query)
        return [p.name for p in response.context["projects"]]

    assert names(review="overdue") == ["Never reviewed", "Reviewed long ago"]
    assert names(review="overdue", team="platform") == []
    assert names(review="whenever") == ["Archived", "Never reviewed", "Reviewed lately", "Reviewed long ago"]
    html = viewer_client.get(url("project_list", cast), {"review": "overdue"}).content.decode()
    assert 'name="review" value="overdue" checked' in html
    assert "Not reviewed in 90 days" in html
    assert f'<time datetime="{(today - datetime.timedelta(91)).isoformat()}">' in html
    assert '<span class="muted">Never</span>' in html


def test_the_list_answers_htmx_with_the_results_only(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    response = viewer_client.get(
        url("project_list", cast), {"q": "check"}, headers=HTMX | {"HX-Target": "project-results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="project-results">')
    assert "Checkout" in html
    assert "<html" not in html


def test_a_filter_that_matches_nothing_says_so(cast: Cast, viewer_client: Client, project: Project) -> None:
    response = viewer_client.get(url("project_list", cast), {"q": "nothing like it"})
    assert "No projects match these filters" in response.content.decode()


def test_an_empty_organisation_is_told_how_to_start(cast: Cast, engineer_client: Client) -> None:
    html = engineer_client.get(url("project_list", cast)).content.decode()
    assert "Create your first project" in html
    assert reverse("project_create", args=["acme"]) in html


def test_a_viewer_is_offered_no_new_project(cast: Cast, viewer_client: Client) -> None:
    html = viewer_client.get(url("project_list", cast)).content.decode()
    assert "No projects yet" in html
    assert reverse("project_create", args=["acme"]) not in html


def test_the_list_answers_only_get(cast: Cast, owner_client: Client) -> None:
    assert owner_client.post(url("project_list", cast)).status_code == 405


def test_an_outsider_cannot_see_the_list(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(url("project_list", cast)).status_code == 404


def test_the_list_queries_do_not_grow_with_projects(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    ComponentFactory.create(project=project)
    viewer_client.get(url("project_list", cast))
    few = count_queries(lambda: viewer_client.get(url("project_list", cast)))
    for n in range(30):
        other = ProjectFactory.create(team=TeamFactory.create(organisation=cast.organisation), name=f"P{n}")
        ComponentFactory.create(project=other)
        ThreatFactory.create(project=other)
    assert count_queries(lambda: viewer_client.get(url("project_list", cast))) == few


def test_the_header_marks_projects_on_every_project_page(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    tab = f'href="{url("project_list", cast)}" aria-current='
    assert tab + '"page"' in viewer_client.get(url("project_list", cast)).content.decode()
    assert tab + '"true"' in viewer_client.get(url("project_detail", cast, project.pk)).content.decode()
    assert tab not in viewer_client.get(reverse("team_list", args=["acme"])).content.decode()


# Creating ----------------------------------------------------------------------------------------------------


def test_an_engineer_creates_a_project_for_their_team(cast: Cast, engineer_client: Client) -> None:
    response = engineer_client.post(url("project_create", cast), project_body(team=cast.team.pk))
    project = Project.objects.get(organisation=cast.organisation, name="Checkout")
    assert response.status_code == 302
    assert response["Location"] == url("project_detail", cast, project.pk)
    assert (project.team, project.criticality, project.status) == (cast.team, "high", "active")


def test_an_engineer_picks_only_among_their_own_teams(cast: Cast, engineer_client: Client) -> None:
    form = engineer_client.get(url("project_create", cast)).context["form"]
    assert list(form.fields["team"].queryset) == [cast.team]
    owner_form = signed_in(cast.owner).get(url("project_create", cast)).context["form"]
    assert list(owner_form.fields["team"].queryset) == [cast.team, cast.other_team]


def test_an_engineer_cannot_create_a_project_for_another_team(cast: Cast, engineer_client: Client) -> None:
    response = engineer_client.post(url("project_create", cast), project_body(team=cast.other_team.pk))
    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert not Project.objects.exists()


def test_a_member_without_a_team_is_told_to_join_one(cast: Cast) -> None:
    cast.membership(cast.engineer).teams.clear()
    html = signed_in(cast.engineer).get(url("project_create", cast)).content.decode()
    assert "You need a team first" in html


def test_a_viewer_cannot_create_a_project(cast: Cast, viewer_client: Client) -> None:
    assert viewer_client.get(url("project_create", cast)).status_code == 403
    assert viewer_client.post(url("project_create", cast), project_body(team=cast.team.pk)).status_code == 403
    assert not Project.objects.exists()


def test_an_outsider_cannot_create_a_project(cast: Cast, outsider_client: Client) -> None:
    assert (
        outsider_client.post(url("project_create", cast), project_body(team=cast.team.pk)).status_code == 404
    )


def test_creating_answers_only_get_and_post(cast: Cast, owner_client: Client) -> None:
    assert owner_client.put(url("project_create", cast)).status_code == 405


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "bad\x00name"),
        ("name", "x" * 201),
        ("name", ""),
        ("criticality", "apocalyptic"),
        ("status", "frozen"),
        ("status", "in_review"),
    ],
)
def test_bad_project_input_is_a_field_error(cast: Cast, owner_client: Client, field: str, value: str) -> None:
    response = owner_client.post(
        url("project_create", cast), project_body(team=cast.team.pk, **{field: value})
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Project.objects.exists()


def test_a_duplicate_project_name_is_refused(cast: Cast, owner_client: Client, project: Project) -> None:
    response = owner_client.post(url("project_create", cast), project_body(team=cast.other_team.pk))
    assert response.status_code == 400
    assert Project.objects.count() == 1


# Editing ----------------------------------------------------------------------------------------------------


def test_an_engineer_edits_their_teams_project(cast: Cast, engineer_client: Client, project: Project) -> None:
    body = project_body(project, name="Checkout v2")
    response = engineer_client.post(url("project_edit", cast, project.pk), body)
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.status, project.version) == ("Checkout v2", "active", 2)


def test_the_edit_form_starts_from_the_saved_values(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    response = engineer_client.get(url("project_edit", cast, project.pk))
    assert response.status_code == 200
    assert response.context["form"]["name"].value() == "Checkout"
    assert response.context["form"]["version"].value() == 1


def test_a_stale_edit_shows_the_other_change_and_keeps_mine(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    services.project_update(
        membership=cast.membership(cast.security_lead),
        project=project,
        version=1,
        description="Card payments",
    )
    body = project_body(project, version=1, name="Checkout (mine)")
    response = engineer_client.post(url("project_edit", cast, project.pk), body)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed this project" in html
    assert cast.security_lead.display_name in html
    assert response.context["form"]["name"].value() == "Checkout (mine)"
    assert response.context["form"]["version"].value() == "2"
    project.refresh_from_db()
    assert project.name == "Checkout"


def test_a_viewer_cannot_edit_a_project(cast: Cast, viewer_client: Client, project: Project) -> None:
    assert viewer_client.get(url("project_edit", cast, project.pk)).status_code == 403
    assert viewer_client.post(url("project_edit", cast, project.pk), project_body(project)).status_code == 403


def test_an_engineer_of_another_team_cannot_edit_it(cast: Cast, project: Project) -> None:
    client = signed_in(cast.other_engineer)
    assert client.get(url("project_edit", cast, project.pk)).status_code == 403
    assert (
        client.post(url("project_edit", cast, project.pk), project_body(project, name="Mine")).status_code
        == 403
    )
    project.refresh_from_db()
    assert project.name == "Checkout"


def test_an_outsider_cannot_edit_it(cast: Cast, outsider_client: Client, project: Project) -> None:
    assert (
        outsider_client.post(url("project_edit", cast, project.pk), project_body(project)).status_code == 404
    )


def test_editing_answers_only_get_and_post(cast: Cast, owner_client: Client, project: Project) -> None:
    assert owner_client.delete(url("project_edit", cast, project.pk)).status_code == 405


# The review's status and day ----------------------------------------------------------------------------------


def submitted(cast: Cast, project: Project) -> ModelReview:
    review = review_services.model_review_submit(membership=cast.membership(cast.engineer), project=project)
    project.refresh_from_db()
    return review


def test_an_engineer_cannot_mark_a_project_waiting_for_review_as_approved(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    review = submitted(cast, project)
    body = project_body(project, status="active", last_reviewed_on=timezone.localdate().isoformat())
    response = engineer_client.post(url("project_edit", cast, project.pk), body)
    assert response.status_code == 400
    [error] = response.context["form"].errors["status"]
    assert error == (
        f"Checkout has been waiting for review since {timezone.localdate():%-d %b %Y} (submitted by "
        f"{cast.engineer.display_name}): it stays in review until a security lead or an owner approves its "
        "model or asks for changes on its Review page."
    )
    assert "it stays in review until a security lead or an owner approves its model" in response.text
    saved = Project.objects.get(pk=project.pk)
    assert (saved.status, saved.last_reviewed_on, saved.version) == ("in_review", None, project.version)
    review.refresh_from_db()
    assert review.is_open


def test_a_project_waiting_for_review_is_archived_once_its_review_is_decided(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    submitted(cast, project)
    response = engineer_client.post(
        url("project_edit", cast, project.pk), project_body(project, status="archived")
    )
    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["status"][0]
        .endswith("on its Review page. Archive it once the review is decided.")
    )
    assert Project.objects.get(pk=project.pk).status == "in_review"
    review_services.model_review_decide(
        membership=cast.membership(cast.security_lead),
        project=project,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Model the refunds flow",
    )
    project.refresh_from_db()
    assert project.status == "draft"  # as it was when submitted
    response = engineer_client.post(
        url("project_edit", cast, project.pk), project_body(project, status="archived")
    )
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == "archived"


def test_a_project_waiting_for_review_is_edited_in_review(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    submitted(cast, project)
    body = project_body(project, name="Checkout v2", status="in_review")
    assert engineer_client.post(url("project_edit", cast, project.pk), body).status_code == 302
    project.refresh_from_db()
    assert (project.name, project.status) == ("Checkout v2", "in_review")


@pytest.mark.parametrize("role", ["engineer", "security_lead", "owner"])
def test_nobody_puts_a_project_in_review_but_a_submission(cast: Cast, project: Project, role: str) -> None:
    client = signed_in(getattr(cast, role))
    response = client.post(url("project_edit", cast, project.pk), project_body(project, status="in_review"))
    assert response.status_code == 400
    assert response.context["form"].errors["status"] == [
        "A project is in review only while its model waits for sign-off: submit the model for review on the "
        "project's Review page instead."
    ]
    saved = Project.objects.get(pk=project.pk)
    assert (saved.status, saved.version) == (project.status, project.version)
    assert not ModelReview.objects.exists()


def test_a_project_in_review_with_no_model_waiting_may_leave_it(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    """As a seeded estate, or a project put in review before only a submission could do it, leaves it."""
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.IN_REVIEW)
    response = engineer_client.post(
        url("project_edit", cast, project.pk), project_body(project, status="active")
    )
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == "active"


# Deleting ---------------------------------------------------------------------------------------------------


def test_deleting_asks_first_and_says_what_goes(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    ComponentFactory.create(project=project)
    response = engineer_client.get(url("project_delete", cast, project.pk))
    assert response.status_code == 200
    assert "1 component," in " ".join(response.content.decode().split())
    assert Project.objects.filter(pk=project.pk).exists()


def test_an_engineer_deletes_their_project(cast: Cast, engineer_client: Client, project: Project) -> None:
    response = engineer_client.post(url("project_delete", cast, project.pk), {"version": 1})
    assert response["Location"] == url("project_list", cast)
    assert not Project.objects.filter(pk=project.pk).exists()


def test_a_delete_of_a_changed_project_is_refused(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    services.project_update(
        membership=cast.membership(cast.owner), project=project, version=1, name="Renamed"
    )
    response = engineer_client.post(url("project_delete", cast, project.pk), {"version": 1}, follow=True)
    assert "was not deleted" in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()


def test_a_delete_without_a_version_is_refused(cast: Cast, engineer_client: Client, project: Project) -> None:
    assert engineer_client.post(url("project_delete", cast, project.pk)).status_code == 400
    assert Project.objects.filter(pk=project.pk).exists()


def test_a_viewer_or_another_team_cannot_delete_it(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    assert viewer_client.post(url("project_delete", cast, project.pk), {"version": 1}).status_code == 403
    other = signed_in(cast.other_engineer)
    assert other.get(url("project_delete", cast, project.pk)).status_code == 403
    assert other.post(url("project_delete", cast, project.pk), {"version": 1}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_an_outsider_cannot_delete_it(cast: Cast, outsider_client: Client, project: Project) -> None:
    assert outsider_client.post(url("project_delete", cast, project.pk), {"version": 1}).status_code == 404
    assert Project.objects.filter(pk=project.pk).exists()


def test_deleting_answers_only_get_and_post(cast: Cast, owner_client: Client, project: Project) -> None:
    assert owner_client.put(url("project_delete", cast, project.pk)).status_code == 405


# History ----------------------------------------------------------------------------------------------------


def test_the_history_says_who_changed_which_field(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    lead = cast.membership(cast.security_lead)
    services.project_update(membership=lead, project=project, version=1, criticality="critical")
    services.zone_create(membership=lead, project=project, name="Internet", trust_level=0)
    response = viewer_client.get(url("project_history", cast, project.pk))
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert f"<strong>{cast.security_lead.display_name}</strong> created trust zone “Internet”" in html
    assert "<dt>Criticality</dt>" in html
    assert "<del>Medium</del>" in html
    assert "<ins>Critical</ins>" in html


def test_the_history_is_paged(cast: Cast, viewer_client: Client, project: Project) -> None:
    for n in range(55):
        ComponentFactory.create(project=project, name=f"Service {n:02}")
    first = viewer_client.get(url("project_history", cast, project.pk))
    second = viewer_client.get(url("project_history", cast, project.pk), {"page": 2})
    assert len(first.context["changes"]) == 50
    assert [c.subject for c in second.context["changes"]][-1] == "Checkout"


def test_the_history_answers_only_get(cast: Cast, owner_client: Client, project: Project) -> None:
    assert owner_client.post(url("project_history", cast, project.pk)).status_code == 405


def test_an_outsider_cannot_read_the_history(cast: Cast, outsider_client: Client, project: Project) -> None:
    assert outsider_client.get(url("project_history", cast, project.pk)).status_code == 404


def test_the_history_queries_do_not_grow_with_changes(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    ComponentFactory.create(project=project)
    viewer_client.get(url("project_history", cast, project.pk))
    few = count_queries(lambda: viewer_client.get(url("project_history", cast, project.pk)))
    for n in range(20):
        ComponentFactory.create(project=project, zone=None, name=f"Extra {n}")
    assert count_queries(lambda: viewer_client.get(url("project_history", cast, project.pk))) == few


def test_the_last_review_date_is_not_in_the_edit_form_and_a_save_keeps_it(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    Project.objects.filter(pk=project.pk).update(last_reviewed_on=datetime.date(2026, 10, 25))
    response = engineer_client.get(url("project_edit", cast, project.pk))
    assert 'name="last_reviewed_on"' not in response.text
    assert "In review begins when the model is submitted for review" in response.text
    body = project_body(project, name="Checkout v2", last_reviewed_on=timezone.localdate().isoformat())
    assert engineer_client.post(url("project_edit", cast, project.pk), body).status_code == 302
    project.refresh_from_db()
    assert (project.name, project.last_reviewed_on) == ("Checkout v2", datetime.date(2026, 10, 25))
