"""Every workspace list's page carries a weak ETag of what it sends, and answers 304 to If-None-Match while
that holds: a changed row, a new row, another page or other filters give another tag."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from projects.models import Threat
from tests.api.workspace import Workspace, build_workspace, url
from tests.conftest import Cast
from tests.factories import ControlFactory, ThreatControlFactory, ThreatFactory

LISTS = [
    "api_project_list",
    "api_zone_list",
    "api_asset_list",
    "api_component_list",
    "api_flow_list",
    "api_threat_list",
    "api_control_list",
    "api_link_list",
    "api_component_library",
    "api_flow_library",
]


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def list_url(name: str, w: Workspace) -> str:
    if name == "api_project_list":
        return url(name)
    if name == "api_component_library":
        return url(name, w.project.pk, w.component.pk)
    if name == "api_flow_library":
        return url(name, w.project.pk, w.flow.pk)
    return url(name, w.project.pk)


@pytest.mark.parametrize("name", LISTS)
def test_a_list_page_carries_a_weak_etag_and_answers_304_while_it_holds(
    name: str, w: Workspace, viewer_api: APIClient
) -> None:
    first = viewer_api.get(list_url(name, w))
    tag = first["ETag"]
    assert tag.startswith('W/"list-')
    assert viewer_api.get(list_url(name, w))["ETag"] == tag
    for held in (tag, tag.removeprefix("W/"), f'"other", {tag}', "*"):
        again = viewer_api.get(list_url(name, w), headers={"If-None-Match": held})
        assert again.status_code == 304, held
        assert again["ETag"] == tag
        assert not again.content
    assert viewer_api.get(list_url(name, w), headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        lambda w: Threat.objects.filter(pk=w.threat.pk).update(version=2, threat_impact="fraud"),
        lambda w: ThreatFactory.create(project=w.project),
        # A new link changes the threat's control count, though not the threat's version.
        lambda w: ThreatControlFactory.create(
            threat=w.threat, control=ControlFactory.create(project=w.project)
        ),
    ],
    ids=["changed-row", "new-row", "counted-row"],
)
def test_a_change_to_the_page_changes_the_tag(
    change: Callable[[Workspace], object], w: Workspace, viewer_api: APIClient
) -> None:
    threats = list_url("api_threat_list", w)
    tag = viewer_api.get(threats)["ETag"]
    change(w)
    response = viewer_api.get(threats, headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert response["ETag"] != tag


def test_other_filters_or_another_page_have_their_own_tag(w: Workspace, viewer_api: APIClient) -> None:
    ThreatFactory.create_batch(3, project=w.project)
    threats = list_url("api_threat_list", w)
    tags = {
        viewer_api.get(threats, query)["ETag"]
        for query in ({}, {"status": "identified"}, {"page_size": 2}, {"page_size": 2, "page": 2})
    }
    assert len(tags) == 4


def test_a_detail_read_keeps_its_strong_etag(w: Workspace, viewer_api: APIClient) -> None:
    response = viewer_api.get(url("api_threat_detail", w.project.pk, w.threat.number))
    assert response["ETag"] == f'"threat-{w.threat.pk}-v1"'
