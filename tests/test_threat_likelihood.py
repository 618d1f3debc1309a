"""A threat's likelihood (a level of the organisation's scale, or a range of events a year) and the business risks
it can cause, on the threat form and the threat's page: each scenario's inherent and residual level and annual
loss, and the risk's stored annual loss, saying when it is out of date or not computed yet."""

import datetime
import math
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import ControlStatus, Project, Threat
from risks import inputs
from risks.models import BusinessRisk, RiskResult, Scenario, ScoringSettings
from risks.selectors import StageFigures
from tests.conftest import Cast, signed_in
from tests.factories import (
    ControlFactory,
    OrganisationFactory,
    ProjectFactory,
    ThreatControlFactory,
    ThreatFactory,
)
from tests.queries import count_queries

HTMX = {"HX-Request": "true"}


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


def url(name: str, project: Project, *args: object) -> str:
    return reverse(name, args=[project.organisation.slug, project.pk, *args])


def html_of(response: Any) -> str:
    return str(response.content.decode())


def text_of(response: Any) -> str:
    """The page's text, tags dropped and spaces squeezed, to read sentences that span elements."""
    return " ".join(re.sub(r"<[^>]+>", " ", html_of(response)).split())


def add_risk(cast: Cast, title: str, number: int, **fields: Any) -> BusinessRisk:
    fields.setdefault("impact", "high")
    return BusinessRisk.objects.create(organisation=cast.organisation, number=number, title=title, **fields)


def pert_mean(low: float, mode: float, high: float) -> float:
    return (low + 4 * mode + high) / 6


def create_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "threat_source": "external attacker",
        "threat_action": "replay a payment request",
        "status": "identified",
        "owner": "",
        "risks_shown": "on",
    }
    return body | changes


def edit_body(threat: Threat, **changes: object) -> dict[str, object]:
    names = ("threat_source", "prerequisites", "threat_action", "threat_impact", "status", "likelihood")
    body: dict[str, object] = {name: getattr(threat, name) for name in names}
    body |= {
        "version": threat.version,
        "owner": threat.owner_id or "",
        "risks": [risk.pk for risk in threat.business_risks.all()],
        "risks_shown": "on",
    }
    return body | changes


# Logging a threat with its likelihood and risks ---------------------------------------------------------------


def test_an_engineer_logs_a_threat_with_a_level_and_the_risks_it_can_cause(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    card = add_risk(cast, "Card data exposed", 3)
    fines = add_risk(cast, "PCI fines", 4)
    add_risk(cast, "Outage", 5)
    body = create_body(likelihood_by="level", likelihood="moderate", risks=[card.pk, fines.pk])
    response = engineer_client.post(url("threat_create", project), body)
    assert response.status_code == 302
    threat = project.threats.get()
    assert (threat.likelihood, threat.frequency_mode) == ("moderate", None)
    assert sorted(threat.business_risks.values_list("number", flat=True)) == [3, 4]


def test_a_range_of_events_is_stored_as_numbers_and_a_blank_end_is_the_most_likely_value(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    body = create_body(likelihood_by="range", frequency_min="1", frequency_mode="3", frequency_max="")
    assert engineer_client.post(url("threat_create", project), body).status_code == 302
    threat = project.threats.get()
    assert (threat.frequency_min, threat.frequency_mode, threat.frequency_max) == (1.0, 3.0, 3.0)
    assert threat.likelihood == ""  # the numbers stand for the level; the threat never holds both


def test_the_choice_decides_and_clears_the_other_way_of_giving_the_likelihood(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project, frequency_min=1, frequency_mode=3, frequency_max=5)
    body = edit_body(threat, likelihood_by="level", likelihood="high", frequency_mode="3")
    assert engineer_client.post(url("threat_detail", project, threat.number), body).status_code == 302
    threat.refresh_from_db()
    assert (threat.likelihood, threat.frequency_min, threat.frequency_mode, threat.frequency_max) == (
        "high",
        None,
        None,
        None,
    )
    body = edit_body(threat, likelihood_by="", likelihood="high")
    assert engineer_client.post(url("threat_detail", project, threat.number), body).status_code == 302
    threat.refresh_from_db()
    assert (threat.likelihood, threat.frequency_mode) == ("", None)


def test_without_the_choice_a_range_given_wins_over_a_level(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    body = create_body(likelihood="low", frequency_mode="12")
    assert engineer_client.post(url("threat_create", project), body).status_code == 302
    threat = project.threats.get()
    assert (threat.likelihood, threat.frequency_min, threat.frequency_mode) == ("", 12.0, 12.0)


@pytest.mark.parametrize(
    ("likelihood", "field", "message"),
    [
        (
            {"frequency_min": "5", "frequency_mode": "3", "frequency_max": "8"},
            "frequency_mode",
            "in that order",
        ),
        ({"frequency_min": "-1", "frequency_mode": "3", "frequency_max": "8"}, "frequency_min", "0"),
        ({"frequency_mode": "2000000"}, "frequency_mode", "1000000"),
        ({"frequency_mode": "nan"}, "frequency_mode", "Enter a number"),
        ({"frequency_min": "1"}, "frequency_mode", "most likely number"),
    ],
)
def test_a_bad_range_is_a_field_error_and_nothing_is_written(
    cast: Cast,
    engineer_client: Client,
    project: Project,
    likelihood: dict[str, str],
    field: str,
    message: str,
) -> None:
    risk = add_risk(cast, "Card data exposed", 1)
    body = create_body(likelihood_by="range", risks=[risk.pk], **likelihood)
    response = engineer_client.post(url("threat_create", project), body)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message.replace(",", "") in " ".join(errors[field]).replace(",", "")
    assert not Threat.objects.exists()
    assert not Scenario.objects.exists()


def test_a_level_chosen_but_not_given_is_a_field_error(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    response = engineer_client.post(url("threat_create", project), create_body(likelihood_by="level"))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["likelihood"]


def test_a_risk_of_another_organisation_is_a_field_error_and_nothing_is_written(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    ours = add_risk(cast, "Card data exposed", 1)
    theirs = BusinessRisk.objects.create(
        organisation=cast.outsider_organisation, number=2, title="Globex secret", impact="high"
    )
    threat = ThreatFactory.create(project=project, likelihood="low")
    body = edit_body(threat, threat_action="changed", risks=[ours.pk, theirs.pk])
    response = engineer_client.post(url("threat_detail", project, threat.number), body)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["risks"]
    assert "Globex secret" not in html_of(response)
    threat.refresh_from_db()
    assert threat.threat_action != "changed"
    assert not Scenario.objects.exists()
    response = engineer_client.post(url("threat_create", project), create_body(risks=[theirs.pk]))
    assert response.status_code == 400
    assert Threat.objects.count() == 1


def test_an_edit_adds_and_removes_links_and_keeps_those_left_alone(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    kept, dropped, added = (
        add_risk(cast, title, n) for n, title in enumerate(("Kept", "Dropped", "Added"), 1)
    )
    threat = ThreatFactory.create(project=project, likelihood="low")
    scenario = Scenario.objects.create(risk=kept, threat=threat)
    Scenario.objects.create(risk=dropped, threat=threat)
    body = edit_body(threat, risks=[kept.pk, added.pk])
    assert engineer_client.post(url("threat_detail", project, threat.number), body).status_code == 302
    assert sorted(threat.business_risks.values_list("title", flat=True)) == ["Added", "Kept"]
    assert Scenario.objects.filter(pk=scenario.pk).exists()  # kept as it was, with its note


def test_a_post_without_the_risk_choices_leaves_the_links_alone(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    """Unticked checkboxes send nothing, so only a form that showed the risks may unlink them."""
    threat = ThreatFactory.create(project=project, threat_action="replay a payment request")
    risk = BusinessRisk.objects.create(organisation=cast.organisation, number=1, title="Kept", impact="high")
    Scenario.objects.create(risk=risk, threat=threat)
    body = edit_body(threat, threat_action="replay a refund request")
    del body["risks"], body["risks_shown"]
    assert engineer_client.post(url("threat_detail", project, threat.number), body).status_code == 302
    threat.refresh_from_db()
    assert (threat.threat_action, list(threat.business_risks.all())) == ("replay a refund request", [risk])
    shown = edit_body(threat) | {"risks": []}
    assert engineer_client.post(url("threat_detail", project, threat.number), shown).status_code == 302
    assert not threat.business_risks.exists()


def test_a_stale_save_links_nothing_and_keeps_the_risks_chosen_in_the_form(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    risk = add_risk(cast, "Card data exposed", 1)
    threat = ThreatFactory.create(project=project)
    body = edit_body(threat, risks=[risk.pk], likelihood_by="level", likelihood="high")
    Threat.objects.filter(pk=threat.pk).update(threat_action="theirs", version=threat.version + 1)
    response = engineer_client.post(url("threat_detail", project, threat.number), body)
    assert response.status_code == 409
    assert not Scenario.objects.exists()
    assert response.context["form"]["risks"].value() == [str(risk.pk)]
    again = engineer_client.post(url("threat_detail", project, threat.number), response.context["form"].data)
    assert again.status_code == 302
    assert list(threat.business_risks.all()) == [risk]


def test_the_form_offers_the_organisations_levels_in_its_own_words_and_its_risks(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    scale = [dict(level) for level in inputs.DEFAULT_LIKELIHOOD_SCALE]
    scale[2] = {"name": "Every quarter or so", "description": "A few times a year.", "low": 1, "high": 10}
    ScoringSettings.objects.create(
        organisation=cast.organisation,
        likelihood_scale=scale,
        impact_scale=inputs.DEFAULT_IMPACT_SCALE,
        matrix=inputs.DEFAULT_MATRIX,
    )
    add_risk(cast, "Card data exposed", 3)
    BusinessRisk.objects.create(
        organisation=cast.outsider_organisation, number=1, title="Globex", impact="low"
    )
    html = html_of(engineer_client.get(url("threat_create", project)))
    assert '<option value="moderate">Every quarter or so: A few times a year.</option>' in html
    assert "R-3 Card data exposed" in html
    assert "Globex" not in html
    for label in ("Not estimated yet", "As a level", "As events a year", "Fewest a year"):
        assert label in html
    assert f'hx-post="{url("threat_preview", project)}?part=likelihood"' in html


def test_the_form_says_which_level_a_range_typed_stands_for(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    body = {"likelihood_by": "range", "frequency_min": "1", "frequency_mode": "3", "frequency_max": "5"}
    response = engineer_client.post(url("threat_preview", project) + "?part=likelihood", body, headers=HTMX)
    assert response.status_code == 200
    assert " ".join(re.sub(r"<[^>]+>", "", html_of(response)).split()) == (
        "That is about 3 a year (1 to 5): Moderate: one to ten times a year."
    )
    body = {"likelihood_by": "level", "likelihood": "very_high", "frequency_mode": "3"}
    response = engineer_client.post(url("threat_preview", project) + "?part=likelihood", body, headers=HTMX)
    assert "Very high" in html_of(response)
    half_typed = {"likelihood_by": "range", "frequency_mode": "3."}
    response = engineer_client.post(url("threat_preview", project) + "?part=likelihood", half_typed)
    assert "about 3 a year" not in html_of(response)  # "3." is 3: an exact rate
    assert "3 a year: Moderate" in html_of(response)
    assert not Threat.objects.exists()


# The threat's page -------------------------------------------------------------------------------------------


def test_the_page_shows_the_likelihood_as_given_and_as_its_level(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project, frequency_min=1, frequency_mode=3, frequency_max=5)
    text = text_of(viewer_client.get(url("threat_detail", project, threat.number)))
    assert "Likelihood Moderate about 3 a year (1 to 5) One to ten times a year." in text
    other = ThreatFactory.create(project=project, likelihood="very_low")
    text = text_of(viewer_client.get(url("threat_detail", project, other.number)))
    assert "Likelihood Very low Less than once in ten years." in text


def test_the_page_shows_each_scenarios_inherent_and_residual_level_and_annual_loss(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    risk = add_risk(cast, "Card data exposed", 7, impact="high")
    threat = ThreatFactory.create(project=project, likelihood="moderate")
    Scenario.objects.create(risk=risk, threat=threat)
    control = ControlFactory.create(project=project, status=ControlStatus.IMPLEMENTED)
    ThreatControlFactory.create(threat=threat, control=control, effectiveness=90)
    planned = ControlFactory.create(project=project, status=ControlStatus.PLANNED)
    ThreatControlFactory.create(threat=threat, control=planned, effectiveness=50)  # not counted in residual
    response = viewer_client.get(url("threat_detail", project, threat.number))
    # A moderate level stands for 1 to 10 events a year, a high impact for 1 to 10 million per event; their
    # PERT means multiply into the expected annual loss. The implemented control leaves a tenth.
    inherent = pert_mean(1, math.sqrt(10), 10) * pert_mean(1e6, math.sqrt(10) * 1e6, 1e7)
    row = response.context["scenarios"][0]
    assert (row.inherent.level, row.residual.level) == ("moderate", "low")
    assert row.inherent.annual_loss == pytest.approx(inherent)
    assert row.residual.annual_loss == pytest.approx(inherent / 10)
    text = text_of(response)
    assert (
        f"R-7 Card data exposed Moderate €{inherent:,.0f} a year expected Low €{inherent / 10:,.0f}" in text
    )
    assert f'href="{reverse("risk_detail", args=["acme", 7])}"' in html_of(response)
    assert "Not computed yet" in text


def store_result(risk: BusinessRisk, *, current: bool, ale: float = 123_456.0) -> None:
    stage = StageFigures(
        level="high", ale_mean=ale, percentiles={}, p_loss=0.5, lec=[], p_exceeding_tolerance=None
    ).to_json()
    fingerprint = inputs.risk_inputs(risk.organisation, [risk.pk])[0].fingerprint() if current else "old"
    RiskResult.objects.create(
        risk=risk,
        fingerprint=fingerprint,
        computed_at=timezone.now() - datetime.timedelta(minutes=5),
        iterations=inputs.ITERATIONS,
        seed=1,
        figures={"inherent": stage, "residual": stage, "projected": stage},
    )


def test_the_page_shows_the_risks_stored_annual_loss_and_says_when_it_is_out_of_date(
    cast: Cast, viewer_client: Client, project: Project
) -> None:
    current, stale = add_risk(cast, "Card data exposed", 1), add_risk(cast, "PCI fines", 2)
    threat = ThreatFactory.create(project=project, likelihood="high")
    for risk in (current, stale):
        Scenario.objects.create(risk=risk, threat=threat)
    store_result(current, current=True, ale=123_456)
    store_result(stale, current=False, ale=654_321)
    text = text_of(viewer_client.get(url("threat_detail", project, threat.number)))
    assert "€123,456 residual, expected a year · computed 5 minutes ago" in text
    assert (
        "€654,321 Out of date: its inputs changed after it was computed 5 minutes ago; being recomputed"
        in text
    )


def test_an_unscored_threat_says_why_and_an_unlinked_one_says_how_to_link(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project)
    text = text_of(engineer_client.get(url("threat_detail", project, threat.number)))
    assert "Not linked to a business risk yet. Choose the risks it can cause in the form below." in text
    Scenario.objects.create(risk=add_risk(cast, "Card data exposed", 1), threat=threat)
    text = text_of(engineer_client.get(url("threat_detail", project, threat.number)))
    assert "Not scored Not scored" in text
    assert "Not scored until this threat has a likelihood: give it one below" in text


def test_the_page_shows_the_saved_likelihood_in_the_form_with_its_level(
    cast: Cast, engineer_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project, frequency_min=20, frequency_mode=40, frequency_max=90)
    response = engineer_client.get(url("threat_detail", project, threat.number))
    form = response.context["form"]
    assert form["likelihood_by"].value() == "range"
    assert (form["frequency_min"].value(), form["frequency_mode"].value()) == (20.0, 40.0)
    assert "That is about 40 a year (20 to 90): High" in text_of(response)


def test_another_organisation_cannot_see_the_threats_risks(
    cast: Cast, outsider_client: Client, project: Project
) -> None:
    threat = ThreatFactory.create(project=project)
    assert outsider_client.get(url("threat_detail", project, threat.number)).status_code == 404
    assert outsider_client.post(url("threat_preview", project) + "?part=likelihood", {}).status_code == 404


def test_the_threat_page_costs_the_same_queries_with_one_linked_risk_and_many(
    cast: Cast, project: Project
) -> None:
    client = signed_in(cast.security_lead)
    threat = ThreatFactory.create(project=project, likelihood="high")
    for number in range(1, 3):
        risk = add_risk(cast, f"Risk {number}", number)
        Scenario.objects.create(risk=risk, threat=threat)
    store_result(BusinessRisk.objects.get(number=1), current=True)
    control = ControlFactory.create(project=project, status=ControlStatus.IMPLEMENTED)
    ThreatControlFactory.create(threat=threat, control=control)
    page = url("threat_detail", project, threat.number)
    client.get(page)  # the first request of a process caches content types and the like
    few = count_queries(lambda: client.get(page))
    for number in range(3, 12):
        risk = add_risk(cast, f"Risk {number}", number)
        Scenario.objects.create(risk=risk, threat=threat)
        store_result(risk, current=number % 2 == 0)
        ThreatControlFactory.create(threat=threat, control=ControlFactory.create(project=project))
        other = ThreatFactory.create(project=project, likelihood="low")  # more scenarios on the same risks
        Scenario.objects.create(risk=risk, threat=other)
    assert count_queries(lambda: client.get(page)) == few
    assert len(client.get(page).context["scenarios"]) == 11


def test_a_risk_register_elsewhere_never_reaches_the_page(cast: Cast, project: Project) -> None:
    elsewhere = OrganisationFactory.create(name="Elsewhere")
    BusinessRisk.objects.create(organisation=elsewhere, number=1, title="Far away risk", impact="low")
    threat = ThreatFactory.create(project=project)
    html = html_of(signed_in(cast.owner).get(url("threat_detail", project, threat.number)))
    assert "Far away risk" not in html
