"""Bulk status changes through the API: each object named with the version read, all of them or none (412 names
those that moved on), the same rules as the browser's bulk change (decisions are a security lead's)."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from projects.models import Control, ControlStatus, Project, Threat, ThreatStatus
from tests.api.errors import error_of, field_errors
from tests.api.workspace import url
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatControlFactory, ThreatFactory


@pytest.fixture
def project(cast: Cast) -> Project:
    """T-1 and T-2 identified, T-3 accepted; two controls, proposed."""
    project = ProjectFactory.create(team=cast.team)
    ThreatFactory.create_batch(2, project=project)
    ThreatFactory.create(project=project, status=ThreatStatus.ACCEPTED, status_reason="Low impact")
    ControlFactory.create_batch(2, project=project)
    return project


def threats_url(project: Project) -> str:
    return url("api_threat_bulk_status", project.pk)


def controls_url(project: Project) -> str:
    return url("api_control_bulk_status", project.pk)


def threat_items(project: Project, *numbers: int) -> list[dict[str, int]]:
    versions = dict(project.threats.values_list("number", "version"))
    return [{"number": number, "version": versions.get(number, 1)} for number in numbers]


def control_items(*controls: Control) -> list[dict[str, int]]:
    return [{"id": control.pk, "version": control.version} for control in controls]


def statuses(project: Project) -> dict[int, str]:
    return dict(project.threats.values_list("number", "status"))


def test_an_engineer_sets_the_status_of_several_threats(project: Project, engineer_api: APIClient) -> None:
    body = {"items": threat_items(project, 1, 2), "status": "in_review"}
    response = engineer_api.post(threats_url(project), body)
    assert response.status_code == 200, response.content
    assert [(t["reference"], t["status"], t["version"]) for t in response.json()] == [
        ("T-1", "in_review", 2),
        ("T-2", "in_review", 2),
    ]
    assert statuses(project) == {1: "in_review", 2: "in_review", 3: "accepted"}


def test_threats_changed_since_they_were_read_change_nothing_and_are_named(
    project: Project, engineer_api: APIClient
) -> None:
    body = {"items": threat_items(project, 1, 2), "status": "confirmed"}
    Threat.objects.filter(project=project, number=2).update(version=4)
    response = engineer_api.post(threats_url(project), body)
    assert response.status_code == 412
    answer = response.json()
    assert set(answer) == {"error", "stale"}
    assert answer["error"]["code"] == "precondition_failed"
    assert answer["error"]["message"].startswith("T-2 was changed or deleted by someone else")
    assert answer["stale"] == [{"number": 2, "version": 4}]
    assert statuses(project) == {1: "identified", 2: "identified", 3: "accepted"}


def test_a_deleted_threat_is_a_400_naming_it(project: Project, engineer_api: APIClient) -> None:
    body = {"items": threat_items(project, 1, 2), "status": "confirmed"}
    Threat.objects.filter(project=project, number=2).delete()
    assert field_errors(engineer_api.post(threats_url(project), body)) == {
        "items": ["This project has no threat 2."]
    }
    assert statuses(project) == {1: "identified", 3: "accepted"}


def test_an_engineer_cannot_change_decided_threats_and_is_told_which(
    project: Project, engineer_api: APIClient
) -> None:
    body = {"items": threat_items(project, 1, 3), "status": "confirmed"}
    response = engineer_api.post(threats_url(project), body)
    assert response.status_code == 403
    assert error_of(response)["message"] == "T-3 is accepted or rejected; only a security lead can change it."
    assert statuses(project) == {1: "identified", 2: "identified", 3: "accepted"}
    body = {"items": threat_items(project, 1), "status": "accepted"}
    assert engineer_api.post(threats_url(project), body).status_code == 403


def test_a_security_lead_rejects_in_bulk_with_a_reason_and_reopens_without_one(
    project: Project, lead_api: APIClient
) -> None:
    body = {"items": threat_items(project, 1, 3), "status": "rejected", "status_reason": "Duplicate of T-2"}
    assert lead_api.post(threats_url(project), body).status_code == 200
    assert set(project.threats.filter(status="rejected").values_list("status_reason", flat=True)) == {
        "Duplicate of T-2"
    }
    body = {"items": threat_items(project, 1, 3), "status": "in_review"}
    response = lead_api.post(threats_url(project), body)
    assert [t["status_reason"] for t in response.json()] == ["", ""]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [], "status": "confirmed"}, "items"),
        ({"items": [{"number": 1}], "status": "confirmed"}, "items"),
        ({"items": [{"number": 1, "version": 0}], "status": "confirmed"}, "items"),
        ({"items": [{"number": "T-1", "version": 1}], "status": "confirmed"}, "items"),
        ({"items": [{"number": 2**40, "version": 1}], "status": "confirmed"}, "items"),
        ({"items": [{"number": 99, "version": 1}], "status": "confirmed"}, "items"),
        ({"items": [{"number": n, "version": 1} for n in range(1, 202)], "status": "confirmed"}, "items"),
        ({"items": {"number": 1, "version": 1}, "status": "confirmed"}, "items"),
        ({"items": [{"number": 1, "version": 1}], "status": "closed"}, "status"),
        ({"items": [{"number": 1, "version": 1}]}, "status"),
        ({"items": [{"number": 1, "version": 1}], "status": "rejected"}, "status_reason"),
        (
            {"items": [{"number": 1, "version": 1}], "status": "rejected", "status_reason": "a\x00b"},
            "status_reason",
        ),
        (
            {"items": [{"number": 1, "version": 1}], "status": "rejected", "status_reason": "x" * 2001},
            "status_reason",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    project: Project, lead_api: APIClient, body: dict[str, Any], field: str
) -> None:
    assert field in field_errors(lead_api.post(threats_url(project), body))
    assert statuses(project) == {1: "identified", 2: "identified", 3: "accepted"}


def test_bulk_changes_are_for_the_owning_team_and_security_leads(
    cast: Cast, project: Project, viewer_api: APIClient, outsider_api: APIClient, engineer_api: APIClient
) -> None:
    body = {"items": threat_items(project, 1), "status": "confirmed"}
    assert viewer_api.post(threats_url(project), body).status_code == 403
    other = ProjectFactory.create(team=cast.other_team)
    ThreatFactory.create(project=other)
    assert engineer_api.post(threats_url(other), body).status_code == 403
    assert outsider_api.post(threats_url(project), body).status_code == 404
    assert engineer_api.get(threats_url(project)).status_code == 405
    assert statuses(project)[1] == "identified"


def test_the_status_of_several_controls_changes_at_once(project: Project, engineer_api: APIClient) -> None:
    first, second = project.controls.order_by("pk")
    ThreatControlFactory.create(threat=project.threats.get(number=1), control=first)
    body = {"items": control_items(first, second), "status": "implemented"}
    response = engineer_api.post(controls_url(project), body)
    assert response.status_code == 200, response.content
    assert [(c["id"], c["status"], c["version"]) for c in response.json()] == [
        (first.pk, "implemented", 2),
        (second.pk, "implemented", 2),
    ]
    assert response.json()[0]["links"][0]["threat"] == 1


def test_controls_changed_since_they_were_read_change_nothing_and_are_named(
    project: Project, engineer_api: APIClient
) -> None:
    first, second = project.controls.order_by("pk")
    body = {"items": control_items(first, second), "status": "verified"}
    Control.objects.filter(pk=first.pk).delete()
    Control.objects.filter(pk=second.pk).update(version=2)
    response = engineer_api.post(controls_url(project), body)
    assert response.status_code == 400  # the deleted one is named first, as a field error
    body = {"items": control_items(second), "status": "verified"}
    response = engineer_api.post(controls_url(project), body)
    assert response.status_code == 412
    assert response.json()["stale"] == [{"id": second.pk, "version": 2}]
    assert Control.objects.get(pk=second.pk).status == ControlStatus.PROPOSED


@pytest.mark.parametrize(
    "body",
    [
        lambda control: {"items": [], "status": "planned"},
        lambda control: {"items": [{"number": 1, "version": 1}], "status": "planned"},
        lambda control: {"items": [{"id": control.pk + 1000, "version": 1}], "status": "planned"},
        lambda control: {"items": "all", "status": "planned"},
        lambda control: {"items": control_items(control), "status": "identified"},
    ],
    ids=["none", "by-number", "unknown", "not-a-list", "threat-status"],
)
def test_bad_control_input_is_a_400_and_changes_nothing(
    project: Project, engineer_api: APIClient, body: Callable[[Control], dict[str, Any]]
) -> None:
    control = project.controls.order_by("pk").first()
    assert control is not None
    assert field_errors(engineer_api.post(controls_url(project), body(control)))
    assert set(project.controls.values_list("status", flat=True)) == {ControlStatus.PROPOSED}


def test_bulk_control_changes_are_for_the_owning_team(
    cast: Cast, project: Project, viewer_api: APIClient, outsider_api: APIClient
) -> None:
    body = {"items": control_items(*project.controls.all()), "status": "planned"}
    assert viewer_api.post(controls_url(project), body).status_code == 403
    assert outsider_api.post(controls_url(project), body).status_code == 404
    assert set(project.controls.values_list("status", flat=True)) == {ControlStatus.PROPOSED}
