"""Threat-control links through the API: a control applied to a threat, with its effectiveness."""

import pytest
from rest_framework.test import APIClient

from projects.models import ThreatControl
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast
from tests.factories import ControlFactory, ProjectFactory, ThreatFactory


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_lists_the_projects_links(w: Workspace, cast: Cast, viewer_api: APIClient) -> None:
    ThreatFactory.create(project=ProjectFactory.create(team=cast.team))
    body = viewer_api.get(url("api_link_list", w.project.pk)).json()
    assert body["count"] == 1
    assert {
        key: body["results"][0][key] for key in ("id", "threat", "control", "effectiveness", "version")
    } == {
        "id": w.link.pk,
        "threat": 1,
        "control": w.control.pk,
        "effectiveness": 60,
        "version": 1,
    }


def test_an_engineer_applies_a_control_to_a_threat(w: Workspace, engineer_api: APIClient) -> None:
    threat = ThreatFactory.create(project=w.project)
    response = engineer_api.post(
        url("api_link_list", w.project.pk),
        {"threat": threat.number, "control": w.control.pk, "effectiveness": 0},
    )
    assert response.status_code == 201
    link = ThreatControl.objects.get(threat=threat)
    assert (link.control, link.effectiveness) == (w.control, 0)
    assert response["ETag"] == f'"link-{link.pk}-v1"'
    assert response.json()["threat"] == threat.number


def test_it_changes_the_effectiveness_and_unlinks(w: Workspace, engineer_api: APIClient) -> None:
    detail = url("api_link_detail", w.project.pk, w.link.pk)
    response = engineer_api.put(detail, {"effectiveness": 100}, headers=if_match(w.link))
    assert response.json()["effectiveness"] == 100
    response = engineer_api.patch(detail, {}, headers=if_match(w.link))
    assert (response.json()["effectiveness"], response.json()["version"]) == (100, 3)
    assert engineer_api.delete(detail, headers=if_match(w.link)).status_code == 204
    assert not ThreatControl.objects.exists()


@pytest.mark.parametrize("effectiveness", [-1, 101, 1.5, "high", None])
def test_effectiveness_is_a_percentage(effectiveness: object, w: Workspace, owner_api: APIClient) -> None:
    threat = ThreatFactory.create(project=w.project)
    body = {"threat": threat.number, "control": w.control.pk, "effectiveness": effectiveness}
    assert list(field_errors(owner_api.post(url("api_link_list", w.project.pk), body))) == ["effectiveness"]
    detail = url("api_link_detail", w.project.pk, w.link.pk)
    response = owner_api.patch(detail, {"effectiveness": effectiveness}, headers=if_match(w.link))
    assert list(field_errors(response)) == ["effectiveness"]
    assert list(ThreatControl.objects.values_list("effectiveness", "version")) == [(60, 1)]


def test_a_threat_or_control_of_another_project_is_refused(
    w: Workspace, cast: Cast, owner_api: APIClient
) -> None:
    other = ProjectFactory.create(team=cast.team)
    threat, control = ThreatFactory.create(project=other, number=5), ControlFactory.create(project=other)
    for body, field in [
        ({"threat": threat.number, "control": w.control.pk}, "threat"),
        ({"threat": w.threat.number, "control": control.pk}, "control"),
    ]:
        response = owner_api.post(url("api_link_list", w.project.pk), {**body, "effectiveness": 50})
        assert list(field_errors(response)) == [field]
    assert ThreatControl.objects.count() == 1


def test_a_control_is_linked_to_a_threat_once(w: Workspace, owner_api: APIClient) -> None:
    body = {"threat": w.threat.number, "control": w.control.pk, "effectiveness": 10}
    response = owner_api.post(url("api_link_list", w.project.pk), body)
    assert list(field_errors(response)) == ["threat"]
    assert ThreatControl.objects.get().effectiveness == 60
