"""The threat library through the API: what applies to a component or flow, and logging the chosen entries."""

import pytest
from rest_framework.test import APIClient

from projects.models import Threat, ThreatStatus
from projects.threat_library import Target, applicable
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, url
from tests.conftest import Cast
from tests.factories import ComponentFactory, ProjectFactory, TrustZoneFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def component_library(w: Workspace) -> str:
    return url("api_component_library", w.project.pk, w.component.pk)


def keys(response: object) -> list[str]:
    return [entry["key"] for entry in response.json()["results"]]  # type: ignore[attr-defined]


def test_it_lists_the_entries_that_apply_to_a_component(w: Workspace, viewer_api: APIClient) -> None:
    response = viewer_api.get(component_library(w), {"page_size": 200})
    assert response.status_code == 200
    expected = [
        entry.key for entry in applicable(Target(kind="process", technology="Django REST over HTTPS"))
    ]
    assert expected
    assert keys(response) == expected
    entry = response.json()["results"][0]
    assert set(entry) == {
        "key",
        "title",
        "stride",
        "threat_source",
        "prerequisites",
        "threat_action",
        "threat_impact",
        "impacted_goals",
        "control",
        "references",
    }
    assert set(entry["control"]) == {"title", "description", "kind"}


def test_it_logs_chosen_entries_against_the_component_and_offers_them_no_more(
    w: Workspace, engineer_api: APIClient
) -> None:
    offered = keys(engineer_api.get(component_library(w), {"page_size": 200}))
    chosen = offered[:2]
    response = engineer_api.post(component_library(w), {"keys": chosen})
    assert response.status_code == 201
    created = response.json()
    assert [threat["reference"] for threat in created] == ["T-2", "T-3"]
    assert [threat["library_key"] for threat in created] == chosen
    assert all(threat["target_components"] == [w.component.pk] for threat in created)
    assert keys(engineer_api.get(component_library(w), {"page_size": 200})) == offered[2:]
    again = engineer_api.post(component_library(w), {"keys": chosen})
    assert (again.status_code, again.json()) == (201, [])
    assert Threat.objects.filter(project=w.project).count() == 3


def test_an_entry_marked_not_applicable_is_not_offered_again(w: Workspace, engineer_api: APIClient) -> None:
    first = keys(engineer_api.get(component_library(w)))[0]
    engineer_api.post(component_library(w), {"keys": [first]})
    Threat.objects.filter(library_key=first).update(status=ThreatStatus.REJECTED, status_reason="Not here")
    assert first not in keys(engineer_api.get(component_library(w), {"page_size": 200}))


def test_it_lists_and_logs_entries_for_a_flow_that_crosses_a_boundary(
    w: Workspace, engineer_api: APIClient
) -> None:
    internet = TrustZoneFactory.create(project=w.project, name="Internet", trust_level=0)
    browser = ComponentFactory.create(project=w.project, name="Browser", kind="actor", zone=internet)
    flow = w.flow
    flow.source, flow.protocol = browser, "HTTPS"
    flow.save()
    library = url("api_flow_library", w.project.pk, flow.pk)
    offered = keys(engineer_api.get(library, {"page_size": 200}))
    assert offered == [
        entry.key for entry in applicable(Target(kind="flow", technology="HTTPS", crosses_boundary=True))
    ]
    response = engineer_api.post(library, {"keys": offered[:1]})
    assert response.status_code == 201
    assert response.json()[0]["target_flows"] == [flow.pk]
    assert offered[0] not in keys(engineer_api.get(library, {"page_size": 200}))


@pytest.mark.parametrize(
    "body", [{}, {"keys": []}, {"keys": "process-path-traversal"}, {"keys": ["no-such-entry"]}]
)
def test_it_rejects_bad_keys(body: dict[str, object], w: Workspace, engineer_api: APIClient) -> None:
    assert list(field_errors(engineer_api.post(component_library(w), body))) == ["keys"]
    assert Threat.objects.count() == 1


def test_only_editors_log_library_threats(
    w: Workspace, viewer_api: APIClient, outsider_api: APIClient
) -> None:
    key = keys(viewer_api.get(component_library(w)))[0]
    assert viewer_api.post(component_library(w), {"keys": [key]}).status_code == 403
    assert outsider_api.post(component_library(w), {"keys": [key]}).status_code == 404
    assert outsider_api.get(component_library(w)).status_code == 404
    assert Threat.objects.count() == 1


def test_a_component_of_another_project_is_not_found(w: Workspace, cast: Cast, owner_api: APIClient) -> None:
    stranger = ComponentFactory.create(project=ProjectFactory.create(team=cast.team))
    library = url("api_component_library", w.project.pk, stranger.pk)
    assert owner_api.get(library).status_code == 404
    assert owner_api.post(library, {"keys": ["process-path-traversal"]}).status_code == 404


def test_other_methods_are_405(w: Workspace, owner_api: APIClient) -> None:
    for method in ("put", "patch", "delete"):
        assert getattr(owner_api, method)(component_library(w), {}).status_code == 405


def test_a_security_lead_marks_entries_not_applicable_through_the_api(
    w: Workspace, lead_api: APIClient, engineer_api: APIClient
) -> None:
    offered = keys(lead_api.get(component_library(w), {"page_size": 200}))
    body = {"not_applicable": offered[:2], "reason": "Internal batch job: no user input"}
    assert engineer_api.post(component_library(w), body).status_code == 403
    assert Threat.objects.count() == 1
    response = lead_api.post(component_library(w), body | {"keys": offered[2:3]})
    assert response.status_code == 201
    statuses = {
        threat["library_key"]: (threat["status"], threat["status_reason"]) for threat in response.json()
    }
    assert statuses == {
        offered[0]: ("rejected", "Internal batch job: no user input"),
        offered[1]: ("rejected", "Internal batch job: no user input"),
        offered[2]: ("identified", ""),
    }
    assert keys(lead_api.get(component_library(w), {"page_size": 200})) == offered[3:]


def test_the_same_entry_cannot_be_created_and_dismissed(w: Workspace, lead_api: APIClient) -> None:
    key = keys(lead_api.get(component_library(w)))[0]
    response = lead_api.post(component_library(w), {"keys": [key], "not_applicable": [key]})
    assert list(field_errors(response)) == ["not_applicable"]
    assert Threat.objects.count() == 1


def test_suggested_controls_come_with_the_threats_when_asked(w: Workspace, engineer_api: APIClient) -> None:
    offered = keys(engineer_api.get(component_library(w), {"page_size": 200}))
    response = engineer_api.post(component_library(w), {"keys": offered[:2], "with_controls": True})
    assert response.status_code == 201
    for created in response.json():
        threat = Threat.objects.get(project=w.project, number=created["number"])
        links = list(threat.control_links.select_related("control"))
        assert [(link.control.status, link.effectiveness) for link in links] == [("proposed", 50)]
