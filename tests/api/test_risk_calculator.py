"""POST /api/v1/risk-calculator/: the risk calculator for any signed-in member, with field-level errors."""

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.serializers import Serializer
from rest_framework.test import APIClient

from projects.models import Membership, User
from risks.api import RESULT_SERIALIZERS, SCENARIO_SERIALIZERS
from risks.scoring.calculator import calculate
from tests.api.conftest import session_client, token_client
from tests.api.errors import error_of, field_errors
from tests.conftest import Cast
from tests.factories import UserFactory
from tests.queries import count_queries
from tests.scoring.test_owasp import WORKED_EXAMPLE

URL = "/api/v1/risk-calculator/"
MATRIX = {"method": "matrix", "likelihood": "very_high", "impact": "very_low"}
SCENARIOS: dict[str, dict[str, Any]] = {
    "matrix": MATRIX,
    "owasp": {"method": "owasp", "factors": WORKED_EXAMPLE},
    "cvss": {"method": "cvss", "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
    "fair": {
        "method": "fair",
        "frequency": {"min": 0.1, "mode": 0.5, "max": 3},
        "magnitude": {"low": 5_000, "high": 250_000},
        "controls": [{"effectiveness": 0.4}],
        "iterations": 2_000,
        "seed": 3,
        "exceeding": 100_000,
    },
    "plan": {
        "method": "plan",
        "ale": 500_000,
        "budget": 60_000,
        "controls": [{"name": "MFA", "cost": 40_000, "effectiveness": 0.5}],
    },
}


def test_the_route_is_named() -> None:
    assert reverse("api_risk_calculator") == URL


@pytest.mark.parametrize("method", list(SCENARIOS))
def test_it_answers_every_method_as_the_calculator_does(method: str, viewer_api: APIClient) -> None:
    response = viewer_api.post(URL, SCENARIOS[method], format="json")
    assert response.status_code == 200, response.content
    assert response.json() == calculate(SCENARIOS[method])


def test_it_rates_the_owasp_worked_example(engineer_api: APIClient) -> None:
    body = engineer_api.post(URL, SCENARIOS["owasp"], format="json").json()
    assert (body["likelihood"], body["technical_impact"], body["business_impact"]) == (4.375, 7.25, 2.25)
    assert (body["severity"], body["technical_severity"]) == ("low", "high")


def test_a_script_calls_it_with_a_personal_access_token(cast: Cast, token_for: Any) -> None:
    response = token_client(token_for(cast.engineer)).post(URL, MATRIX, format="json")
    assert response.status_code == 200
    assert response.json()["level"] == "very_low"


def test_every_role_and_an_outsider_organisation_may_call_it(cast: Cast) -> None:
    for user in (cast.owner, cast.security_lead, cast.engineer, cast.viewer, cast.outsider):
        assert session_client(user).post(URL, MATRIX, format="json").status_code == 200


def test_it_requires_signing_in(anonymous_api: APIClient) -> None:
    response = anonymous_api.post(URL, MATRIX, format="json")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_user_who_belongs_to_no_organisation_is_refused(db: None) -> None:
    loner: User = UserFactory.create(email="loner@nowhere.test")
    response = session_client(loner).post(URL, MATRIX, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_a_removed_member_is_refused(cast: Cast) -> None:
    Membership.objects.filter(user=cast.viewer).delete()
    assert session_client(cast.viewer).post(URL, MATRIX, format="json").status_code == 403


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_it_only_takes_post(method: str, viewer_api: APIClient) -> None:
    assert getattr(viewer_api, method)(URL).status_code == 405


def test_an_invalid_scenario_answers_400_naming_each_field(viewer_api: APIClient) -> None:
    scenario = SCENARIOS["fair"] | {
        "frequency": {"rate": -1},
        "magnitude": {"low": 9, "high": 1},
        "controls": [{"effectiveness": 0.5}, {"effectiveness": 1.5}],
    }
    response = viewer_api.post(URL, scenario, format="json")
    assert field_errors(response) == {
        "frequency": {"rate": ["Must be at least 0."]},
        "magnitude": {"low": ["Must not be above high."]},
        "controls": {"1": {"effectiveness": ["Must be at most 1."]}},
    }
    assert error_of(response)["message"] == (
        "frequency.rate: Must be at least 0.; magnitude.low: Must not be above high.; "
        "controls[1].effectiveness: Must be at most 1."
    )


@pytest.mark.parametrize(
    ("scenario", "fields", "message"),
    [
        (
            {"method": "dread"},
            {"method": ["Use one of matrix, owasp, cvss, fair, plan."]},
            "method: Use one of",
        ),
        (
            {"method": "owasp", "factors": WORKED_EXAMPLE | {"awareness": 9.5}},
            {"factors": {"awareness": ["Must be at most 9."]}},
            "factors.awareness: Must be at most 9.",
        ),
        (
            {"method": "cvss", "vector": "CVSS:3.1/AV:X"},
            {"vector": ['Not a valid CVSS vector: Unknown value "X" in field "AV:X"']},
            "vector: Not a valid CVSS vector",
        ),
        (
            MATRIX | {"likelihood": "certain", "weight": 2},
            {"weight": ["Unknown field; this takes impact, likelihood, matrix, method."]},
            "weight: Unknown field",
        ),
        ([MATRIX], {}, "A scenario is a JSON object with a method and its fields."),
    ],
)
def test_bad_scenarios_are_refused_cleanly(
    scenario: object, fields: dict[str, Any], message: str, viewer_api: APIClient
) -> None:
    response = viewer_api.post(URL, scenario, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"] == fields
    assert message in error["message"]


def test_a_body_that_is_not_json_is_refused(viewer_api: APIClient) -> None:
    response = viewer_api.post(URL, "likelihood=high", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_it_costs_the_same_few_queries_for_any_scenario(viewer_api: APIClient) -> None:
    def calling(scenario: dict[str, Any]) -> Callable[[], object]:
        return lambda: viewer_api.post(URL, scenario, format="json")

    counts = {method: count_queries(calling(scenario)) for method, scenario in SCENARIOS.items()}
    assert set(counts.values()) == {2}, counts  # the user, their memberships (the session is in the cache)


def test_the_plan_ranks_controls_with_their_return(viewer_api: APIClient) -> None:
    body = viewer_api.post(URL, SCENARIOS["plan"], format="json").json()
    assert body["controls"] == [
        {
            "name": "MFA",
            "cost": 40_000.0,
            "effectiveness": 0.5,
            "delta_ale": 250_000.0,
            "rosi": 5.25,
            "selected": True,
        }
    ]
    assert (body["stop_reason"], body["gordon_loeb_cap"]) == ("exhausted", pytest.approx(500_000 / math.e))


# The schema.

type Schema = dict[str, Any]


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    """As `manage.py spectacular --fail-on-warn --validate` writes it: a warning fails it."""
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    loaded: Schema = yaml.safe_load(Path(target).read_text())
    return loaded


def test_the_schema_documents_the_calculator(schema: Schema) -> None:
    operation = schema["paths"][URL]["post"]
    assert list(schema["paths"][URL]) == ["post"]
    assert operation["operationId"] == "risk_calculate"
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    components = schema["components"]["schemas"]
    assert components[request]["discriminator"]["propertyName"] == "method"
    assert set(components[request]["discriminator"]["mapping"]) == set(SCENARIOS)
    result = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(components[result]["discriminator"]["mapping"]) == set(SCENARIOS)


def fields_of(serializer: Serializer | type[Serializer]) -> list[str]:
    return list((serializer() if isinstance(serializer, type) else serializer).fields)


@pytest.mark.parametrize("method", list(SCENARIOS))
def test_the_documented_fields_are_the_ones_sent_and_answered(method: str) -> None:
    documented_input = set(fields_of(SCENARIO_SERIALIZERS[method]))
    documented_output = set(fields_of(RESULT_SERIALIZERS[method]))
    assert set(SCENARIOS[method]) <= documented_input
    assert set(calculate(SCENARIOS[method])) == documented_output
