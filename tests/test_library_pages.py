"""Threat-library suggestions for a component or data flow: what applies and is not there yet, ticked ones
created as threats, and (security leads only) entries marked not applicable so they are not offered again."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from projects import workspace_selectors as selectors
from projects.models import Component, DataFlow, Project, Threat, ThreatStatus
from projects.threat_library import applicable
from tests.conftest import Cast, signed_in
from tests.factories import ComponentFactory, DataFlowFactory, ProjectFactory, ThreatFactory, TrustZoneFactory


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


@pytest.fixture
def api(project: Project) -> Component:
    return ComponentFactory.create(project=project, name="Payments API", kind="process", technology="Django")


@pytest.fixture
def flow(project: Project) -> DataFlow:
    """From the internet into the core, over plain HTTP, unauthenticated: a boundary crossing."""
    shopper = ComponentFactory.create(
        project=project,
        name="Shopper",
        kind="actor",
        zone=TrustZoneFactory.create(project=project, name="Web"),
    )
    core = ComponentFactory.create(
        project=project, zone=TrustZoneFactory.create(project=project, name="Core")
    )
    return DataFlowFactory.create(
        project=project, source=shopper, destination=core, name="Order", protocol="HTTP"
    )


def url(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=[project.organisation.slug, project.pk, *args])


def html_of(response: Any) -> str:
    return str(response.content.decode())


def offered(response: Any) -> list[str]:
    return [suggestion.entry.key for suggestion in response.context["suggestions"]]


def test_a_component_is_offered_the_library_entries_that_apply_to_it(
    engineer_client: Client, project: Project, api: Component
) -> None:
    response = engineer_client.get(url("library_component", project, api.pk))
    assert response.status_code == 200
    expected = [entry.key for entry in selectors.library_suggestions(project, component=api)]
    assert offered(response) == expected
    assert len(expected) >= 5
    html = html_of(response)
    first = response.context["suggestions"][0]
    assert escape(first.entry.title) in html
    assert escape(first.statement) in html
    assert escape(first.entry.control.title) in html
    assert 'name="keys"' in html
    assert "Select all" in html
    assert ">Create selected threats</button>" in html
    assert "apply to processes like" in html
    toolbar = html.split('class="library__toolbar"')[1].split('<ul class="suggestions"')[0]
    assert 'type="submit">Create selected threats</button>' in toolbar  # no scrolling past 20 entries to save


def test_references_link_to_the_cwe_and_capec_catalogues(
    engineer_client: Client, project: Project, api: Component
) -> None:
    html = html_of(engineer_client.get(url("library_component", project, api.pk)))
    assert 'href="https://cwe.mitre.org/data/definitions/' in html
    assert 'href="https://capec.mitre.org/data/definitions/' in html


def test_a_flow_is_described_by_its_protocol_boundary_encryption_and_authentication(
    engineer_client: Client, project: Project, flow: DataFlow
) -> None:
    response = engineer_client.get(url("library_flow", project, flow.pk))
    target = selectors.library_target(flow=selectors.flow_of(project, flow.pk))
    assert (target.kind, target.technology, target.crosses_boundary) == ("flow", "HTTP", True)
    assert (target.encrypted, target.authenticated) == (False, False)
    assert offered(response) == [entry.key for entry in applicable(target)]
    assert "that cross a trust boundary" in html_of(response)


def test_ticked_suggestions_become_threats_aimed_at_the_component(
    cast: Cast, engineer_client: Client, project: Project, api: Component
) -> None:
    keys = offered(engineer_client.get(url("library_component", project, api.pk)))[:3]
    response = engineer_client.post(url("library_component", project, api.pk), {"keys": keys})
    assert response.status_code == 302
    assert response["Location"] == url("threat_list", project) + f"?component={api.pk}"
    threats = list(project.threats.order_by("number"))
    assert [t.library_key for t in threats] == keys
    assert all(list(t.target_components.all()) == [api] for t in threats)
    assert all(t.created_by == cast.engineer and t.status == ThreatStatus.IDENTIFIED for t in threats)
    listed = engineer_client.get(response["Location"])
    assert "Created 3 threats." in html_of(listed)
    assert [t.number for t in listed.context["threats"]] == [1, 2, 3]


def test_ticked_suggestions_can_bring_their_suggested_controls(
    engineer_client: Client, project: Project, api: Component
) -> None:
    page = engineer_client.get(url("library_component", project, api.pk))
    assert 'name="with_controls"' in html_of(page)
    keys = offered(page)[:2]
    response = engineer_client.post(
        url("library_component", project, api.pk), {"keys": keys, "with_controls": "on"}
    )
    assert response.status_code == 302
    threats = list(project.threats.order_by("number"))
    assert all(t.control_links.count() == 1 for t in threats)
    controls = project.controls.count()
    message = f"Created 2 threats linked to {controls} suggested control{'s' if controls > 1 else ''}."
    assert message in html_of(engineer_client.get(response["Location"]))


def test_ticked_suggestions_for_a_flow_target_the_flow(
    engineer_client: Client, project: Project, flow: DataFlow
) -> None:
    keys = offered(engineer_client.get(url("library_flow", project, flow.pk)))[:1]
    response = engineer_client.post(url("library_flow", project, flow.pk), {"keys": keys})
    assert response["Location"] == url("threat_list", project) + f"?flow={flow.pk}"
    assert list(project.threats.get().target_flows.all()) == [flow]


def test_entries_already_on_the_target_are_not_offered_again_whatever_their_status(
    cast: Cast, engineer_client: Client, project: Project, api: Component
) -> None:
    keys = offered(engineer_client.get(url("library_component", project, api.pk)))
    engineer_client.post(url("library_component", project, api.pk), {"keys": keys[:1]})
    rejected = ThreatFactory.create(
        project=project, library_key=keys[1], status="rejected", status_reason="Not here."
    )
    rejected.target_components.set([api])
    elsewhere = ThreatFactory.create(project=project, library_key=keys[2])  # aimed at nothing: still offered
    assert elsewhere.pk
    response = engineer_client.get(url("library_component", project, api.pk))
    assert offered(response) == [keys[2], *keys[3:]]
    assert "2 entries are already on it" in html_of(response)


def test_a_security_lead_marks_entries_not_applicable_so_they_are_not_offered_again(
    cast: Cast, project: Project, api: Component
) -> None:
    lead = signed_in(cast.security_lead)
    page = lead.get(url("library_component", project, api.pk))
    assert 'name="not_applicable"' in html_of(page)
    keys = offered(page)
    body = {"keys": keys[:1], "not_applicable": keys[1:3], "reason": "No admin interface here."}
    response = lead.post(url("library_component", project, api.pk), body)
    assert response.status_code == 302
    assert "Created 1 threat and marked 2 not applicable." in html_of(lead.get(response["Location"]))
    dismissed = project.threats.filter(library_key__in=keys[1:3])
    assert {(t.status, t.status_reason) for t in dismissed} == {("rejected", "No admin interface here.")}
    assert offered(lead.get(url("library_component", project, api.pk))) == keys[3:]


def test_engineers_cannot_mark_entries_not_applicable(
    engineer_client: Client, project: Project, api: Component
) -> None:
    page = engineer_client.get(url("library_component", project, api.pk))
    assert 'name="not_applicable"' not in html_of(page)
    assert "Only a security lead can mark one not applicable" in html_of(page)
    keys = offered(page)
    body = {"keys": keys[:1], "not_applicable": keys[1:2]}
    assert engineer_client.post(url("library_component", project, api.pk), body).status_code == 403
    assert not Threat.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"keys": ["not-a-library-key"]},
        {"keys": ["first"], "not_applicable": ["first"]},
        {"not_applicable": ["first"], "reason": "r" * 2001},
        {"not_applicable": ["first"], "reason": "bad\x00reason"},
    ],
)
def test_a_bad_review_creates_nothing(
    cast: Cast, project: Project, api: Component, body: dict[str, Any]
) -> None:
    lead = signed_in(cast.security_lead)
    first = offered(lead.get(url("library_component", project, api.pk)))[0]
    body = {
        name: [first if v == "first" else v for v in value] if isinstance(value, list) else value
        for name, value in body.items()
    }
    response = lead.post(url("library_component", project, api.pk), body)
    assert response.status_code == 400
    assert not Threat.objects.exists()
    project.refresh_from_db()
    assert project.threat_counter == 0


def test_an_entry_that_does_not_apply_to_the_target_cannot_be_created_on_it(
    engineer_client: Client, project: Project, api: Component, flow: DataFlow
) -> None:
    flow_only = offered(engineer_client.get(url("library_flow", project, flow.pk)))[0]
    response = engineer_client.post(url("library_component", project, api.pk), {"keys": [flow_only]})
    assert response.status_code == 400
    assert not Threat.objects.exists()


def test_when_nothing_is_left_the_page_says_so(
    engineer_client: Client, project: Project, api: Component
) -> None:
    keys = offered(engineer_client.get(url("library_component", project, api.pk)))
    engineer_client.post(url("library_component", project, api.pk), {"keys": keys})
    html = html_of(engineer_client.get(url("library_component", project, api.pk)))
    assert "Nothing more to suggest" in html
    assert f"?component={api.pk}" in html


def test_a_viewer_reads_suggestions_but_cannot_create_them(
    viewer_client: Client, project: Project, api: Component
) -> None:
    page = viewer_client.get(url("library_component", project, api.pk))
    assert page.status_code == 200
    assert 'name="keys"' not in html_of(page)
    keys = offered(page)[:1]
    assert viewer_client.post(url("library_component", project, api.pk), {"keys": keys}).status_code == 403
    assert not Threat.objects.exists()


@pytest.mark.parametrize("route", ["library_component", "library_flow"])
def test_suggestions_are_for_members_and_writes_for_the_owning_team(
    cast: Cast,
    engineer_client: Client,
    outsider_client: Client,
    project: Project,
    api: Component,
    flow: DataFlow,
    route: str,
) -> None:
    target = api.pk if route == "library_component" else flow.pk
    keys = offered(engineer_client.get(url(route, project, target)))[:1]
    assert engineer_client.put(url(route, project, target)).status_code == 405
    assert signed_in(cast.other_engineer).post(url(route, project, target), {"keys": keys}).status_code == 403
    assert outsider_client.get(url(route, project, target)).status_code == 404
    other = ProjectFactory.create(team=cast.team)
    assert engineer_client.get(url(route, other, target)).status_code == 404
    assert not Threat.objects.exists()
