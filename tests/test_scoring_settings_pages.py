"""The scoring settings page: every member reads the organisation's scales, matrix, currency and appetite;
security leads and owners change them (each mistake said on its field), or reset the scales and the matrix to
the NIST defaults. And the header's Risks tab and Scoring link."""

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import User
from risks import inputs
from risks.models import BusinessRisk, ScoringSettings
from risks.settings_forms import ScoringSettingsForm
from tests.conftest import Cast, signed_in
from tests.factories import ProjectFactory, ThreatFactory
from tests.queries import count_queries

URL = reverse("scoring_settings", args=["acme"])


def html_of(response: Any) -> str:
    return str(response.content.decode())


def text_of(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html_of(response)).split())


def body_of(settings: ScoringSettings, **changes: object) -> dict[str, object]:
    """The form as the page shows it for these settings, with some fields changed."""
    initial = ScoringSettingsForm.initial_of(settings)
    return {key: "" if value is None else value for key, value in initial.items()} | changes


def defaults(cast: Cast) -> ScoringSettings:
    return inputs.settings_of(cast.organisation)


def stored(cast: Cast) -> ScoringSettings:
    return ScoringSettings.objects.get(organisation=cast.organisation)


# Reading -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "engineer"])
def test_every_member_reads_the_settings_without_a_form(cast: Cast, role: str) -> None:
    response = signed_in(getattr(cast, role)).get(URL)
    assert response.status_code == 200
    text = text_of(response)
    assert "These are the defaults (NIST SP 800-30 and ten-fold scales) until a security lead saves" in text
    assert "Very low Very low Less than once in ten years. 0 0.1" in text
    assert (
        "Very high Very high Threatens the organisation: regulators, press, survival. €10,000,000 no upper end"
        in (text)
    )
    assert "Highest acceptable residual level Moderate" in text
    assert "Security leads and owners change these settings." in text
    assert "<select" not in html_of(response)
    assert "Save scoring settings" not in text


def test_the_matrix_reads_like_nists_table_with_very_high_likelihood_on_top(cast: Cast) -> None:
    text = text_of(signed_in(cast.viewer).get(URL))
    assert (
        "Very high Very low Low Moderate High Very high High Very low Low Moderate High Very high "
        "Moderate Very low Low Moderate Moderate High Low Very low Low Low Low Moderate "
        "Very low Very low Very low Very low Low Low"
    ) in text


def test_a_security_lead_gets_the_form_and_the_reset(cast: Cast) -> None:
    response = signed_in(cast.security_lead).get(URL)
    html = html_of(response)
    assert 'name="likelihood_2_description"' in html
    assert 'aria-label="Risk at very high likelihood and very low impact"' in html
    assert "Reset scales and matrix to the NIST defaults" in html
    assert response.context["form"]["version"].value() == 1


def test_others_cannot_read_it(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.get(URL).status_code == 404
    assert Client().get(URL).status_code == 302


# Saving -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["security_lead", "owner"])
def test_security_leads_and_owners_save_the_settings(cast: Cast, role: str) -> None:
    client = signed_in(getattr(cast, role))
    body = body_of(
        defaults(cast),
        currency="GBP",
        appetite_level="low",
        tolerance_probability="5",
        tolerance_amount="2000000",
        likelihood_2_name="Several times a year",
        likelihood_2_description="Most teams see it every quarter.",
        likelihood_1_high="2",
        likelihood_2_low="2",
        matrix_4_0="low",
    )
    response = client.post(URL, body)
    assert response.status_code == 302
    assert response["Location"] == URL
    saved = stored(cast)
    assert (saved.currency, saved.appetite_level, saved.version) == ("GBP", "low", 2)  # the defaults are 1
    assert (saved.tolerance_probability, saved.tolerance_amount) == (Decimal("5"), Decimal("2000000"))
    assert saved.likelihood_scale[1] == {
        "name": "Low",
        "description": "Once in one to ten years.",
        "low": 0.1,
        "high": 2,
    }
    assert saved.likelihood_scale[2]["name"] == "Several times a year"
    assert saved.likelihood_scale[4]["high"] is None
    assert saved.impact_scale == inputs.DEFAULT_IMPACT_SCALE
    assert saved.matrix[4] == ["low", "low", "moderate", "high", "very_high"]
    assert "Scoring settings saved." in text_of(client.get(URL))
    again = client.post(URL, body_of(saved, currency="EUR"))
    assert again.status_code == 302
    assert (stored(cast).currency, stored(cast).version) == ("EUR", 3)


def test_saved_scales_change_the_level_a_threats_range_stands_for(cast: Cast) -> None:
    threat = ThreatFactory.create(project=ProjectFactory.create(team=cast.team), frequency_mode=3)
    page = reverse("threat_detail", args=["acme", threat.project_id, threat.number])
    assert "Likelihood Moderate about 3 a year" not in text_of(signed_in(cast.viewer).get(page))  # exact rate
    assert "Likelihood Moderate 3 a year" in text_of(signed_in(cast.viewer).get(page))
    body = body_of(defaults(cast), likelihood_1_high="5", likelihood_2_low="5", likelihood_1_name="Rare-ish")
    assert signed_in(cast.security_lead).post(URL, body).status_code == 302
    assert "Likelihood Rare-ish 3 a year" in text_of(signed_in(cast.viewer).get(page))


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_engineers_and_viewers_cannot_change_them(cast: Cast, role: str) -> None:
    client = signed_in(getattr(cast, role))
    assert client.post(URL, body_of(defaults(cast), currency="USD")).status_code == 403
    assert client.post(URL, {"reset": "1", "version": "1"}).status_code == 403
    assert not ScoringSettings.objects.exists()


def test_the_outsider_cannot_change_them(cast: Cast, outsider_client: Client) -> None:
    assert outsider_client.post(URL, body_of(defaults(cast), currency="USD")).status_code == 404
    assert not ScoringSettings.objects.exists()


def test_the_page_answers_get_and_post_only(cast: Cast) -> None:
    assert signed_in(cast.owner).put(URL).status_code == 405


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"likelihood_2_low": "2"}, "likelihood_2_low", "Start where low ends (1): ranges join up."),
        ({"impact_4_high": "5000000"}, "impact_4_high", "End above where very high starts (10,000,000)."),
        ({"impact_0_low": "-1"}, "impact_0_low", "greater than or equal to 0"),
        ({"likelihood_3_high": ""}, "likelihood_3_high", "This field is required."),
        ({"likelihood_0_name": "   "}, "likelihood_0_name", "This field is required."),
        ({"matrix_2_2": "extreme"}, "matrix_2_2", "Select a valid choice."),
        ({"matrix_4_4": "low"}, "matrix_4_4", "Lower than a less likely or less harmful cell"),
        ({"currency": "XBT"}, "currency", "Select a valid choice."),
        ({"tolerance_probability": "100", "tolerance_amount": "5"}, "tolerance_probability", "below 100"),
        ({"tolerance_probability": "5"}, "tolerance_amount", "Give both the chance and the amount"),
        ({"tolerance_probability": "5", "tolerance_amount": "0"}, "tolerance_amount", "An amount above 0."),
        ({"likelihood_4_high": "nan"}, "likelihood_4_high", "Enter a number."),
    ],
)
def test_a_mistake_is_said_on_its_field_and_nothing_is_saved(
    cast: Cast, changes: dict[str, str], field: str, message: str
) -> None:
    response = signed_in(cast.security_lead).post(URL, body_of(defaults(cast), **changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert 'aria-invalid="true"' in html_of(response)
    assert not ScoringSettings.objects.exists()


def test_a_stale_save_keeps_the_users_values_and_overwrites_nothing(cast: Cast) -> None:
    lead, owner = signed_in(cast.security_lead), signed_in(cast.owner)
    assert owner.post(URL, body_of(defaults(cast))).status_code == 302
    mine = body_of(stored(cast), currency="USD")
    assert owner.post(URL, body_of(stored(cast), appetite_level="high")).status_code == 302
    response = lead.post(URL, mine)
    assert response.status_code == 409
    assert "Someone else saved the scoring settings since you opened this page." in text_of(response)
    form = response.context["form"]
    assert (form["currency"].value(), form["version"].value()) == ("USD", "3")
    assert (stored(cast).currency, stored(cast).appetite_level) == ("EUR", "high")
    assert lead.post(URL, form.data).status_code == 302
    assert (stored(cast).currency, stored(cast).version) == ("USD", 4)


def test_the_reset_puts_back_the_default_scales_and_matrix_and_keeps_the_appetite(cast: Cast) -> None:
    client = signed_in(cast.owner)
    body = body_of(
        defaults(cast), currency="CHF", appetite_level="low", likelihood_0_name="Never", matrix_4_0="low"
    )
    assert client.post(URL, body).status_code == 302
    response = client.post(URL, {"reset": "1", "version": "2"})
    assert response.status_code == 302
    saved = stored(cast)
    assert (saved.likelihood_scale, saved.matrix) == (inputs.DEFAULT_LIKELIHOOD_SCALE, inputs.DEFAULT_MATRIX)
    assert (saved.currency, saved.appetite_level, saved.version) == ("CHF", "low", 3)
    assert "Scales and matrix reset to the defaults (NIST SP 800-30)." in text_of(client.get(URL))
    stale = client.post(URL, {"reset": "1", "version": "2"})
    assert stale.status_code == 302
    assert stored(cast).version == 3
    assert "Someone else saved the scoring settings" in text_of(client.get(URL))


# Query budget and the header ---------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["security_lead", "viewer"])
def test_the_page_costs_the_same_queries_however_large_the_register(cast: Cast, user: str) -> None:
    client = signed_in(getattr(cast, user))
    client.get(URL)
    BusinessRisk.objects.create(organisation=cast.organisation, number=1, title="One", impact="low")
    few = count_queries(lambda: client.get(URL))
    for number in range(2, 30):
        BusinessRisk.objects.create(
            organisation=cast.organisation, number=number, title=f"Risk {number}", impact="low"
        )
    assert count_queries(lambda: client.get(URL)) == few


def tabs_of(user: User) -> list[str]:
    html = html_of(signed_in(user).get(reverse("organisation_dashboard", args=["acme"])))
    return re.findall(r'class="tabs__link" href="[^"]*"[^>]*>([^<]+)<', html)


def test_the_header_has_a_risks_tab_for_everyone_and_scoring_for_those_who_change_it(cast: Cast) -> None:
    everyone = [
        "My work",
        "Dashboard",
        "Projects",
        "Threats",
        "Controls",
        "Risks",
        "Activity",
        "Reports",
        "Teams",
        "Members",
    ]
    assert tabs_of(cast.viewer) == everyone
    assert tabs_of(cast.engineer) == everyone
    deciders = [*everyone[:5], "Reviews", *everyone[5:]]  # those who decide reviews have the review queue
    assert tabs_of(cast.security_lead) == [*deciders, "Scoring"]
    assert tabs_of(cast.owner) == [*deciders, "Scoring", "Settings"]


def test_the_tabs_mark_where_you_are(cast: Cast) -> None:
    html = html_of(signed_in(cast.owner).get(URL))
    assert f'href="{URL}" aria-current="page">Scoring<' in html
    assert f'href="{reverse("risk_list", args=["acme"])}">Risks<' in html
    html = html_of(signed_in(cast.owner).get(reverse("risk_list", args=["acme"])))
    assert 'aria-current="page">Risks<' in html
