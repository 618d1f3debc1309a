"""The business-risk register through the API: risks with their stored figures, scenarios, acceptances, the
scoring settings and the portfolio, and who may do what (the role matrix, risk ownership, outsiders)."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Threat, User
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance, RiskStatus, Scenario, ScoringSettings
from risks.services import acceptance_request
from tests.api.conftest import session_client, token_client
from tests.api.errors import error_of, field_errors
from tests.api.workspace import Workspace, build_workspace, if_match
from tests.conftest import Cast
from tests.factories import ProjectFactory, ThreatFactory
from tests.risk_register import add_risk, link, store_portfolio, store_result


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


@pytest.fixture
def w(cast: Cast) -> Workspace:
    return build_workspace(cast)


@pytest.fixture
def risk(cast: Cast, w: Workspace) -> BusinessRisk:
    made = add_risk(cast, owner=cast.viewer, categories=["financial", "regulatory"])
    Threat.objects.filter(pk=w.threat.pk).update(likelihood="moderate")
    link(cast, made, w.threat)
    return made


def in_a_year() -> str:
    return (timezone.localdate() + datetime.timedelta(days=365)).isoformat()


def request_acceptance(cast: Cast, risk: BusinessRisk) -> RiskAcceptance:
    return acceptance_request(
        membership=cast.membership(cast.security_lead),
        risk=risk,
        rationale="The fix lands with the Q3 rewrite.",
        expires_on=timezone.localdate() + datetime.timedelta(days=90),
    )


# Business risks: reading ----------------------------------------------------------------------------------


def test_every_member_reads_the_register_with_stored_figures(
    risk: BusinessRisk, viewer_api: APIClient
) -> None:
    store_result(risk, "high")
    response = viewer_api.get(url("api_risk_list"))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["number"], row["reference"], row["title"]) == (1, "R-1", "Card data exposed")
    assert (row["impact"], row["categories"], row["scenario_count"]) == (
        "high",
        ["financial", "regulatory"],
        1,
    )
    assert row["owner"]["email"] == "viewer@acme.test"
    figures = row["figures"]
    assert (figures["currency"], figures["stale"]) == ("EUR", False)
    assert figures["residual"]["level"] == "high"
    assert figures["residual"]["ale_mean"] == 100_000.0
    assert set(figures["residual"]["percentiles"]) == {"p10", "p50", "p90", "p95", "p99"}
    assert figures["inherent"]["lec"][0] == [0.0, 0.4]
    assert figures["computed_at"]


def test_figures_are_null_until_first_computed_and_say_when_the_inputs_changed(
    risk: BusinessRisk, w: Workspace, viewer_api: APIClient
) -> None:
    assert viewer_api.get(url("api_risk_detail", 1)).json()["figures"] is None
    store_result(risk, "high")
    assert viewer_api.get(url("api_risk_detail", 1)).json()["figures"]["stale"] is False
    Threat.objects.filter(pk=w.threat.pk).update(likelihood="very_high")
    assert viewer_api.get(url("api_risk_detail", 1)).json()["figures"]["stale"] is True


def test_a_risk_read_carries_its_etag_and_is_never_answered_304(
    risk: BusinessRisk, viewer_api: APIClient
) -> None:
    first = viewer_api.get(url("api_risk_detail", 1))
    assert first["ETag"] == f'"risk-{risk.pk}-v1"'
    again = viewer_api.get(url("api_risk_detail", 1), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200  # the figures may have been recomputed since, with the same version


def test_the_register_list_answers_304_while_its_page_holds(
    risk: BusinessRisk, viewer_api: APIClient
) -> None:
    first = viewer_api.get(url("api_risk_list"))
    assert first["ETag"].startswith('W/"list-')
    assert viewer_api.get(url("api_risk_list"), headers={"If-None-Match": first["ETag"]}).status_code == 304
    store_result(risk, "very_high")
    assert viewer_api.get(url("api_risk_list"), headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_the_register_filters_searches_and_sorts(cast: Cast, w: Workspace, viewer_api: APIClient) -> None:
    fines = add_risk(cast, "PCI fines", categories=["regulatory"], owner=cast.owner)
    outage = add_risk(cast, "Checkout outage", categories=["operational"], description="Black Friday")
    add_risk(cast, "Fraud losses", impact="", loss_low=10_000, loss_high=500_000, categories=["financial"])
    store_result(fines, "very_high")
    store_result(outage, "low")
    BusinessRisk.objects.filter(pk=outage.pk).update(
        status=RiskStatus.IN_TREATMENT, treatment="transfer", treatment_detail="Business interruption cover"
    )

    def numbers(**query: Any) -> list[int]:
        response = viewer_api.get(url("api_risk_list"), query)
        assert response.status_code == 200
        return [row["number"] for row in response.json()["results"]]

    assert numbers() == [1, 2, 3]
    assert numbers(category="regulatory") == [1]
    assert numbers(category=["operational", "financial"]) == [2, 3]
    assert numbers(status="in_treatment") == [2]
    assert numbers(treatment="transfer") == [2]
    assert numbers(owner=cast.owner.pk) == [1]
    assert numbers(owner="none") == [2, 3]
    assert numbers(level="very_high") == [1]
    assert numbers(level=["low", "very_high"]) == [1, 2]
    assert numbers(level="none") == [3]
    assert numbers(q="black friday") == [2]
    assert numbers(q="R-3") == [3]
    assert numbers(order="-number") == [3, 2, 1]
    assert numbers(order="title") == [2, 3, 1]
    assert numbers(category="nonsense", order="nonsense", owner="x") == [1, 2, 3]


def test_each_risk_says_where_it_stands_against_appetite(
    cast: Cast, risk: BusinessRisk, viewer_api: APIClient
) -> None:
    def position() -> dict[str, Any]:
        found: dict[str, Any] = viewer_api.get(url("api_risk_detail", 1)).json()["position"]
        return found

    assert (position()["standing"], position()["label"]) == ("unscored", "Not scored yet")
    store_result(risk, "low")
    assert (position()["standing"], position()["above"]) == ("within", False)
    store_result(risk, "high")  # above the default appetite (moderate)
    assert (position()["standing"], position()["above"], position()["level_above"]) == ("above", True, True)
    acceptance = request_acceptance(cast, risk)
    RiskAcceptance.objects.filter(pk=acceptance.pk).update(status=AcceptanceStatus.APPROVED)
    accepted = position()
    assert (accepted["standing"], accepted["above"]) == ("accepted", True)
    assert accepted["accepted_until"] == acceptance.expires_on.isoformat()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    RiskAcceptance.objects.filter(pk=acceptance.pk).update(expires_on=yesterday)
    lapsed = viewer_api.get(url("api_risk_list")).json()["results"][0]["position"]
    assert (lapsed["standing"], lapsed["accepted_until"], lapsed["expired_on"]) == (
        "above",
        None,
        yesterday.isoformat(),
    )


# Business risks: writing ----------------------------------------------------------------------------------


def test_a_security_lead_adds_a_risk_and_its_review_date_follows_the_level(
    cast: Cast, lead_api: APIClient
) -> None:
    body = {
        "title": "Customer card data exposed",
        "description": "PCI fines and churn.",
        "categories": ["financial", "regulatory", "financial"],
        "owner": cast.viewer.pk,
        "impact": "very_high",
        "loss_low": "200000",
        "loss_high": "5000000",
    }
    response = lead_api.post(url("api_risk_list"), body)
    assert response.status_code == 201, response.content
    created = response.json()
    risk = BusinessRisk.objects.get(organisation=cast.organisation, number=created["number"])
    assert response["ETag"] == f'"risk-{risk.pk}-v1"'
    assert (created["reference"], created["categories"]) == ("R-1", ["financial", "regulatory"])
    assert (created["loss_low"], created["loss_high"]) == ("200000.00", "5000000.00")
    assert (created["treatment"], created["status"], created["figures"]) == ("mitigate", "open", None)
    # No scenario yet: the impact's level sets the review (very high: 90 days).
    assert created["review_on"] == (timezone.localdate() + datetime.timedelta(days=90)).isoformat()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No impact"}, "impact"),
        ({"title": "Backwards", "loss_low": "500", "loss_high": "100"}, "loss_high"),
        ({"title": "Half a range", "loss_low": "500"}, "loss_high"),
        ({"title": "Bad level", "impact": "catastrophic"}, "impact"),
        ({"title": "Bad category", "impact": "low", "categories": ["legal"]}, "categories"),
        ({"title": "Nobody", "impact": "low", "owner": 10**12}, "owner"),
        ({"title": "", "impact": "low"}, "title"),
    ],
)
def test_a_risk_that_does_not_hold_together_is_refused_by_field(
    body: dict[str, Any], field: str, cast: Cast, lead_api: APIClient
) -> None:
    assert field in field_errors(lead_api.post(url("api_risk_list"), body))
    assert not BusinessRisk.objects.exists()


def test_the_owner_must_be_a_member_of_this_organisation(cast: Cast, lead_api: APIClient) -> None:
    body = {"title": "Fines", "impact": "low", "owner": cast.outsider.pk}
    assert field_errors(lead_api.post(url("api_risk_list"), body)) == {
        "owner": [f"This organisation has no member {cast.outsider.pk}."]
    }


def test_a_title_is_unique_in_the_register(risk: BusinessRisk, lead_api: APIClient) -> None:
    assert "title" in field_errors(
        lead_api.post(url("api_risk_list"), {"title": risk.title, "impact": "low"})
    )


def test_a_change_needs_the_version_read_before_its_body_is_looked_at(
    risk: BusinessRisk, lead_api: APIClient
) -> None:
    for method in (lead_api.put, lead_api.patch):
        response = method(url("api_risk_detail", 1), {"title": ""})
        assert response.status_code == 428
        assert error_of(response)["code"] == "precondition_required"
    assert lead_api.delete(url("api_risk_detail", 1)).status_code == 428


def test_a_stale_change_is_412_with_the_risk_as_it_is_now(risk: BusinessRisk, lead_api: APIClient) -> None:
    stale = if_match(risk)
    assert (
        lead_api.patch(
            url("api_risk_detail", 1),
            {"treatment": "transfer", "treatment_detail": "Cyber policy"},
            headers=stale,
        ).status_code
        == 200
    )
    response = lead_api.patch(url("api_risk_detail", 1), {"title": "Renamed"}, headers=stale)
    assert response.status_code == 412
    assert response.json()["current"]["treatment"] == "transfer"
    assert response["ETag"] == f'"risk-{risk.pk}-v2"'
    assert lead_api.delete(url("api_risk_detail", 1), headers=stale).status_code == 412
    assert BusinessRisk.objects.get(pk=risk.pk).title == "Card data exposed"


def test_a_security_lead_changes_and_deletes_a_risk(risk: BusinessRisk, lead_api: APIClient) -> None:
    response = lead_api.patch(
        url("api_risk_detail", 1),
        {"treatment": "transfer", "treatment_detail": "Cyber policy with Lloyd's"},
        headers=if_match(risk),
    )
    assert response.status_code == 200, response.content
    assert (response.json()["treatment_detail"], response.json()["version"]) == (
        "Cyber policy with Lloyd's",
        2,
    )
    assert response.json()["title"] == "Card data exposed"  # PATCH leaves the rest
    replaced = lead_api.put(
        url("api_risk_detail", 1), {"title": "Card data", "impact": "low"}, headers=if_match(risk)
    )
    assert replaced.status_code == 200
    assert (replaced.json()["treatment"], replaced.json()["owner"]) == (
        "mitigate",
        None,
    )  # PUT sets every field
    assert lead_api.delete(url("api_risk_detail", 1), headers=if_match(risk)).status_code == 204
    assert not BusinessRisk.objects.filter(pk=risk.pk).exists()


def test_accepting_is_never_a_plain_edit(risk: BusinessRisk, lead_api: APIClient) -> None:
    response = lead_api.patch(url("api_risk_detail", 1), {"treatment": "accept"}, headers=if_match(risk))
    assert "treatment" in field_errors(response)
    response = lead_api.patch(url("api_risk_detail", 1), {"status": "accepted"}, headers=if_match(risk))
    assert "status" in field_errors(response)


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_only_security_leads_and_owners_write_the_register(role: str, risk: BusinessRisk, cast: Cast) -> None:
    api = session_client(getattr(cast, role))
    assert api.post(url("api_risk_list"), {"title": "Mine", "impact": "low"}).status_code == 403
    assert api.patch(url("api_risk_detail", 1), {"title": "x"}, headers=if_match(risk)).status_code == 403
    assert api.delete(url("api_risk_detail", 1), headers=if_match(risk)).status_code == 403
    assert BusinessRisk.objects.count() == 1


def test_the_owner_role_writes_the_register(cast: Cast, owner_api: APIClient) -> None:
    assert owner_api.post(url("api_risk_list"), {"title": "Mine", "impact": "low"}).status_code == 201


@pytest.mark.parametrize(
    "name", ["api_risk_list", "api_scoring", "api_portfolio"], ids=["risks", "scoring", "portfolio"]
)
def test_outsiders_find_nothing_and_strangers_must_sign_in(
    name: str, risk: BusinessRisk, outsider_api: APIClient, anonymous_api: APIClient
) -> None:
    assert outsider_api.get(url(name)).status_code == 404
    assert anonymous_api.get(url(name)).status_code == 401


def test_outsiders_reach_no_risk_scenario_or_acceptance(
    risk: BusinessRisk, cast: Cast, outsider_api: APIClient
) -> None:
    scenario = Scenario.objects.get(risk=risk)
    acceptance = request_acceptance(cast, risk)
    assert outsider_api.get(url("api_risk_detail", 1)).status_code == 404
    assert outsider_api.get(url("api_scenario_detail", 1, scenario.pk)).status_code == 404
    assert outsider_api.get(url("api_acceptance_list", 1)).status_code == 404
    decision = outsider_api.post(
        url("api_acceptance_decision", 1, acceptance.pk), {"approve": True, "version": 1}
    )
    assert decision.status_code == 404
    assert RiskAcceptance.objects.get(pk=acceptance.pk).status == AcceptanceStatus.REQUESTED


# Scenarios ------------------------------------------------------------------------------------------------


def test_a_scenario_shows_its_threat_and_what_it_scores_now(
    risk: BusinessRisk, w: Workspace, viewer_api: APIClient
) -> None:
    response = viewer_api.get(url("api_scenario_list", 1))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["threat"] == {
        "project": w.project.pk,
        "project_name": "Checkout",
        "number": 1,
        "reference": "T-1",
        "statement": w.threat.statement,
    }
    assert (row["risk"], row["likelihood"]) == (1, "moderate")
    # Moderate likelihood by high impact is moderate (NIST); the control (proposed) counts in no stage yet.
    assert {stage: row["stages"][stage]["level"] for stage in row["stages"]} == {
        "inherent": "moderate",
        "residual": "moderate",
        "projected": "moderate",
    }
    assert row["stages"]["inherent"]["expected_annual_loss"] > 0
    detail = viewer_api.get(url("api_scenario_detail", 1, row["id"]))
    assert detail.json() == row
    assert detail["ETag"] == f'"scenario-{row["id"]}-v1"'


def test_planned_controls_count_in_the_projected_stage_only(
    risk: BusinessRisk, w: Workspace, viewer_api: APIClient
) -> None:
    w.control.status = "planned"
    w.control.save(update_fields=["status"])
    stages = viewer_api.get(url("api_scenario_list", 1)).json()["results"][0]["stages"]
    assert stages["residual"]["expected_annual_loss"] == stages["inherent"]["expected_annual_loss"]
    assert stages["projected"]["expected_annual_loss"] == pytest.approx(
        stages["inherent"]["expected_annual_loss"] * 0.4
    )


def test_a_threat_without_a_likelihood_is_linked_but_not_scored(
    cast: Cast, w: Workspace, lead_api: APIClient
) -> None:
    add_risk(cast)
    response = lead_api.post(url("api_scenario_list", 1), {"threat": {"project": w.project.pk, "number": 1}})
    assert response.status_code == 201, response.content
    assert response.json()["likelihood"] is None
    assert response.json()["stages"]["residual"] == {"level": None, "expected_annual_loss": None}


def test_a_security_lead_links_any_teams_threat(cast: Cast, lead_api: APIClient) -> None:
    add_risk(cast)
    platform = ProjectFactory.create(team=cast.other_team)
    ThreatFactory.create(project=platform)
    body = {"threat": {"project": platform.pk, "number": 1}, "note": "Through the shared gateway"}
    response = lead_api.post(url("api_scenario_list", 1), body)
    assert response.status_code == 201, response.content
    assert response["ETag"].startswith('"scenario-')
    assert (response.json()["note"], response.json()["threat"]["project"]) == (
        "Through the shared gateway",
        platform.pk,
    )


def test_an_engineer_links_with_a_personal_access_token(
    cast: Cast, w: Workspace, token_for: Callable[[User], str]
) -> None:
    add_risk(cast)
    api = token_client(token_for(cast.engineer))
    response = api.post(url("api_scenario_list", 1), {"threat": {"project": w.project.pk, "number": 1}})
    assert response.status_code == 201
    assert api.post(url("api_risk_list"), {"title": "Mine", "impact": "low"}).status_code == 403


def test_an_engineer_links_their_teams_threats_only(
    cast: Cast, w: Workspace, engineer_api: APIClient
) -> None:
    add_risk(cast)
    mine = engineer_api.post(url("api_scenario_list", 1), {"threat": {"project": w.project.pk, "number": 1}})
    assert mine.status_code == 201
    platform = ProjectFactory.create(team=cast.other_team)
    ThreatFactory.create(project=platform)
    theirs = engineer_api.post(url("api_scenario_list", 1), {"threat": {"project": platform.pk, "number": 1}})
    assert theirs.status_code == 403
    assert Scenario.objects.count() == 1


def test_a_viewer_links_nothing(cast: Cast, w: Workspace, viewer_api: APIClient) -> None:
    add_risk(cast)
    response = viewer_api.post(
        url("api_scenario_list", 1), {"threat": {"project": w.project.pk, "number": 1}}
    )
    assert response.status_code == 403
    assert not Scenario.objects.exists()


@pytest.mark.parametrize(
    "threat",
    [{"project": 1, "number": 99}, {"number": 1}, 7, {"project": "x", "number": 1}],
    ids=["no such threat", "no project", "not an object", "bad project"],
)
def test_a_scenario_names_a_threat_of_this_organisation(threat: Any, cast: Cast, lead_api: APIClient) -> None:
    add_risk(cast)
    assert "threat" in field_errors(lead_api.post(url("api_scenario_list", 1), {"threat": threat}))


def test_another_organisations_threat_cannot_be_linked(cast: Cast, lead_api: APIClient) -> None:
    add_risk(cast)
    elsewhere = ProjectFactory.create(team__organisation=cast.outsider_organisation)
    ThreatFactory.create(project=elsewhere)
    response = lead_api.post(url("api_scenario_list", 1), {"threat": {"project": elsewhere.pk, "number": 1}})
    assert field_errors(response) == {
        "threat": {"non_field_errors": [f"This organisation has no threat T-1 in project {elsewhere.pk}."]}
    }
    assert not Scenario.objects.exists()


def test_a_threat_is_linked_to_a_risk_once(risk: BusinessRisk, w: Workspace, lead_api: APIClient) -> None:
    response = lead_api.post(url("api_scenario_list", 1), {"threat": {"project": w.project.pk, "number": 1}})
    assert "threat" in field_errors(response)


def test_unlinking_needs_the_version_and_the_right_to_link(
    risk: BusinessRisk, cast: Cast, lead_api: APIClient, viewer_api: APIClient
) -> None:
    scenario = Scenario.objects.get(risk=risk)
    detail = url("api_scenario_detail", 1, scenario.pk)
    assert lead_api.delete(detail).status_code == 428
    assert viewer_api.delete(detail, headers=if_match(scenario)).status_code == 403
    assert lead_api.delete(detail, headers={"If-Match": f'"scenario-{scenario.pk}-v9"'}).status_code == 412
    assert lead_api.delete(detail, headers=if_match(scenario)).status_code == 204
    assert not Scenario.objects.exists()


def test_an_engineer_unlinks_their_teams_threat(risk: BusinessRisk, engineer_api: APIClient) -> None:
    scenario = Scenario.objects.get(risk=risk)
    response = engineer_api.delete(url("api_scenario_detail", 1, scenario.pk), headers=if_match(scenario))
    assert response.status_code == 204


def test_a_scenario_of_another_risk_is_not_found_under_this_one(
    risk: BusinessRisk, cast: Cast, lead_api: APIClient
) -> None:
    add_risk(cast, "Another")
    scenario = Scenario.objects.get(risk=risk)
    assert lead_api.get(url("api_scenario_detail", 2, scenario.pk)).status_code == 404
    assert (
        lead_api.delete(url("api_scenario_detail", 2, scenario.pk), headers=if_match(scenario)).status_code
        == 404
    )


# Acceptances ----------------------------------------------------------------------------------------------


def test_a_security_lead_requests_an_acceptance(risk: BusinessRisk, lead_api: APIClient) -> None:
    body = {"rationale": "Compensating monitoring until the rewrite.", "expires_on": in_a_year()}
    response = lead_api.post(url("api_acceptance_list", 1), body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["in_force"], created["expired"]) == ("requested", False, False)
    assert created["requested_by"]["email"] == "lead@acme.test"
    assert response["ETag"] == f'"acceptance-{created["id"]}-v1"'
    listed = lead_api.get(url("api_acceptance_list", 1)).json()["results"]
    assert [row["id"] for row in listed] == [created["id"]]


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_engineers_and_viewers_request_no_acceptance(role: str, risk: BusinessRisk, cast: Cast) -> None:
    body = {"rationale": "Please.", "expires_on": in_a_year()}
    assert session_client(getattr(cast, role)).post(url("api_acceptance_list", 1), body).status_code == 403
    assert not RiskAcceptance.objects.exists()


def test_an_acceptance_request_needs_an_owner_a_reason_and_a_near_date(
    cast: Cast, risk: BusinessRisk, lead_api: APIClient
) -> None:
    too_far = (timezone.localdate() + datetime.timedelta(days=4 * 365)).isoformat()
    today = timezone.localdate().isoformat()
    assert "expires_on" in field_errors(
        lead_api.post(url("api_acceptance_list", 1), {"rationale": "x", "expires_on": today})
    )
    assert "expires_on" in field_errors(
        lead_api.post(url("api_acceptance_list", 1), {"rationale": "x", "expires_on": too_far})
    )
    assert "rationale" in field_errors(
        lead_api.post(url("api_acceptance_list", 1), {"rationale": "  ", "expires_on": in_a_year()})
    )
    add_risk(cast, "Nobody's")
    assert "risk" in field_errors(
        lead_api.post(url("api_acceptance_list", 2), {"rationale": "x", "expires_on": in_a_year()})
    )


def test_the_viewer_who_owns_the_risk_approves_its_acceptance(
    risk: BusinessRisk, cast: Cast, viewer_api: APIClient
) -> None:
    acceptance = request_acceptance(cast, risk)
    response = viewer_api.post(
        url("api_acceptance_decision", 1, acceptance.pk), {"approve": True, "note": "Agreed.", "version": 1}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["in_force"], body["decision_note"], body["version"]) == (
        "approved",
        True,
        "Agreed.",
        2,
    )
    assert body["decided_by"]["email"] == "viewer@acme.test"
    risk.refresh_from_db()
    assert (risk.status, risk.treatment, risk.review_on) == ("accepted", "accept", acceptance.expires_on)


def test_the_owner_declines_and_the_risk_stays_as_it_was(
    risk: BusinessRisk, cast: Cast, viewer_api: APIClient
) -> None:
    acceptance = request_acceptance(cast, risk)
    response = viewer_api.post(
        url("api_acceptance_decision", 1, acceptance.pk), {"approve": False, "version": 1}
    )
    assert response.json()["status"] == "declined"
    risk.refresh_from_db()
    assert (risk.status, risk.treatment) == ("open", "mitigate")


@pytest.mark.parametrize("role", ["engineer", "security_lead", "owner"])
def test_nobody_but_the_risks_owner_decides_its_acceptance(role: str, risk: BusinessRisk, cast: Cast) -> None:
    acceptance = request_acceptance(cast, risk)
    api = session_client(getattr(cast, role))
    response = api.post(url("api_acceptance_decision", 1, acceptance.pk), {"approve": True, "version": 1})
    assert response.status_code == 403
    assert RiskAcceptance.objects.get(pk=acceptance.pk).status == AcceptanceStatus.REQUESTED


def test_an_engineer_who_owns_a_risk_decides_its_acceptance(cast: Cast, engineer_api: APIClient) -> None:
    add_risk(cast, owner=cast.engineer)
    acceptance = request_acceptance(cast, BusinessRisk.objects.get())
    response = engineer_api.post(
        url("api_acceptance_decision", 1, acceptance.pk), {"approve": True, "version": 1}
    )
    assert response.status_code == 200


def test_a_viewer_who_does_not_own_the_risk_decides_nothing(cast: Cast) -> None:
    add_risk(cast, owner=cast.owner)
    acceptance = request_acceptance(cast, BusinessRisk.objects.get())
    response = session_client(cast.viewer).post(
        url("api_acceptance_decision", 1, acceptance.pk), {"approve": True, "version": 1}
    )
    assert response.status_code == 403


def test_a_decision_on_a_version_no_longer_current_is_412(
    risk: BusinessRisk, cast: Cast, viewer_api: APIClient
) -> None:
    acceptance = request_acceptance(cast, risk)
    RiskAcceptance.objects.filter(pk=acceptance.pk).update(rationale="Rewritten", version=2)
    response = viewer_api.post(
        url("api_acceptance_decision", 1, acceptance.pk), {"approve": True, "version": 1}
    )
    assert response.status_code == 412
    assert response.json()["current"]["rationale"] == "Rewritten"
    assert response["ETag"] == f'"acceptance-{acceptance.pk}-v2"'
    assert RiskAcceptance.objects.get(pk=acceptance.pk).status == AcceptanceStatus.REQUESTED


def test_a_decided_request_is_not_decided_again(
    risk: BusinessRisk, cast: Cast, viewer_api: APIClient
) -> None:
    acceptance = request_acceptance(cast, risk)
    decision = url("api_acceptance_decision", 1, acceptance.pk)
    assert viewer_api.post(decision, {"approve": False, "version": 1}).status_code == 200
    assert "status" in field_errors(viewer_api.post(decision, {"approve": True, "version": 2}))


def test_a_decision_needs_a_choice_and_a_version(
    risk: BusinessRisk, cast: Cast, viewer_api: APIClient
) -> None:
    acceptance = request_acceptance(cast, risk)
    assert set(field_errors(viewer_api.post(url("api_acceptance_decision", 1, acceptance.pk), {}))) == {
        "approve",
        "version",
    }


def test_the_requester_withdraws_a_waiting_request(
    risk: BusinessRisk, cast: Cast, lead_api: APIClient, viewer_api: APIClient
) -> None:
    acceptance = request_acceptance(cast, risk)
    withdrawal = url("api_acceptance_withdrawal", 1, acceptance.pk)
    assert viewer_api.post(withdrawal, {"version": 1}).status_code == 403
    assert lead_api.post(withdrawal, {"version": 7}).status_code == 412
    response = lead_api.post(withdrawal, {"version": 1})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert "status" in field_errors(lead_api.post(withdrawal, {"version": 2}))


def test_an_expired_acceptance_says_so(risk: BusinessRisk, cast: Cast, viewer_api: APIClient) -> None:
    acceptance = request_acceptance(cast, risk)
    RiskAcceptance.objects.filter(pk=acceptance.pk).update(
        status=AcceptanceStatus.APPROVED, expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    (row,) = viewer_api.get(url("api_acceptance_list", 1)).json()["results"]
    assert (row["status"], row["in_force"], row["expired"]) == ("approved", False, True)


# Scoring settings -----------------------------------------------------------------------------------------


def test_the_defaults_answer_version_1_until_saved(cast: Cast, viewer_api: APIClient) -> None:
    response = viewer_api.get(url("api_scoring"))
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == '"scoring-default-v1"'
    assert (body["saved"], body["version"], body["currency"], body["appetite_level"]) == (
        False,
        1,
        "EUR",
        "moderate",
    )
    assert body["likelihood_scale"][0]["name"] == "Very low"
    assert body["impact_scale"][-1]["high"] is None
    assert body["matrix"][4][4] == "very_high"
    assert viewer_api.get(url("api_scoring"), headers={"If-None-Match": response["ETag"]}).status_code == 304


def scoring_body(**changes: Any) -> dict[str, Any]:
    return {
        "currency": "GBP",
        "appetite_level": "low",
        "tolerance_amount": "1000000",
        "tolerance_probability": "5",
    } | changes


def test_a_security_lead_saves_the_settings_and_the_old_tag_goes_stale(
    cast: Cast, lead_api: APIClient
) -> None:
    first = lead_api.put(url("api_scoring"), scoring_body(), headers={"If-Match": '"scoring-default-v1"'})
    assert first.status_code == 200, first.content
    saved = ScoringSettings.objects.get(organisation=cast.organisation)
    assert first["ETag"] == f'"scoring-{saved.pk}-v{saved.version}"'
    assert (first.json()["saved"], first.json()["currency"], first.json()["tolerance_probability"]) == (
        True,
        "GBP",
        "5.00",
    )
    assert (saved.appetite_level, saved.tolerance_amount) == ("low", 1_000_000)
    for stale_tag in ('"scoring-default-v1"', f'"scoring-{saved.pk}-v{saved.version - 1}"'):
        stale = lead_api.put(
            url("api_scoring"), scoring_body(currency="USD"), headers={"If-Match": stale_tag}
        )
        assert stale.status_code == 412
        assert stale.json()["current"]["currency"] == "GBP"
        assert stale["ETag"] == first["ETag"]
    second = lead_api.put(
        url("api_scoring"), scoring_body(currency="USD"), headers={"If-Match": first["ETag"]}
    )
    assert (second.status_code, second.json()["currency"]) == (200, "USD")
    assert second.json()["version"] == saved.version + 1


def test_scales_that_do_not_join_up_and_a_bad_matrix_are_refused(cast: Cast, owner_api: APIClient) -> None:
    scale = owner_api.get(url("api_scoring")).json()["likelihood_scale"]
    scale[2]["low"] = 2  # a gap after "low", which ends at 1
    tag = {"If-Match": '"scoring-default-v1"'}
    assert "likelihood_scale" in field_errors(
        owner_api.put(url("api_scoring"), {"likelihood_scale": scale}, headers=tag)
    )
    bad_matrix = [["low"] * 5] * 4
    assert "matrix" in field_errors(owner_api.put(url("api_scoring"), {"matrix": bad_matrix}, headers=tag))
    unknown = [["low"] * 5] * 4 + [["low", "low", "low", "low", "extreme"]]
    assert "matrix" in field_errors(owner_api.put(url("api_scoring"), {"matrix": unknown}, headers=tag))
    assert "tolerance_probability" in field_errors(
        owner_api.put(url("api_scoring"), {"tolerance_probability": "100"}, headers=tag)
    )
    assert not ScoringSettings.objects.filter(organisation=cast.organisation).exists()


def test_scoring_changes_need_if_match_and_a_security_lead(cast: Cast, lead_api: APIClient) -> None:
    assert lead_api.put(url("api_scoring"), scoring_body()).status_code == 428
    for role in ("engineer", "viewer"):
        api = session_client(getattr(cast, role))
        response = api.put(url("api_scoring"), scoring_body(), headers={"If-Match": '"scoring-default-v1"'})
        assert response.status_code == 403
    assert not ScoringSettings.objects.filter(organisation=cast.organisation).exists()


# The portfolio --------------------------------------------------------------------------------------------


def test_the_portfolio_is_null_until_computed_then_says_whether_it_is_current(
    risk: BusinessRisk, cast: Cast, w: Workspace, viewer_api: APIClient
) -> None:
    empty = viewer_api.get(url("api_portfolio"))
    assert (empty.status_code, empty.json()) == (200, {"figures": None})
    store_portfolio(cast.organisation)
    response = viewer_api.get(url("api_portfolio"))
    figures = response.json()["figures"]
    assert (figures["stale"], figures["residual"]["ale_mean"], figures["currency"]) == (
        False,
        250_000.0,
        "EUR",
    )
    assert (
        viewer_api.get(url("api_portfolio"), headers={"If-None-Match": response["ETag"]}).status_code == 304
    )
    Threat.objects.filter(pk=w.threat.pk).update(likelihood="low")
    assert viewer_api.get(url("api_portfolio")).json()["figures"]["stale"] is True


# Threats in the workspace API -----------------------------------------------------------------------------


def test_a_threat_shows_its_likelihood_and_business_risks(
    risk: BusinessRisk, cast: Cast, w: Workspace, viewer_api: APIClient
) -> None:
    link(cast, add_risk(cast, "Second"), w.threat)
    body = viewer_api.get(reverse("api_threat_detail", args=["acme", w.project.pk, 1])).json()
    assert (body["likelihood"], body["frequency_mode"], body["business_risks"]) == ("moderate", None, [1, 2])
    listed = viewer_api.get(reverse("api_threat_list", args=["acme", w.project.pk])).json()["results"]
    assert listed[0]["business_risks"] == [1, 2]


def test_an_engineer_gives_a_threat_a_likelihood_as_a_level_or_a_range(
    w: Workspace, engineer_api: APIClient
) -> None:
    detail = reverse("api_threat_detail", args=["acme", w.project.pk, 1])
    level = engineer_api.patch(detail, {"likelihood": "high"}, headers=if_match(w.threat))
    assert level.status_code == 200, level.content
    assert level.json()["likelihood"] == "high"
    rng = {"frequency_min": 0.5, "frequency_mode": 2, "frequency_max": 12}
    ranged = engineer_api.patch(detail, rng, headers=if_match(w.threat))
    assert ranged.status_code == 200
    assert [ranged.json()[k] for k in rng] == [0.5, 2.0, 12.0]
    backwards = {"frequency_min": 5, "frequency_mode": 2, "frequency_max": 12}
    assert "frequency_mode" in field_errors(engineer_api.patch(detail, backwards, headers=if_match(w.threat)))
    assert "likelihood" in field_errors(
        engineer_api.patch(detail, {"likelihood": "often"}, headers=if_match(w.threat))
    )
    assert "frequency_max" in field_errors(
        engineer_api.patch(detail, {"frequency_max": 2_000_000}, headers=if_match(w.threat))
    )


def test_a_new_threat_takes_its_likelihood_from_the_body(w: Workspace, engineer_api: APIClient) -> None:
    body = {"threat_source": "insider", "threat_action": "export refunds", "likelihood": "low"}
    response = engineer_api.post(reverse("api_threat_list", args=["acme", w.project.pk]), body)
    assert response.status_code == 201
    assert (response.json()["likelihood"], response.json()["business_risks"]) == ("low", [])
