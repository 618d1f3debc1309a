"""The register's narrowing that the dashboard links to: above appetite as the risk pages say it, a team's or a
project's risks, a heat-map cell, acceptances in force, running out or ran out; each said in words on the page
and carried along when the other filters change."""

import datetime

from django.test import Client
from django.urls import reverse

from risks.appetite import Standing
from risks.models import BusinessRisk, RiskResult
from tests.conftest import Cast
from tests.test_dashboard import build_estate, independent_positions, settings_with_tolerance


def _list(client: Client, cast: Cast, query: str) -> list[int]:
    response = client.get(reverse("risk_list", args=[cast.organisation.slug]) + query)
    assert response.status_code == 200
    return sorted(row.risk.number for row in response.context["rows"])


def test_above_appetite_lists_the_risks_the_risk_pages_call_above(
    cast: Cast, viewer_client: Client, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    build_estate(cast, 6, today)

    positions = independent_positions(cast, today)
    expected = sorted(
        BusinessRisk.objects.get(pk=pk).number
        for pk, (standing, _) in positions.items()
        if standing == Standing.ABOVE
    )
    assert _list(viewer_client, cast, "?appetite=above") == expected
    assert expected


def test_acceptance_filters_list_risks_by_their_approved_acceptances(
    cast: Cast, viewer_client: Client, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    risks = build_estate(cast, 2, today)  # R0 runs out in 10 days, R1 in 200, R2 ran out 3 days ago

    assert _list(viewer_client, cast, "?acceptance=in_force") == sorted([risks[0].number, risks[1].number])
    assert _list(viewer_client, cast, "?acceptance=expiring") == [risks[0].number]
    assert _list(viewer_client, cast, "?acceptance=expired") == [risks[2].number]


def test_a_cell_lists_the_risks_stored_in_it_and_says_so(
    cast: Cast, viewer_client: Client, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    build_estate(cast, 4, today)
    result = RiskResult.objects.filter(risk__organisation=cast.organisation).first()
    assert result is not None
    likelihood, impact = result.figures["residual"]["likelihood"], result.figures["residual"]["impact"]
    query = f"?stage=residual&likelihood={likelihood}&impact={impact}"

    expected = sorted(
        r.risk.number
        for r in RiskResult.objects.filter(risk__organisation=cast.organisation).select_related("risk")
        if (r.figures["residual"]["likelihood"], r.figures["residual"]["impact"]) == (likelihood, impact)
    )
    assert _list(viewer_client, cast, query) == expected
    page = viewer_client.get(reverse("risk_list", args=[cast.organisation.slug]) + query).content.decode()
    assert f"in the residual heat-map cell of {likelihood.replace('_', ' ')} likelihood" in page
    assert f'<input type="hidden" name="likelihood" value="{likelihood}">' in page


def test_a_team_lists_the_risks_its_threats_lead_to_and_names_the_team(
    cast: Cast, viewer_client: Client, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    build_estate(cast, 3, today)

    expected = sorted(
        BusinessRisk.objects.filter(scenarios__threat__project__team=cast.other_team)
        .distinct()
        .values_list("number", flat=True)
    )
    assert _list(viewer_client, cast, "?team=platform") == expected
    page = viewer_client.get(reverse("risk_list", args=[cast.organisation.slug]) + "?team=platform")
    assert "caused by threats of team Platform" in page.content.decode()


def test_another_organisations_team_or_project_lists_nothing(
    cast: Cast, viewer_client: Client, today: datetime.date
) -> None:
    settings_with_tolerance(cast)
    build_estate(cast, 2, today)

    assert _list(viewer_client, cast, "?team=nobody-here") == []
    assert _list(viewer_client, cast, "?project=999999999") == []
