"""Threats through the API: the statement, targets, typed-in assets, STRIDE, status decisions and filters."""

import pytest
from django.http import QueryDict
from rest_framework.test import APIClient

from projects.models import Asset, Project, Threat, ThreatStatus
from projects.workspace_selectors import ThreatFilters, threats_of
from tests.api.errors import field_errors
from tests.api.workspace import Workspace, build_workspace, if_match, url
from tests.conftest import Cast
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    DataFlowFactory,
    ProjectFactory,
    ThreatControlFactory,
    ThreatFactory,
)


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


def test_it_shows_a_threat_with_its_statement_and_reference(w: Workspace, viewer_api: APIClient) -> None:
    Threat.objects.filter(pk=w.threat.pk).update(
        prerequisites="with a stolen session cookie",
        threat_impact="double charges",
        impacted_goals=["integrity", "availability"],
        stride=["T", "R"],
    )
    w.threat.impacted_assets.set([w.asset])
    response = viewer_api.get(url("api_threat_detail", w.project.pk, 1))
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["reference"]) == (1, "T-1")
    assert body["statement"] == (
        "An external attacker with a stolen session cookie can replay a captured payment request, which "
        "leads to double charges, resulting in reduced integrity and availability of Card data."
    )
    assert (body["stride"], body["impacted_assets"], body["target_components"], body["target_flows"]) == (
        ["T", "R"],
        [w.asset.pk],
        [w.component.pk],
        [],
    )
    assert (body["status"], body["owner"], body["control_count"]) == ("identified", None, 1)


def test_an_engineer_logs_a_threat_with_targets_and_typed_in_assets(
    w: Workspace, cast: Cast, engineer_api: APIClient
) -> None:
    body = {
        "threat_source": "malicious insider",
        "prerequisites": "with database access",
        "threat_action": "read card numbers",
        "threat_impact": "a PCI breach",
        "impacted_goals": ["confidentiality"],
        "impacted_assets": [w.asset.pk],
        "impacted_asset_names": ["customer PII", "card DATA"],
        "stride": ["I", "I"],
        "target_components": [w.store.pk],
        "target_flows": [w.flow.pk],
        "owner": cast.engineer.pk,
    }
    response = engineer_api.post(url("api_threat_list", w.project.pk), body)
    assert response.status_code == 201, response.content
    threat = Threat.objects.get(project=w.project, number=2)
    assert response["ETag"] == f'"threat-{threat.pk}-v1"'
    pii = Asset.objects.get(project=w.project, name="customer PII")
    assert response.json()["reference"] == "T-2"
    assert response.json()["stride"] == ["I"]
    assert sorted(response.json()["impacted_assets"]) == sorted([w.asset.pk, pii.pk])
    assert response.json()["statement"].endswith(
        "resulting in reduced confidentiality of Card data and customer PII."
    )
    assert response.json()["owner"]["id"] == cast.engineer.pk
    assert list(threat.target_components.all()) == [w.store]
    assert list(threat.target_flows.all()) == [w.flow]
    assert threat.created_by == cast.engineer


def test_patch_leaves_the_parts_it_does_not_name(w: Workspace, engineer_api: APIClient) -> None:
    detail = url("api_threat_detail", w.project.pk, 1)
    response = engineer_api.patch(detail, {"stride": ["S"], "owner": None}, headers=if_match(w.threat))
    assert response.status_code == 200
    assert (response.json()["stride"], response.json()["target_components"]) == (["S"], [w.component.pk])


def test_put_replaces_the_parts_too(w: Workspace, engineer_api: APIClient) -> None:
    detail = url("api_threat_detail", w.project.pk, 1)
    body = {"threat_source": "bot", "threat_action": "scrape prices", "target_flows": [w.flow.pk]}
    response = engineer_api.put(detail, body, headers=if_match(w.threat))
    assert response.status_code == 200
    assert (response.json()["target_components"], response.json()["target_flows"]) == ([], [w.flow.pk])
    assert response.json()["statement"] == "A bot can scrape prices."


def test_deleting_a_threat_keeps_its_number_retired(w: Workspace, engineer_api: APIClient) -> None:
    assert (
        engineer_api.delete(url("api_threat_detail", w.project.pk, 1), headers=if_match(w.threat)).status_code
        == 204
    )
    response = engineer_api.post(
        url("api_threat_list", w.project.pk), {"threat_source": "x", "threat_action": "y"}
    )
    assert response.json()["reference"] == "T-2"


@pytest.mark.parametrize("status", [ThreatStatus.ACCEPTED, ThreatStatus.REJECTED])
def test_accepting_or_rejecting_is_a_security_leads_decision(
    status: str, w: Workspace, engineer_api: APIClient, lead_api: APIClient
) -> None:
    detail = url("api_threat_detail", w.project.pk, 1)
    body = {"status": status, "status_reason": "Covered by the card vault"}
    assert engineer_api.patch(detail, body, headers=if_match(w.threat)).status_code == 403
    response = lead_api.patch(detail, body, headers=if_match(w.threat))
    assert response.status_code == 200
    assert response.json()["status"] == status


def test_a_rejection_needs_a_reason(w: Workspace, lead_api: APIClient) -> None:
    response = lead_api.patch(
        url("api_threat_detail", w.project.pk, 1), {"status": "rejected"}, headers=if_match(w.threat)
    )
    assert list(field_errors(response)) == ["status_reason"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stride": ["X"]}, "stride"),
        ({"stride": "STRIDE"}, "stride"),
        ({"impacted_goals": ["privacy"]}, "impacted_goals"),
        ({"threat_source": ""}, "threat_source"),
        ({"threat_source": "x" * 201}, "threat_source"),
        ({"threat_action": "steal\x00cards"}, "threat_action"),
        ({"prerequisites": "x" * 501}, "prerequisites"),
        ({"status": "done"}, "status"),
        ({"impacted_asset_names": ["x" * 201]}, "impacted_asset_names"),
        ({"impacted_asset_names": ["card\x00data"]}, "impacted_asset_names"),
        ({"impacted_asset_names": [f"asset {n}" for n in range(21)]}, "impacted_asset_names"),
        ({"target_components": [0]}, "target_components"),
        ({"owner": 10**20}, "owner"),
    ],
)
def test_it_rejects_bad_fields_and_writes_nothing(
    body: dict[str, object], field: str, w: Workspace, owner_api: APIClient
) -> None:
    valid = {"threat_source": "bot", "threat_action": "scrape prices", "impacted_asset_names": ["Prices"]}
    response = owner_api.post(url("api_threat_list", w.project.pk), {**valid, **body})
    assert list(field_errors(response)) == [field]
    assert Threat.objects.count() == 1
    assert not Asset.objects.filter(name="Prices").exists()
    assert Project.objects.get(pk=w.project.pk).threat_counter == 1


def test_targets_and_assets_of_another_project_are_refused(
    w: Workspace, cast: Cast, owner_api: APIClient
) -> None:
    other = ProjectFactory.create(team=cast.team, name="Ledger")
    component = ComponentFactory.create(project=other)
    flow, asset = DataFlowFactory.create(project=other), AssetFactory.create(project=other)
    for field, value in [
        ("target_components", [w.component.pk, component.pk]),
        ("target_flows", [flow.pk]),
        ("impacted_assets", [asset.pk]),
    ]:
        body = {"threat_source": "bot", "threat_action": "scrape prices", field: value}
        response = owner_api.post(url("api_threat_list", w.project.pk), body)
        assert list(field_errors(response)) == [field]
        patched = owner_api.patch(url("api_threat_detail", w.project.pk, 1), body, headers=if_match(w.threat))
        assert list(field_errors(patched)) == [field]
    assert Threat.objects.count() == 1
    assert list(w.threat.target_components.all()) == [w.component]


def test_an_owner_from_outside_the_organisation_is_refused(
    w: Workspace, cast: Cast, owner_api: APIClient
) -> None:
    response = owner_api.patch(
        url("api_threat_detail", w.project.pk, 1), {"owner": cast.outsider.pk}, headers=if_match(w.threat)
    )
    assert field_errors(response) == {"owner": [f"This organisation has no member {cast.outsider.pk}."]}


QUERIES = [
    "",
    "status=identified",
    "status=identified&status=mitigated",
    "status=bogus",
    "stride=S",
    "stride=S&stride=T",
    "stride=Z",
    "component={component}",
    "flow={flow}",
    "owner={owner}",
    "owner=none",
    "control=none",
    "q=replay",
    "q=T-2",
    "order=-number",
    "order=status",
    "order=owner",
    "order=nonsense",
    "status=identified&stride=T&control=none&order=-number",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_threat_filters_are_the_uis(query: str, w: Workspace, cast: Cast, viewer_api: APIClient) -> None:
    ThreatFactory.create(
        project=w.project, stride=["S", "T"], owner=cast.engineer, threat_action="phish staff"
    )
    mitigated = ThreatFactory.create(project=w.project, stride=["T"], status=ThreatStatus.MITIGATED)
    mitigated.target_flows.set([w.flow])
    ThreatControlFactory.create(threat=mitigated, control=w.control)
    ThreatFactory.create(project=w.project, stride=["D"], status=ThreatStatus.IN_REVIEW, owner=cast.owner)
    query = query.format(component=w.component.pk, flow=w.flow.pk, owner=cast.engineer.pk)
    expected = [t.number for t in threats_of(w.project, ThreatFilters.from_query(QueryDict(query)))]
    response = viewer_api.get(url("api_threat_list", w.project.pk) + "?" + query)
    assert [threat["number"] for threat in response.json()["results"]] == expected
    assert response.json()["count"] == len(expected)


def test_the_filters_narrow_the_list(w: Workspace, cast: Cast, viewer_api: APIClient) -> None:
    ThreatFactory.create(project=w.project, owner=cast.engineer, stride=["S"])
    response = viewer_api.get(url("api_threat_list", w.project.pk), {"owner": "none", "control": "none"})
    assert [threat["reference"] for threat in response.json()["results"]] == []
    response = viewer_api.get(url("api_threat_list", w.project.pk), {"stride": "S"})
    assert [threat["reference"] for threat in response.json()["results"]] == ["T-2"]


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=T-%00",
        "q=T-99999999999999999999",
        "owner=%C2%B2",
        "owner=%00",
        "component=%C2%B2",
        "flow=99999999999999999999",
        "stride=%00",
        "order=%00",
        "status=x%00",
    ],
)
def test_odd_filter_values_are_ignored_rather_than_errors(
    query: str, w: Workspace, viewer_api: APIClient
) -> None:
    response = viewer_api.get(url("api_threat_list", w.project.pk) + "?" + query)
    assert response.status_code == 200
