"""Reviews through the API: the queue, decisions on threats one at a time and in bulk, and a project's model
review (its state, submission, approval or request for changes, withdrawal, history and the changes since approval), for
every role, by session and by token."""

from functools import partial
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects import review_services as services
from projects.models import (
    Notification,
    NotificationKind,
    Project,
    ProjectStatus,
    Threat,
    ThreatStatus,
    User,
)
from projects.review_api import state_etag
from projects.review_models import ModelReview, ThreatReview
from projects.services import api_token_create
from tests.api.conftest import session_client, token_client
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast
from tests.factories import ComponentFactory, ProjectFactory, ThreatFactory
from tests.queries import count_queries
from tests.reviews import fill_queue, in_review

ROLES = ["owner", "security_lead", "engineer", "other_engineer", "viewer"]
DECIDERS = ["owner", "security_lead"]
NOT_DECIDERS = ["engineer", "other_engineer", "viewer"]


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout", status=ProjectStatus.ACTIVE)


@pytest.fixture
def platform(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.other_team, name="Platform")


def client_of(cast: Cast, role: str) -> APIClient:
    user: User = getattr(cast, role)
    return session_client(user)


def org_url(name: str) -> str:
    return reverse(name, args=["acme"])


def project_url(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=["acme", project.pk, *args])


def seen(*threats: Threat) -> list[dict[str, int]]:
    return [{"project": t.project_id, "number": t.number, "version": t.version} for t in threats]


def statuses(*threats: Threat) -> list[str]:
    return [Threat.objects.get(pk=threat.pk).status for threat in threats]


def submit(cast: Cast, project: Project, who: str = "engineer") -> None:
    services.model_review_submit(membership=cast.membership(getattr(cast, who)), project=project)


# The queue ------------------------------------------------------------------------------------------------


def test_the_queue_lists_threats_in_review_across_the_organisation_waiting_longest_first(
    cast: Cast, project: Project, platform: Project
) -> None:
    first = in_review(project, created_by=cast.engineer)[0]
    second = in_review(platform, owner=cast.other_engineer)[0]
    ThreatFactory.create(project=project)  # identified, not in review
    ThreatReview.objects.create(
        threat=first,
        decision="changes_requested",
        comment="Name the asset",
        status_before="in_review",
        decided_by=cast.security_lead,
        decided_at=timezone.now(),
    )
    response = client_of(cast, "viewer").get(org_url("api_review_threat_list"))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["project"]["name"], row["number"]) for row in rows] == [
        ("Checkout", first.number),
        ("Platform", second.number),
    ]
    assert rows[0]["project"]["team"]["slug"] == "payments"
    assert rows[0]["created_by"]["email"] == "engineer@acme.test"
    assert rows[0]["statement"] == first.statement
    assert [(d["decision"], d["comment"]) for d in rows[0]["decisions"]] == [
        ("changes_requested", "Name the asset")
    ]
    assert rows[1]["owner"]["email"] == "platform@acme.test"
    assert rows[1]["version"] == second.version


def test_the_queue_narrows_to_a_team_or_a_project(cast: Cast, project: Project, platform: Project) -> None:
    in_review(project)
    in_review(platform, 2)
    client = client_of(cast, "security_lead")
    by_team = client.get(org_url("api_review_threat_list"), {"team": "platform"}).json()
    assert {row["project"]["id"] for row in by_team["results"]} == {platform.pk}
    by_project = client.get(org_url("api_review_threat_list"), {"project": project.pk}).json()
    assert by_project["count"] == 1
    nothing = client.get(org_url("api_review_threat_list"), {"team": "no-such-team"}).json()
    assert nothing["count"] == 0


def test_the_queue_lists_the_models_waiting_by_team(cast: Cast, project: Project, platform: Project) -> None:
    submit(cast, project, "engineer")
    submit(cast, platform, "other_engineer")
    client = client_of(cast, "engineer")
    rows = client.get(org_url("api_review_model_list")).json()["results"]
    assert [(row["project"]["name"], row["submitted_by"]["email"]) for row in rows] == [
        ("Checkout", "engineer@acme.test"),
        ("Platform", "platform@acme.test"),
    ]
    assert rows[0]["decision"] == ""
    assert rows[0]["status_before"] == ProjectStatus.ACTIVE
    mine = client.get(org_url("api_review_model_list"), {"team": "payments"}).json()["results"]
    assert [row["project"]["id"] for row in mine] == [project.pk]


def test_the_queue_answers_304_while_it_has_not_changed(cast: Cast, project: Project) -> None:
    in_review(project)
    client = client_of(cast, "viewer")
    tag = client.get(org_url("api_review_threat_list"))["ETag"]
    assert client.get(org_url("api_review_threat_list"), headers={"If-None-Match": tag}).status_code == 304
    in_review(project)
    assert client.get(org_url("api_review_threat_list"), headers={"If-None-Match": tag}).status_code == 200


# Decisions on threats -------------------------------------------------------------------------------------


def test_a_lead_confirms_threats_of_several_projects_at_once_and_their_people_are_told(
    cast: Cast, project: Project, platform: Project
) -> None:
    mine = in_review(project, created_by=cast.engineer)[0]
    theirs = in_review(platform, owner=cast.other_engineer)[0]
    response = client_of(cast, "security_lead").post(
        org_url("api_review_threats_decide"), {"threats": seen(mine, theirs), "decision": "confirmed"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "confirmed"
    assert body["summary"] == f"2 threats confirmed: Checkout T-{mine.number} and Platform T-{theirs.number}."
    assert [row["status"] for row in body["threats"]] == ["confirmed", "confirmed"]
    assert body["threats"][0]["decisions"][0]["decided_by"]["email"] == "lead@acme.test"
    assert statuses(mine, theirs) == ["confirmed", "confirmed"]
    assert ThreatReview.objects.count() == 2
    told = Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED)
    assert sorted(told.values_list("recipient__email", flat=True)) == [
        "engineer@acme.test",
        "platform@acme.test",
    ]


def test_a_rejection_needs_a_reason_and_changes_nothing_without_one(cast: Cast, project: Project) -> None:
    threat = in_review(project)[0]
    client = client_of(cast, "owner")
    response = client.post(
        org_url("api_review_threats_decide"), {"threats": seen(threat), "decision": "rejected"}
    )
    assert field_errors(response) == {"comment": ["Say why these threats are rejected."]}
    assert statuses(threat) == ["in_review"]
    rejected = client.post(
        org_url("api_review_threats_decide"),
        {"threats": seen(threat), "decision": "rejected", "comment": "Not reachable from outside"},
    )
    assert rejected.status_code == 200
    threat.refresh_from_db()
    assert (threat.status, threat.status_reason) == ("rejected", "Not reachable from outside")


def test_asking_for_changes_needs_what_should_change_and_sends_the_threat_back(
    cast: Cast, project: Project
) -> None:
    threat = in_review(project)[0]
    client = client_of(cast, "security_lead")
    missing = client.post(
        org_url("api_review_threats_decide"), {"threats": seen(threat), "decision": "changes_requested"}
    )
    assert field_errors(missing) == {"comment": ["Say what should change."]}
    sent_back = client.post(
        org_url("api_review_threats_decide"),
        {"threats": seen(threat), "decision": "changes_requested", "comment": "Name the asset"},
    )
    assert sent_back.status_code == 200
    assert statuses(threat) == ["identified"]


def test_bad_bodies_get_field_level_errors(cast: Cast, project: Project) -> None:
    client = client_of(cast, "security_lead")
    url = org_url("api_review_threats_decide")
    errors = field_errors(client.post(url, {"threats": [], "decision": "maybe", "comment": "x" * 2_001}))
    assert set(errors) == {"threats", "decision", "comment"}
    errors = field_errors(
        client.post(url, {"threats": [{"project": "x", "number": 0}], "decision": "confirmed"})
    )
    assert set(errors["threats"]["0"]) == {"project", "number", "version"}


def test_a_threat_changed_since_it_was_read_refuses_the_whole_decision(cast: Cast, project: Project) -> None:
    fresh, moved = in_review(project, 2)
    stale = seen(fresh, moved)
    Threat.objects.filter(pk=moved.pk).update(version=moved.version + 1)
    response = client_of(cast, "security_lead").post(
        org_url("api_review_threats_decide"), {"threats": stale, "decision": "confirmed"}
    )
    assert response.status_code == 412
    body = response.json()
    assert body["error"]["code"] == "precondition_failed"
    assert body["stale"] == [{"project": project.pk, "number": moved.number, "version": moved.version + 1}]
    assert statuses(fresh, moved) == ["in_review", "in_review"]
    assert not ThreatReview.objects.exists()


def test_a_threat_of_another_organisation_names_nothing_and_nothing_is_decided(
    cast: Cast, project: Project
) -> None:
    ours = in_review(project)[0]
    elsewhere = in_review(ProjectFactory.create(team__organisation=cast.outsider_organisation))[0]
    response = client_of(cast, "owner").post(
        org_url("api_review_threats_decide"), {"threats": seen(ours, elsewhere), "decision": "confirmed"}
    )
    errors = field_errors(response)
    assert errors == {
        "threats": [
            f"This organisation has no threat T-{elsewhere.number} in project {elsewhere.project_id}."
        ]
    }
    assert statuses(ours, elsewhere) == ["in_review", "in_review"]


def test_a_threat_decided_already_refuses_the_whole_decision(cast: Cast, project: Project) -> None:
    waiting = in_review(project)[0]
    decided = ThreatFactory.create(project=project, status=ThreatStatus.CONFIRMED)
    response = client_of(cast, "owner").post(
        org_url("api_review_threats_decide"),
        {"threats": seen(waiting, decided), "decision": "rejected", "comment": "No"},
    )
    assert "is not waiting for review" in field_errors(response)["threats"][0]
    assert statuses(waiting, decided) == ["in_review", "confirmed"]


@pytest.mark.parametrize("role", NOT_DECIDERS)
def test_members_who_do_not_decide_get_403_and_nothing_changes(
    cast: Cast, project: Project, role: str
) -> None:
    threat = in_review(project)[0]
    client = client_of(cast, role)
    answers = [
        client.post(org_url("api_review_threats_decide"), {"threats": seen(threat), "decision": "confirmed"}),
        client.post(
            project_url("api_review_threat_decide", project, threat.number),
            {"decision": "confirmed", "version": threat.version},
        ),
    ]
    for response in answers:
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "permission_denied"
    assert statuses(threat) == ["in_review"]


def test_one_threat_is_decided_from_the_version_read(cast: Cast, project: Project) -> None:
    threat = in_review(project, created_by=cast.engineer)[0]
    token = api_token_create(user=cast.security_lead, name="triage bot").plaintext
    url = project_url("api_review_threat_decide", project, threat.number)
    response = token_client(token).post(url, {"decision": "confirmed", "version": threat.version})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response["ETag"] == f'"threat-{threat.pk}-v{threat.version + 1}"'
    assert Notification.objects.get(kind=NotificationKind.REVIEW_DECIDED).recipient == cast.engineer


def test_a_decision_on_a_version_no_longer_current_answers_412_with_the_threat_now(
    cast: Cast, project: Project
) -> None:
    threat = in_review(project)[0]
    Threat.objects.filter(pk=threat.pk).update(version=threat.version + 1, threat_impact="double charges")
    response = client_of(cast, "owner").post(
        project_url("api_review_threat_decide", project, threat.number),
        {"decision": "confirmed", "version": threat.version},
    )
    assert response.status_code == 412
    assert response.json()["current"]["version"] == threat.version + 1
    assert "double charges" in response.json()["current"]["statement"]
    assert response["ETag"] == f'"threat-{threat.pk}-v{threat.version + 1}"'
    assert statuses(threat) == ["in_review"]


def test_a_single_decision_on_a_threat_decided_already_says_why(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project, status=ThreatStatus.REJECTED, status_reason="Duplicate")
    response = client_of(cast, "owner").post(
        project_url("api_review_threat_decide", project, threat.number),
        {"decision": "confirmed", "version": threat.version},
    )
    assert response.status_code == 400
    error = error_of(response)
    assert "is not waiting for review" in error["message"]
    assert error["fields"] == {}


def test_decisions_are_posted_and_hidden_from_outsiders(
    cast: Cast, project: Project, outsider_api: APIClient
) -> None:
    threat = in_review(project)[0]
    single = project_url("api_review_threat_decide", project, threat.number)
    assert client_of(cast, "owner").get(single).status_code == 405
    assert client_of(cast, "owner").get(org_url("api_review_threats_decide")).status_code == 405
    for response in [
        outsider_api.get(org_url("api_review_threat_list")),
        outsider_api.get(org_url("api_review_model_list")),
        outsider_api.post(
            org_url("api_review_threats_decide"), {"threats": seen(threat), "decision": "confirmed"}
        ),
        outsider_api.post(single, {"decision": "confirmed", "version": threat.version}),
    ]:
        assert response.status_code == 404
    assert statuses(threat) == ["in_review"]


# A project's model review ---------------------------------------------------------------------------------


def state(client: APIClient, project: Project) -> dict[str, Any]:
    response = client.get(project_url("api_model_review", project))
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def test_a_model_never_submitted_waits_for_nothing_and_its_team_may_submit_it(
    cast: Cast, project: Project
) -> None:
    body = state(client_of(cast, "engineer"), project)
    assert body["waiting"] is None
    assert body["approval"] is None
    assert len(body["digest"]) == 64
    assert (body["changed_since_approval"], body["may_submit"], body["may_decide"]) == (False, True, False)
    assert state(client_of(cast, "viewer"), project)["may_submit"] is False


def test_the_engineer_submits_the_model_and_those_who_decide_are_told(cast: Cast, project: Project) -> None:
    response = client_of(cast, "engineer").post(
        project_url("api_model_review_submit", project), {"note": "Look at the refunds"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == ProjectStatus.IN_REVIEW
    assert body["waiting"]["submitted_by"]["email"] == "engineer@acme.test"
    assert body["waiting"]["note"] == "Look at the refunds"
    assert body["waiting"]["digest"] == body["digest"]
    assert body["may_submit"] is False
    told = Notification.objects.filter(kind=NotificationKind.REVIEW_REQUESTED)
    assert sorted(told.values_list("recipient__email", flat=True)) == ["lead@acme.test", "owner@acme.test"]


def test_a_second_submission_while_one_waits_is_refused(cast: Cast, project: Project) -> None:
    submit(cast, project)
    response = client_of(cast, "security_lead").post(project_url("api_model_review_submit", project), {})
    assert response.status_code == 400
    assert "has been waiting for review since" in error_of(response)["message"]
    assert ModelReview.objects.count() == 1


def test_an_archived_model_is_not_submitted(cast: Cast, project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.ARCHIVED)
    response = client_of(cast, "engineer").post(project_url("api_model_review_submit", project), {})
    assert "is archived" in error_of(response)["message"]
    assert not ModelReview.objects.exists()


@pytest.mark.parametrize("role", ["other_engineer", "viewer"])
def test_members_who_cannot_edit_the_project_cannot_submit_it(
    cast: Cast, project: Project, role: str
) -> None:
    response = client_of(cast, role).post(project_url("api_model_review_submit", project), {})
    assert response.status_code == 403
    assert not ModelReview.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_approve_a_model_the_engineer_submitted(cast: Cast, project: Project, role: str) -> None:
    submit(cast, project, "engineer")
    client = client_of(cast, role)
    digest = state(client, project)["digest"]
    response = client.post(
        project_url("api_model_review_decide", project), {"decision": "approved", "digest": digest}
    )
    if role in DECIDERS:
        assert response.status_code == 200, response.content
        assert response.json()["approval"]["decided_by"]["email"] == getattr(cast, role).email
    else:
        assert response.status_code == 403
        assert error_of(response)["code"] == "permission_denied"
        assert ModelReview.objects.get().decision == ""


@pytest.mark.parametrize("role", DECIDERS)
def test_nobody_approves_a_model_they_submitted_but_they_may_send_it_back(
    cast: Cast, project: Project, role: str
) -> None:
    submit(cast, project, role)
    client = client_of(cast, role)
    body = state(client, project)
    assert (body["may_decide"], body["may_approve"]) == (True, False)
    assert body["approval_refused"] == "You submitted this model, so someone else signs it off."
    approval = client.post(
        project_url("api_model_review_decide", project), {"decision": "approved", "digest": body["digest"]}
    )
    assert approval.status_code == 403
    assert error_of(approval)["message"] == "You submitted this model, so someone else signs it off."
    taken_back = client.post(
        project_url("api_model_review_decide", project),
        {"decision": "changes_requested", "comment": "I forgot the flows"},
    )
    assert taken_back.status_code == 200
    assert taken_back.json()["status"] == ProjectStatus.ACTIVE


def test_an_approval_records_who_when_and_the_digest_and_a_later_change_shows(
    cast: Cast, project: Project, today: Any
) -> None:
    submit(cast, project)
    lead = client_of(cast, "security_lead")
    digest = state(lead, project)["digest"]
    response = lead.post(
        project_url("api_model_review_decide", project), {"decision": "approved", "digest": digest}
    )
    body = response.json()
    assert body["status"] == ProjectStatus.ACTIVE
    assert body["last_reviewed_on"] == today.isoformat()
    assert body["waiting"] is None
    assert body["approval"]["decided_by"]["email"] == "lead@acme.test"
    assert body["approval"]["digest"] == digest
    assert body["changed_since_approval"] is False
    assert Notification.objects.get(kind=NotificationKind.REVIEW_DECIDED).recipient == cast.engineer
    ThreatFactory.create(project=project)
    later = state(client_of(cast, "viewer"), project)
    assert later["changed_since_approval"] is True
    assert later["digest"] != digest


def test_an_approval_needs_the_digest_of_the_model_read(cast: Cast, project: Project) -> None:
    submit(cast, project)
    client = client_of(cast, "security_lead")
    url = project_url("api_model_review_decide", project)
    assert set(field_errors(client.post(url, {"decision": "approved"}))) == {"digest"}
    assert set(field_errors(client.post(url, {"decision": "approved", "digest": "abc"}))) == {"digest"}
    assert ModelReview.objects.get().decision == ""


def test_an_approval_of_a_model_changed_since_it_was_read_answers_412_with_the_review_now(
    cast: Cast, project: Project
) -> None:
    submit(cast, project)
    client = client_of(cast, "security_lead")
    read = state(client, project)
    ThreatFactory.create(project=project, threat_action="forge a refund")
    response = client.post(
        project_url("api_model_review_decide", project), {"decision": "approved", "digest": read["digest"]}
    )
    assert response.status_code == 412
    body = response.json()
    assert body["error"]["code"] == "precondition_failed"
    assert body["current"]["digest"] != read["digest"]
    assert body["current"]["changed_since_submission"] is True
    assert response["ETag"].startswith('W/"review-')
    assert ModelReview.objects.get().decision == ""


def test_asking_for_changes_needs_a_comment_and_gives_the_project_its_status_back(
    cast: Cast, project: Project
) -> None:
    submit(cast, project)
    client = client_of(cast, "owner")
    url = project_url("api_model_review_decide", project)
    missing = client.post(url, {"decision": "changes_requested"})
    assert field_errors(missing) == {"comment": ["Say what should change before the model can be approved."]}
    response = client.post(url, {"decision": "changes_requested", "comment": "Add the admin flows"})
    assert response.status_code == 200
    assert response.json()["status"] == ProjectStatus.ACTIVE
    assert ModelReview.objects.get().comment == "Add the admin flows"


def test_a_decision_when_nothing_waits_says_so(cast: Cast, project: Project) -> None:
    response = client_of(cast, "owner").post(
        project_url("api_model_review_decide", project), {"decision": "changes_requested", "comment": "Why"}
    )
    assert field_errors(response) == {
        "decision": ["Checkout is not waiting for review: it has to be submitted first."]
    }


def approve(cast: Cast, project: Project) -> None:
    submit(cast, project)
    services.model_review_decide(
        membership=cast.membership(cast.security_lead), project=project, decision="approved"
    )


def test_the_changes_since_approval_list_each_part_and_field(cast: Cast, project: Project) -> None:
    threat = ThreatFactory.create(project=project, threat_action="replay a refund")
    gone = ComponentFactory.create(project=project, name="Old worker")
    approve(cast, project)
    Threat.objects.filter(pk=threat.pk).update(threat_action="replay two refunds")
    gone.delete()
    ComponentFactory.create(project=project, name="Refund worker")
    response = client_of(cast, "viewer").get(project_url("api_model_review_changes", project))
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "approval"
    assert body["review"]["decision"] == "approved"
    assert (body["added"], body["removed"], body["edited"]) == (1, 1, 1)
    assert body["summary"] == "1 added, 1 removed, 1 edited"
    by_change = {(c["part"], c["change"]): c for c in body["changes"]}
    assert by_change[("components", "added")]["label"] == "Refund worker"
    assert by_change[("components", "removed")]["key"] is None
    edited = by_change[("threats", "edited")]
    assert edited["key"] == threat.number
    assert edited["noun"] == "threat"
    assert edited["fields"] == [
        {"name": "Threat action", "before": "replay a refund", "after": "replay two refunds"}
    ]


def test_the_changes_since_the_submission_waiting(cast: Cast, project: Project) -> None:
    submit(cast, project)
    ThreatFactory.create(project=project)
    body = (
        client_of(cast, "security_lead")
        .get(project_url("api_model_review_changes", project), {"since": "submission"})
        .json()
    )
    assert (body["since"], body["added"], body["review"]["decision"]) == ("submission", 1, "")


def test_with_nothing_approved_there_are_no_changes_to_list(cast: Cast, project: Project) -> None:
    body = client_of(cast, "viewer").get(project_url("api_model_review_changes", project)).json()
    assert body == {
        "since": "approval",
        "review": None,
        "summary": "",
        "added": 0,
        "removed": 0,
        "edited": 0,
        "changes": [],
    }


def test_the_history_lists_each_submission_and_its_decision_newest_first(
    cast: Cast, project: Project
) -> None:
    approve(cast, project)
    submit(cast, project, "security_lead")
    rows = client_of(cast, "viewer").get(project_url("api_model_review_list", project)).json()["results"]
    assert [(row["submitted_by"]["email"], row["decision"]) for row in rows] == [
        ("lead@acme.test", ""),
        ("engineer@acme.test", "approved"),
    ]


def test_the_state_answers_304_until_the_model_or_its_review_moves(cast: Cast, project: Project) -> None:
    client = client_of(cast, "viewer")
    tag = client.get(project_url("api_model_review", project))["ETag"]
    assert (
        client.get(project_url("api_model_review", project), headers={"If-None-Match": tag}).status_code
        == 304
    )
    submit(cast, project)
    assert (
        client.get(project_url("api_model_review", project), headers={"If-None-Match": tag}).status_code
        == 200
    )


def test_the_model_review_is_hidden_from_outsiders(
    cast: Cast, project: Project, outsider_api: APIClient
) -> None:
    for name in ("api_model_review", "api_model_review_changes", "api_model_review_list"):
        assert outsider_api.get(project_url(name, project)).status_code == 404
    assert outsider_api.post(project_url("api_model_review_submit", project), {}).status_code == 404
    response = outsider_api.post(
        project_url("api_model_review_decide", project), {"decision": "changes_requested", "comment": "x"}
    )
    assert response.status_code == 404
    assert client_of(cast, "owner").get(project_url("api_model_review_submit", project)).status_code == 405
    assert not ModelReview.objects.exists()


# Query budgets --------------------------------------------------------------------------------------------


def _fill_history(cast: Cast, project: Project, count: int) -> None:
    for _ in range(count):
        submit(cast, project)
        services.model_review_decide(
            membership=cast.membership(cast.owner),
            project=project,
            decision="changes_requested",
            comment="Again",
        )


def queries_for(client: APIClient, url: str, rows: int) -> int:
    def fetch() -> None:
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()["results"]) == rows

    return count_queries(fetch)


@pytest.mark.parametrize("name", ["api_review_threat_list", "api_review_model_list"])
def test_the_queue_costs_the_same_queries_for_one_row_as_for_a_full_page(cast: Cast, name: str) -> None:
    client = client_of(cast, "security_lead")
    fill_queue(cast, 1)
    one_row = queries_for(client, org_url(name), rows=1)
    fill_queue(cast, 49)
    assert queries_for(client, org_url(name), rows=50) == one_row


def test_the_history_costs_the_same_queries_for_one_row_as_for_a_full_page(
    cast: Cast, project: Project
) -> None:
    client = client_of(cast, "viewer")
    url = project_url("api_model_review_list", project)
    _fill_history(cast, project, 1)
    one_row = queries_for(client, url, rows=1)
    _fill_history(cast, project, 49)
    assert queries_for(client, url, rows=50) == one_row


def test_the_state_and_the_changes_cost_the_same_queries_however_much_changed(
    cast: Cast, project: Project
) -> None:
    approve(cast, project)
    client = client_of(cast, "viewer")
    urls = [project_url("api_model_review", project), project_url("api_model_review_changes", project)]
    ThreatFactory.create(project=project).target_components.set([ComponentFactory.create(project=project)])

    def costs() -> list[int]:
        return [count_queries(partial(client.get, url)) for url in urls]

    few = costs()
    for _ in range(29):
        ThreatFactory.create(project=project).target_components.set(
            [ComponentFactory.create(project=project)]
        )
    assert client.get(urls[1]).json()["added"] == 60
    assert costs() == few


# Withdrawing a model ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "security_lead", "engineer"])
def test_whoever_may_edit_the_project_withdraws_the_model_waiting(
    cast: Cast, project: Project, role: str
) -> None:
    submit(cast, project)
    client = client_of(cast, role)
    assert (state(client, project)["may_withdraw"], state(client, project)["may_submit"]) == (True, False)
    response = client.post(project_url("api_model_review_withdraw", project), {"note": "Not ready"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == ProjectStatus.ACTIVE
    assert body["waiting"] is None
    assert (body["may_withdraw"], body["may_submit"]) == (False, True)
    assert response["ETag"] == state_etag(body)
    review = ModelReview.objects.get()
    assert (review.decision, review.comment, review.decided_by) == (
        "withdrawn",
        "Not ready",
        getattr(cast, role),
    )
    history = client.get(project_url("api_model_review_list", project)).json()["results"]
    assert [(item["decision"], item["comment"]) for item in history] == [("withdrawn", "Not ready")]
    told = Notification.objects.filter(kind=NotificationKind.REVIEW_DECIDED)
    expected = {"lead@acme.test", "owner@acme.test"} - {getattr(cast, role).email}
    assert set(told.values_list("recipient__email", flat=True)) == expected


def test_a_withdrawn_model_is_submitted_again(cast: Cast, project: Project) -> None:
    submit(cast, project)
    client = client_of(cast, "engineer")
    assert client.post(project_url("api_model_review_withdraw", project), {}).status_code == 200
    response = client.post(project_url("api_model_review_submit", project), {"note": "Now"})
    assert response.status_code == 201, response.content
    assert response.json()["waiting"]["note"] == "Now"


@pytest.mark.parametrize("role", ["other_engineer", "viewer"])
def test_members_who_cannot_edit_the_project_cannot_withdraw_it(
    cast: Cast, project: Project, role: str
) -> None:
    submit(cast, project)
    client = client_of(cast, role)
    assert state(client, project)["may_withdraw"] is False
    response = client.post(project_url("api_model_review_withdraw", project), {})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert ModelReview.objects.get().is_open


def test_a_withdrawal_is_posted_and_hidden_from_outsiders(
    cast: Cast, project: Project, outsider_api: APIClient
) -> None:
    submit(cast, project)
    withdrawal = project_url("api_model_review_withdraw", project)
    assert client_of(cast, "engineer").get(withdrawal).status_code == 405
    assert outsider_api.post(withdrawal, {}).status_code == 404
    missing = reverse("api_model_review_withdraw", args=["acme", 999_999])
    assert client_of(cast, "engineer").post(missing, {}).status_code == 404
    assert ModelReview.objects.get().is_open


def test_withdrawing_with_nothing_waiting_is_refused(cast: Cast, project: Project) -> None:
    response = client_of(cast, "engineer").post(project_url("api_model_review_withdraw", project), {})
    assert response.status_code == 400
    assert "nothing to withdraw" in error_of(response)["message"]
    assert not ModelReview.objects.exists()


def test_a_withdrawal_note_too_long_is_a_field_error(cast: Cast, project: Project) -> None:
    submit(cast, project)
    response = client_of(cast, "engineer").post(
        project_url("api_model_review_withdraw", project), {"note": "x" * 2_001}
    )
    assert "note" in field_errors(response)
    assert ModelReview.objects.get().is_open


def test_withdrawn_is_not_a_decision_a_lead_gives(cast: Cast, project: Project) -> None:
    submit(cast, project)
    response = client_of(cast, "security_lead").post(
        project_url("api_model_review_decide", project), {"decision": "withdrawn"}
    )
    assert "decision" in field_errors(response)
    assert ModelReview.objects.get().is_open


def test_a_lead_who_changed_the_model_since_submission_is_told_and_refused_the_approval(
    cast: Cast, project: Project
) -> None:
    component = ComponentFactory.create(project=project, name="API")
    submit(cast, project, "engineer")
    lead = client_of(cast, "security_lead")
    assert state(lead, project)["approval_refused"] == ""
    renamed = lead.patch(
        project_url("api_component_detail", project, component.pk),
        {"name": "Public API"},
        headers={"If-Match": f'"component-{component.pk}-v{component.version}"'},
    )
    assert renamed.status_code == 200, renamed.content
    body = state(lead, project)
    refused = (
        "You changed component “Public API” after this model was submitted, so someone else signs it off."
    )
    assert (body["may_approve"], body["approval_refused"]) == (False, refused)
    approval = lead.post(
        project_url("api_model_review_decide", project), {"decision": "approved", "digest": body["digest"]}
    )
    assert approval.status_code == 403
    assert error_of(approval)["message"] == refused
    owner = client_of(cast, "owner")
    assert state(owner, project)["may_approve"]
