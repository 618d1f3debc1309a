"""The business-risk register's pages: the register (stored figures, filters, sorting, pages, empty state), adding,
editing (versions, conflicts) and deleting a risk, a risk's page (stages, appetite, scenarios, controls, the
planner's recommendation, history), linking and unlinking threats, the what-if run, and acceptances: requested
by a security lead, decided by the risk's owner (a viewer too), withdrawn; per role, with the wrong method, the
outsider, and query budgets that do not grow with the number of risks, scenarios or controls."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Control, ControlStatus, Project, Threat
from risks import inputs
from risks.models import (
    AcceptanceStatus,
    BusinessRisk,
    RiskAcceptance,
    RiskResult,
    RiskStatus,
    Scenario,
    ScoringSettings,
    Treatment,
)
from risks.results import recompute
from tests.conftest import Cast, signed_in
from tests.factories import ControlFactory, ProjectFactory, ThreatControlFactory, ThreatFactory
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}


@dataclass
class Register:
    cast: Cast
    project: Project
    risk: BusinessRisk
    card_theft: Threat
    outage: Threat
    waf: Control
    tokenise: Control
    pen_test: Control

    def url(self, name: str, *args: object) -> str:
        return reverse(name, args=[self.cast.organisation.slug, *args])

    def risk_url(self, name: str = "risk_detail", *args: object) -> str:
        return self.url(name, self.risk.number, *args)


def scoring(cast: Cast, **changes: Any) -> ScoringSettings:
    values: dict[str, Any] = {
        "likelihood_scale": inputs.DEFAULT_LIKELIHOOD_SCALE,
        "impact_scale": inputs.DEFAULT_IMPACT_SCALE,
        "matrix": inputs.DEFAULT_MATRIX,
        "appetite_level": "moderate",
        "tolerance_amount": Decimal("1000000"),
        "tolerance_probability": Decimal("10"),
    }
    return ScoringSettings.objects.create(organisation=cast.organisation, **(values | changes))


def make_risk(cast: Cast, number: int, **fields: Any) -> BusinessRisk:
    values: dict[str, Any] = {"title": f"Business risk {number}", "impact": "high", "owner": cast.viewer}
    return BusinessRisk.objects.create(organisation=cast.organisation, number=number, **(values | fields))


@pytest.fixture
def reg(cast: Cast) -> Register:
    """R-1, owned by the viewer: card data exposed (very high impact, so high and above appetite), caused by T-1 (high likelihood, a WAF in
    force, tokenisation proposed) and T-2 (low likelihood, a pen test proposed without a cost)."""
    scoring(cast)
    project = ProjectFactory.create(team=cast.team, name="Checkout")
    card_theft = ThreatFactory.create(project=project, likelihood="high", threat_action="steal card data")
    outage = ThreatFactory.create(project=project, likelihood="low", threat_action="take checkout down")
    waf = ControlFactory.create(
        project=project,
        title="Web application firewall",
        status=ControlStatus.IMPLEMENTED,
        cost_per_year=20_000,
    )
    tokenise = ControlFactory.create(
        project=project, title="Tokenise card numbers", status=ControlStatus.PROPOSED, cost_per_year=50_000
    )
    pen_test = ControlFactory.create(project=project, title="Yearly pen test", status=ControlStatus.PROPOSED)
    ThreatControlFactory.create(threat=card_theft, control=waf, effectiveness=50)
    ThreatControlFactory.create(threat=card_theft, control=tokenise, effectiveness=90)
    ThreatControlFactory.create(threat=outage, control=pen_test, effectiveness=40)
    risk = make_risk(
        cast,
        1,
        title="Card data exposed",
        categories=["financial", "regulatory"],
        description="PCI fines, churn",
    )
    Scenario.objects.create(risk=risk, threat=card_theft)
    Scenario.objects.create(risk=risk, threat=outage)
    return Register(cast, project, risk, card_theft, outage, waf, tokenise, pen_test)


def html(response: Any) -> str:
    return str(response.content.decode())


def text(response: Any) -> str:
    """The page's words, tags stripped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


# The register -----------------------------------------------------------------------------------------------


def test_the_register_shows_each_risk_with_its_stored_figures_and_position(reg: Register) -> None:
    recompute(reg.cast.organisation.pk)
    response = signed_in(reg.cast.viewer).get(reg.url("risk_list"))
    assert response.status_code == 200
    page = text(response)
    assert "R-1" in page
    assert "Card data exposed" in page
    assert "Financial, Regulatory" in page
    assert "Above appetite" in page
    assert "The portfolio" in page
    assert "Not computed yet" not in page
    assert "Out of date" not in page


def test_every_sortable_column_of_the_register_is_named(reg: Register) -> None:
    page = html(signed_in(reg.cast.viewer).get(reg.url("risk_list")))
    labels = re.findall(r'<a class="sort-link[^"]*" href="[^"]*"\s+hx-get="[^"]*"[^>]*>([^<]*)<', page)
    assert labels == ["ID", "Business risk", "Residual level", "Expected annual loss", "Owner", "Next review"]


def test_the_register_says_when_figures_are_missing_or_out_of_date(reg: Register) -> None:
    client = signed_in(reg.cast.viewer)
    assert "Not computed yet" in text(client.get(reg.url("risk_list")))
    recompute(reg.cast.organisation.pk)
    Threat.objects.filter(pk=reg.outage.pk).update(likelihood="very_high")
    page = text(client.get(reg.url("risk_list")))
    assert "Out of date, recomputing" in page


def test_the_register_filters_searches_and_sorts(reg: Register) -> None:
    make_risk(reg.cast, 2, title="Payments outage", impact="low", categories=["operational"], owner=None)
    recompute(reg.cast.organisation.pk)
    client = signed_in(reg.cast.viewer)
    only_operational = text(client.get(reg.url("risk_list"), {"category": "operational"}))
    assert "Payments outage" in only_operational
    assert "Card data exposed" not in only_operational
    above = text(client.get(reg.url("risk_list"), {"appetite": "above"}))
    assert "Card data exposed" in above
    assert "Payments outage" not in above
    unowned = text(client.get(reg.url("risk_list"), {"owner": "none"}))
    assert "Payments outage" in unowned
    assert "Card data exposed" not in unowned
    assert "Card data exposed" in text(client.get(reg.url("risk_list"), {"q": "R-1"}))
    by_loss = html(client.get(reg.url("risk_list"), {"order": "-ale"}))
    assert by_loss.index("Card data exposed") < by_loss.index("Payments outage")
    by_loss_up = html(client.get(reg.url("risk_list"), {"order": "ale"}))
    assert by_loss_up.index("Payments outage") < by_loss_up.index("Card data exposed")
    partial = client.get(
        reg.url("risk_list"), {"order": "title"}, headers=HTMX | {"HX-Target": "risk-results"}
    )
    assert html(partial).lstrip().startswith('<div id="risk-results">')


def test_an_empty_register_says_what_to_do_next(cast: Cast) -> None:
    lead = text(signed_in(cast.security_lead).get(reverse("risk_list", args=[cast.organisation.slug])))
    assert "No business risks yet" in lead
    assert "Add a business risk" in lead
    viewer = text(signed_in(cast.viewer).get(reverse("risk_list", args=[cast.organisation.slug])))
    assert "Security leads and owners keep the register" in viewer
    assert "Add a business risk" not in viewer


def test_the_register_rejects_writes_and_outsiders(reg: Register) -> None:
    assert signed_in(reg.cast.owner).post(reg.url("risk_list")).status_code == 405
    assert signed_in(reg.cast.outsider).get(reg.url("risk_list")).status_code == 404


def test_the_register_costs_the_same_queries_for_one_risk_and_for_many(reg: Register) -> None:
    client = signed_in(reg.cast.viewer)
    client.get(reg.url("risk_list"))
    recompute(reg.cast.organisation.pk)
    one = count_queries(lambda: client.get(reg.url("risk_list")))
    for number in range(2, 12):
        risk = make_risk(reg.cast, number, owner=reg.cast.engineer if number % 2 else None)
        Scenario.objects.create(risk=risk, threat=reg.card_theft)
        RiskAcceptance.objects.create(
            risk=risk, requested_by=reg.cast.owner, rationale="Cheap", expires_on=datetime.date(2099, 1, 1)
        )
    recompute(reg.cast.organisation.pk)
    many = count_queries(lambda: client.get(reg.url("risk_list")))
    assert many == one


# Adding, editing and deleting ------------------------------------------------------------------------------


def risk_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "Customer data leaked",
        "description": "GDPR fines and churn.",
        "categories": ["regulatory", "reputational"],
        "owner": "",
        "impact": "",
        "loss_low": "200000",
        "loss_high": "5000000",
        "treatment": "mitigate",
        "treatment_detail": "",
        "status": "open",
        "review_on": "",
    }
    return body | changes


@pytest.mark.parametrize("role", ["owner", "security_lead"])
def test_a_security_lead_or_owner_adds_a_risk(cast: Cast, role: str) -> None:
    client = signed_in(getattr(cast, role))
    url = reverse("risk_create", args=[cast.organisation.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, risk_body(owner=cast.viewer.pk))
    risk = BusinessRisk.objects.get(organisation=cast.organisation, title="Customer data leaked")
    assert response.status_code == 302
    assert response["Location"] == reverse("risk_detail", args=[cast.organisation.slug, risk.number])
    assert risk.owner == cast.viewer
    assert risk.categories == ["regulatory", "reputational"]
    assert risk.loss_low == Decimal("200000")
    assert risk.review_on is not None


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_engineers_and_viewers_may_not_add_risks(cast: Cast, role: str) -> None:
    client = signed_in(getattr(cast, role))
    url = reverse("risk_create", args=[cast.organisation.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, risk_body()).status_code == 403
    assert not BusinessRisk.objects.exists()


def test_adding_a_risk_shows_errors_by_field(cast: Cast) -> None:
    client = signed_in(cast.security_lead)
    url = reverse("risk_create", args=[cast.organisation.slug])
    no_impact = client.post(url, risk_body(loss_low="", loss_high=""))
    assert no_impact.status_code == 400
    assert "Give the impact as a level, or as a loss per event, or both." in text(no_impact)
    upside_down = client.post(url, risk_body(loss_low="900", loss_high="100"))
    assert upside_down.status_code == 400
    assert 'id="id_loss_high_error"' in html(upside_down)
    outsider = client.post(url, risk_body(owner=cast.outsider.pk))
    assert outsider.status_code == 400
    assert 'id="id_owner_error"' in html(outsider)
    accepted = client.post(url, risk_body(treatment="accept"))
    assert accepted.status_code == 400
    assert "Request an acceptance instead" in text(accepted)
    assert not BusinessRisk.objects.exists()


def edit_body(risk: BusinessRisk, **changes: object) -> dict[str, object]:
    body = risk_body(
        title=risk.title,
        description=risk.description,
        categories=risk.categories,
        owner=risk.owner_id or "",
        impact=risk.impact,
        loss_low=risk.loss_low or "",
        loss_high=risk.loss_high or "",
        treatment=risk.treatment,
        status=risk.status,
        review_on=risk.review_on.isoformat() if risk.review_on else "",
    )
    return body | {"version": risk.version} | changes


def test_a_security_lead_edits_a_risk_and_transfers_it(reg: Register) -> None:
    client = signed_in(reg.cast.security_lead)
    assert client.get(reg.risk_url("risk_edit")).status_code == 200
    response = client.post(
        reg.risk_url("risk_edit"),
        edit_body(reg.risk, treatment="transfer", treatment_detail="Cyber insurance with Lloyd's"),
    )
    assert response.status_code == 302
    reg.risk.refresh_from_db()
    assert reg.risk.treatment == Treatment.TRANSFER
    assert reg.risk.treatment_detail.startswith("Cyber insurance")
    assert "Cyber insurance with Lloyd" in text(client.get(reg.risk_url()))


def test_an_edit_that_lost_a_race_answers_409_with_both_values(reg: Register) -> None:
    client = signed_in(reg.cast.security_lead)
    stale = edit_body(reg.risk, title="Card data stolen")
    client.post(reg.risk_url("risk_edit"), edit_body(reg.risk, description="Changed by someone else"))
    response = client.post(reg.risk_url("risk_edit"), stale)
    assert response.status_code == 409
    assert "while you were editing it" in text(response)
    assert "Card data stolen" in html(response)
    reg.risk.refresh_from_db()
    assert reg.risk.title == "Card data exposed"


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_engineers_and_viewers_may_not_edit_or_delete_risks(reg: Register, role: str) -> None:
    client = signed_in(getattr(reg.cast, role))
    assert client.get(reg.risk_url("risk_edit")).status_code == 403
    assert client.post(reg.risk_url("risk_edit"), edit_body(reg.risk, title="Mine")).status_code == 403
    assert client.post(reg.risk_url("risk_delete"), {"version": reg.risk.version}).status_code == 403
    assert BusinessRisk.objects.filter(pk=reg.risk.pk, title="Card data exposed").exists()


def test_an_owner_deletes_a_risk_at_the_version_they_saw(reg: Register) -> None:
    client = signed_in(reg.cast.owner)
    assert "2 scenarios" in text(client.get(reg.risk_url("risk_delete")))
    stale = client.post(reg.risk_url("risk_delete"), {"version": reg.risk.version + 5})
    assert stale.status_code == 302
    assert BusinessRisk.objects.filter(pk=reg.risk.pk).exists()
    response = client.post(reg.risk_url("risk_delete"), {"version": reg.risk.version})
    assert response.status_code == 302
    assert response["Location"] == reg.url("risk_list")
    assert not BusinessRisk.objects.filter(pk=reg.risk.pk).exists()
    assert Threat.objects.filter(pk=reg.card_theft.pk).exists()


# A risk's page ---------------------------------------------------------------------------------------------


def test_a_risks_page_shows_its_stages_scenarios_controls_and_recommendation(reg: Register) -> None:
    recompute(reg.cast.organisation.pk)
    response = signed_in(reg.cast.viewer).get(reg.risk_url())
    assert response.status_code == 200
    page = text(response)
    for words in ("Inherent", "Residual", "Projected", "Computed", "Above appetite"):
        assert words in page
    assert "T-1" in page
    assert "steal card data" in page
    assert "Checkout" in page
    assert "Web application firewall" in page
    assert "50 % of T-1" in page
    assert "Tokenise card numbers" in page
    assert "Give a cost to rank it: “Yearly pen test”" in page
    assert "Gordon-Loeb" in page
    assert "Edit" not in re.findall(r'class="btn btn--secondary"[^>]*>([^<]+)<', html(response))


def test_a_risks_page_says_its_figures_are_out_of_date(reg: Register) -> None:
    recompute(reg.cast.organisation.pk)
    reg.waf.status = ControlStatus.PROPOSED
    reg.waf.save(update_fields=["status"])
    page = text(signed_in(reg.cast.viewer).get(reg.risk_url()))
    assert "Out of date, recomputing" in page


def test_a_risks_page_without_figures_says_they_are_not_computed(reg: Register) -> None:
    page = text(signed_in(reg.cast.viewer).get(reg.risk_url()))
    assert "Not computed yet" in page


def test_a_risks_page_answers_404_to_outsiders_and_unknown_numbers(reg: Register) -> None:
    assert signed_in(reg.cast.outsider).get(reg.risk_url()).status_code == 404
    assert signed_in(reg.cast.viewer).get(reg.url("risk_detail", 99)).status_code == 404
    assert signed_in(reg.cast.viewer).post(reg.risk_url()).status_code == 405


def test_a_risks_page_costs_the_same_queries_for_few_and_many_scenarios(reg: Register) -> None:
    ThreatFactory.create(project=reg.project, likelihood="low")  # linkable, not linked
    recompute(reg.cast.organisation.pk)
    client = signed_in(reg.cast.owner)
    client.get(reg.risk_url())
    few = count_queries(lambda: client.get(reg.risk_url()))
    other = ProjectFactory.create(team=reg.cast.other_team, name="Platform")
    for n in range(6):
        threat = ThreatFactory.create(project=other, likelihood="high")
        ThreatControlFactory.create(
            threat=threat,
            control=ControlFactory.create(
                project=other, status=ControlStatus.PLANNED, cost_per_year=1_000 + n
            ),
            effectiveness=30,
        )
        Scenario.objects.create(risk=reg.risk, threat=threat)
        ThreatFactory.create(project=other, likelihood="low")  # linkable, not linked
    recompute(reg.cast.organisation.pk)
    many = count_queries(lambda: client.get(reg.risk_url()))
    assert many == few


# Scenarios --------------------------------------------------------------------------------------------------


def test_a_security_lead_links_any_threat_and_unlinks_it(reg: Register) -> None:
    other = ProjectFactory.create(team=reg.cast.other_team, name="Platform")
    threat = ThreatFactory.create(project=other, likelihood="high")
    client = signed_in(reg.cast.security_lead)
    assert f'value="{threat.pk}"' in html(client.get(reg.risk_url()))
    response = client.post(
        reg.risk_url("scenario_create"), {"threat": threat.pk, "note": "via the admin API"}
    )
    assert response.status_code == 302
    scenario = Scenario.objects.get(risk=reg.risk, threat=threat)
    assert scenario.note == "via the admin API"
    assert client.post(reg.risk_url("scenario_delete", scenario.pk)).status_code == 302
    assert not Scenario.objects.filter(pk=scenario.pk).exists()


def test_an_engineer_links_only_their_teams_threats(reg: Register) -> None:
    other = ProjectFactory.create(team=reg.cast.other_team, name="Platform")
    theirs = ThreatFactory.create(project=other)
    mine = ThreatFactory.create(project=reg.project, threat_action="skim the card form")
    client = signed_in(reg.cast.engineer)
    offered = client.get(reg.risk_url()).context["scenario_form"]["threat"]
    choices = {str(choice.data["value"]) for choice in offered.subwidgets}
    assert str(mine.pk) in choices  # read from the picker itself: a control's checkbox may share the number
    assert str(theirs.pk) not in choices
    refused = client.post(reg.risk_url("scenario_create"), {"threat": theirs.pk})
    assert refused.status_code == 400
    assert not Scenario.objects.filter(threat=theirs).exists()
    assert client.post(reg.risk_url("scenario_create"), {"threat": mine.pk}).status_code == 302
    platform_scenario = Scenario.objects.create(risk=reg.risk, threat=theirs)
    assert client.post(reg.risk_url("scenario_delete", platform_scenario.pk)).status_code == 403
    assert Scenario.objects.filter(pk=platform_scenario.pk).exists()


def test_a_viewer_links_nothing(reg: Register) -> None:
    client = signed_in(reg.cast.viewer)
    assert 'id="add-scenario"' not in html(client.get(reg.risk_url()))
    extra = ThreatFactory.create(project=reg.project)
    assert client.post(reg.risk_url("scenario_create"), {"threat": extra.pk}).status_code == 400
    scenario = Scenario.objects.get(risk=reg.risk, threat=reg.card_theft)
    assert client.post(reg.risk_url("scenario_delete", scenario.pk)).status_code == 403
    assert client.get(reg.risk_url("scenario_delete", scenario.pk)).status_code == 405


def test_a_scenario_of_another_risk_is_not_found(reg: Register) -> None:
    other = make_risk(reg.cast, 2)
    scenario = Scenario.objects.create(risk=other, threat=reg.card_theft)
    client = signed_in(reg.cast.owner)
    assert client.post(reg.risk_url("scenario_delete", scenario.pk)).status_code == 404


# What if ----------------------------------------------------------------------------------------------------


def what_if_figures(response: Any) -> dict[str, str]:
    page = html(response)
    figures = {}
    for name in ("ale", "p90", "p-loss", "level"):
        found = re.search(rf'id="what-if-{name}">(.*?)</dd>', page, re.S)
        assert found is not None, name
        figures[name] = re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()
    return figures


def ticked(*controls: Control) -> dict[str, Any]:
    """The what-if query that counts exactly these controls."""
    return {"what_if": "1", "control": [control.pk for control in controls]}


def test_the_what_if_run_starts_from_the_controls_in_force_and_toggles_back_to_the_same_figures(
    reg: Register,
) -> None:
    client = signed_in(reg.cast.viewer)
    start = what_if_figures(client.get(reg.risk_url()))
    url = reg.risk_url("risk_what_if")
    with_tokens = client.get(url, ticked(reg.waf, reg.tokenise), headers=HTMX)
    assert with_tokens.status_code == 200
    assert html(with_tokens).lstrip().startswith('<div id="what-if-results"')
    assert "<svg" in html(with_tokens)
    assert "<title" in html(with_tokens)
    assert "<desc" in html(with_tokens)
    lower = what_if_figures(with_tokens)
    assert lower["ale"] != start["ale"]
    back = what_if_figures(client.get(url, ticked(reg.waf), headers=HTMX))
    assert back == start
    nothing = what_if_figures(client.get(url, ticked(), headers=HTMX))
    assert nothing["ale"] != start["ale"]


def test_the_what_if_run_without_javascript_is_the_page_with_the_ticked_controls(reg: Register) -> None:
    client = signed_in(reg.cast.viewer)
    response = client.get(reg.risk_url("risk_what_if"), ticked(reg.tokenise))
    assert response.status_code == 302
    assert response["Location"].startswith(reg.risk_url() + "?")
    page = html(client.get(response["Location"]))
    assert re.search(rf'id="what-if-{reg.tokenise.pk}"[^>]*checked', page)
    assert not re.search(rf'id="what-if-{reg.waf.pk}"[^>]*checked', page)


def test_the_what_if_run_ignores_controls_that_do_not_act_on_the_risk(reg: Register) -> None:
    stranger = ControlFactory.create(project=reg.project, title="Unrelated")
    client = signed_in(reg.cast.viewer)
    response = client.get(reg.risk_url("risk_what_if"), ticked(stranger), headers=HTMX)
    assert response.status_code == 200
    assert signed_in(reg.cast.outsider).get(reg.risk_url("risk_what_if"), headers=HTMX).status_code == 404
    assert client.post(reg.risk_url("risk_what_if")).status_code == 405


# Acceptance -------------------------------------------------------------------------------------------------


def request_acceptance(client: Client, reg: Register, **changes: object) -> Any:
    expires = (timezone.localdate() + datetime.timedelta(days=180)).isoformat()
    body: dict[str, object] = {"rationale": "Tokenisation ships next quarter.", "expires_on": expires}
    return client.post(reg.risk_url("acceptance_request"), body | changes)


def test_a_security_lead_requests_and_the_viewer_who_owns_the_risk_approves(reg: Register) -> None:
    lead, owner = signed_in(reg.cast.security_lead), signed_in(reg.cast.viewer)
    assert request_acceptance(lead, reg).status_code == 302
    acceptance = RiskAcceptance.objects.get(risk=reg.risk)
    lead_page = text(lead.get(reg.risk_url()))
    assert "Waiting for" in lead_page
    assert "Approve" not in lead_page
    assert "Withdraw the request" in lead_page
    owner_page = html(owner.get(reg.risk_url()))
    assert 'id="decide-acceptance"' in owner_page
    response = owner.post(
        reg.risk_url("acceptance_decide", acceptance.pk),
        {"version": acceptance.version, "decision": "approve", "note": "Fine until tokenisation"},
    )
    assert response.status_code == 302
    acceptance.refresh_from_db()
    reg.risk.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.APPROVED
    assert acceptance.decided_by == reg.cast.viewer
    assert reg.risk.status == RiskStatus.ACCEPTED
    assert reg.risk.treatment == Treatment.ACCEPT
    page = text(owner.get(reg.risk_url()))
    assert "Accepted until" in page
    assert "Fine until tokenisation" in page


def test_the_owner_declines_with_a_note(reg: Register) -> None:
    request_acceptance(signed_in(reg.cast.owner), reg)
    acceptance = RiskAcceptance.objects.get(risk=reg.risk)
    response = signed_in(reg.cast.viewer).post(
        reg.risk_url("acceptance_decide", acceptance.pk),
        {"version": acceptance.version, "decision": "decline", "note": "Fix it instead"},
    )
    assert response.status_code == 302
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.DECLINED
    assert acceptance.decision_note == "Fix it instead"


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_engineers_and_viewers_may_not_request_acceptance(reg: Register, role: str) -> None:
    response = request_acceptance(signed_in(getattr(reg.cast, role)), reg)
    assert response.status_code == 403
    assert not RiskAcceptance.objects.exists()


@pytest.mark.parametrize("role", ["engineer", "security_lead", "owner"])
def test_only_the_risks_owner_decides(reg: Register, role: str) -> None:
    request_acceptance(signed_in(reg.cast.owner), reg)
    acceptance = RiskAcceptance.objects.get(risk=reg.risk)
    client = signed_in(getattr(reg.cast, role))
    assert 'id="decide-acceptance"' not in html(client.get(reg.risk_url()))
    response = client.post(
        reg.risk_url("acceptance_decide", acceptance.pk),
        {"version": acceptance.version, "decision": "approve"},
    )
    assert response.status_code == 403
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.REQUESTED


def test_an_engineer_who_owns_a_risk_decides_its_acceptance(reg: Register) -> None:
    BusinessRisk.objects.filter(pk=reg.risk.pk).update(owner=reg.cast.engineer)
    request_acceptance(signed_in(reg.cast.owner), reg)
    acceptance = RiskAcceptance.objects.get(risk=reg.risk)
    response = signed_in(reg.cast.engineer).post(
        reg.risk_url("acceptance_decide", acceptance.pk),
        {"version": acceptance.version, "decision": "approve"},
    )
    assert response.status_code == 302


def test_a_request_shows_errors_by_field(reg: Register) -> None:
    lead = signed_in(reg.cast.security_lead)
    past = request_acceptance(lead, reg, rationale="", expires_on="2001-01-01")
    assert past.status_code == 400
    assert 'id="acceptance-rationale_error"' in html(past) or "This field is required" in text(past)
    too_far = request_acceptance(
        lead, reg, expires_on=(timezone.localdate() + datetime.timedelta(days=2000)).isoformat()
    )
    assert too_far.status_code == 400
    assert "three years at the most" in text(too_far)
    BusinessRisk.objects.filter(pk=reg.risk.pk).update(owner=None)
    no_owner = request_acceptance(lead, reg)
    assert no_owner.status_code == 400
    assert "Give the risk an owner first" in text(no_owner)
    assert not RiskAcceptance.objects.exists()


def test_a_stale_decision_answers_409(reg: Register) -> None:
    request_acceptance(signed_in(reg.cast.owner), reg)
    acceptance = RiskAcceptance.objects.get(risk=reg.risk)
    response = signed_in(reg.cast.viewer).post(
        reg.risk_url("acceptance_decide", acceptance.pk),
        {"version": acceptance.version + 1, "decision": "approve"},
    )
    assert response.status_code == 409
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.REQUESTED


def test_the_requester_withdraws_a_waiting_request(reg: Register) -> None:
    lead = signed_in(reg.cast.security_lead)
    request_acceptance(lead, reg)
    acceptance = RiskAcceptance.objects.get(risk=reg.risk)
    assert (
        signed_in(reg.cast.viewer)
        .post(reg.risk_url("acceptance_withdraw", acceptance.pk), {"version": acceptance.version})
        .status_code
        == 403
    )
    response = lead.post(reg.risk_url("acceptance_withdraw", acceptance.pk), {"version": acceptance.version})
    assert response.status_code == 302
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.WITHDRAWN
    assert "Withdrawn" in text(lead.get(reg.risk_url()))


def test_an_expired_acceptance_is_shown_as_expired_everywhere(reg: Register) -> None:
    RiskAcceptance.objects.create(
        risk=reg.risk,
        requested_by=reg.cast.owner,
        rationale="Last year",
        expires_on=timezone.localdate() - datetime.timedelta(days=3),
        status=AcceptanceStatus.APPROVED,
        decided_by=reg.cast.viewer,
        decided_at=timezone.now(),
    )
    recompute(reg.cast.organisation.pk)
    client = signed_in(reg.cast.viewer)
    page = text(client.get(reg.risk_url()))
    assert "Acceptance expired on" in page
    assert "back to its residual position, above appetite" in page
    assert "acceptance expired on" in text(client.get(reg.url("risk_list")))


def test_acceptance_routes_reject_get_and_outsiders(reg: Register) -> None:
    acceptance = RiskAcceptance.objects.create(
        risk=reg.risk, requested_by=reg.cast.owner, rationale="x", expires_on=datetime.date(2099, 1, 1)
    )
    viewer = signed_in(reg.cast.viewer)
    assert viewer.get(reg.risk_url("acceptance_request")).status_code == 405
    assert viewer.get(reg.risk_url("acceptance_decide", acceptance.pk)).status_code == 405
    outsider = signed_in(reg.cast.outsider)
    assert (
        outsider.post(
            reg.risk_url("acceptance_decide", acceptance.pk), {"version": 1, "decision": "approve"}
        ).status_code
        == 404
    )
    assert RiskResult.objects.count() == 0
