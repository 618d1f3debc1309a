"""The calculator's one reading of a scenario, shared by `manage.py risk_calc` and the API."""

import math
from typing import Any

import pytest

from risks.scoring.calculator import calculate
from risks.scoring.scenario import MAX_SIMULATED_EVENTS, ScenarioError
from tests.scoring.test_owasp import TECHNICAL_ONLY, WORKED_EXAMPLE

FAIR = {
    "method": "fair",
    "frequency": {"min": 0.5, "mode": 2, "max": 6},
    "magnitude": {"low": 10_000, "high": 1_000_000},
    "controls": [{"effectiveness": 0.5, "name": "MFA"}],
    "iterations": 20_000,
    "seed": 42,
}
PLAN = {
    "method": "plan",
    "ale": 1_000_000,
    "appetite": 100_000,
    "controls": [
        {"name": "MFA", "cost": 50_000, "effectiveness": 0.6},
        {"name": "Gold plating", "cost": 1_000_000, "effectiveness": 0.99},
    ],
}


def problems(scenario: object) -> dict[str, str]:
    with pytest.raises(ScenarioError) as raised:
        calculate(scenario)
    return {problem.field: problem.message for problem in raised.value.problems}


def test_matrix() -> None:
    result = calculate({"method": "matrix", "likelihood": "very_high", "impact": "very_low"})
    assert result == {
        "method": "matrix",
        "likelihood": "very_high",
        "impact": "very_low",
        "level": "very_low",
    }


def test_matrix_with_the_organisations_own_table() -> None:
    table = {level: ["high"] * 5 for level in ("very_low", "low", "moderate", "high", "very_high")}
    result = calculate({"method": "matrix", "likelihood": "low", "impact": "low", "matrix": table})
    assert result["level"] == "high"


def test_owasp() -> None:
    assert calculate({"method": "owasp", "factors": WORKED_EXAMPLE}) == {
        "method": "owasp",
        "likelihood": 4.375,
        "likelihood_level": "medium",
        "technical_impact": 7.25,
        "technical_impact_level": "high",
        "business_impact": 2.25,
        "business_impact_level": "low",
        "severity": "low",
        "technical_severity": "high",
    }
    technical = calculate({"method": "owasp", "factors": TECHNICAL_ONLY})
    assert (technical["business_impact"], technical["severity"]) == (None, "high")


def test_cvss() -> None:
    result = calculate({"method": "cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"})
    assert result == {
        "method": "cvss",
        "version": "3.1",
        "base_score": 7.5,
        "severity": "high",
        "suggested_likelihood": "high",
    }


def test_fair() -> None:
    result = calculate(FAIR)
    assert set(result) == {
        "method",
        "model",
        "iterations",
        "seed",
        "ale_mean",
        "percentiles",
        "p_loss",
        "lec",
        "inherent",
    }
    assert (result["model"], result["iterations"], result["seed"]) == ("poisson", 20_000, 42)
    magnitude_mean = math.exp(
        (math.log(10_000) + math.log(1_000_000)) / 2 + ((math.log(100)) / (2 * 1.6448536269514722)) ** 2 / 2
    )
    rate = (0.5 + 8 + 6) / 6
    assert result["ale_mean"] == pytest.approx(rate * 0.5 * magnitude_mean, rel=0.03)
    assert result["inherent"]["ale_mean"] == pytest.approx(rate * magnitude_mean, rel=0.03)
    assert list(result["percentiles"]) == ["p10", "p50", "p90", "p95", "p99"]
    assert result["lec"][0] == [0.0, result["p_loss"]]
    assert calculate(FAIR) == result  # same seed, same numbers


def test_fair_gives_the_probability_of_exceeding_an_amount() -> None:
    result = calculate(FAIR | {"exceeding": 1_000_000})
    assert 0 < result["p_exceeding"] < result["inherent"]["p_exceeding"] < result["inherent"]["p_loss"]
    assert "p_exceeding" not in calculate(FAIR)
    assert problems(FAIR | {"exceeding": -5}) == {"exceeding": "Must be at least 0."}


def test_fair_picks_a_seed_and_reports_it() -> None:
    scenario = {key: value for key, value in FAIR.items() if key != "seed"}
    result = calculate(scenario)
    assert calculate(scenario | {"seed": result["seed"]}) == result


def test_fair_with_the_expected_model_and_a_fixed_rate() -> None:
    scenario = FAIR | {
        "frequency": {"rate": 1},
        "magnitude": {"min": 1, "mode": 2, "max": 3},
        "model": "expected",
    }
    result = calculate(scenario)
    assert result["model"] == "expected"
    assert result["p_loss"] == 1.0
    assert result["inherent"]["ale_mean"] == pytest.approx(2, rel=0.01)


def test_plan() -> None:
    result = calculate(PLAN)
    assert [(c["name"], c["selected"]) for c in result["controls"]] == [
        ("MFA", True),
        ("Gold plating", False),
    ]
    assert result["controls"][0]["delta_ale"] == 600_000
    assert result["controls"][0]["rosi"] == 11
    assert result["stop_reason"] == "no_positive_return"
    assert result["gordon_loeb_cap"] == pytest.approx(1_000_000 / math.e)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ([], {"": "A scenario is a JSON object with a method and its fields."}),
        ({}, {"method": "Required: one of matrix, owasp, cvss, fair, plan."}),
        ({"method": "dread"}, {"method": "Use one of matrix, owasp, cvss, fair, plan."}),
        (
            {"method": "matrix", "likelihood": "huge", "impact": "low", "colour": "red"},
            {"colour": "Unknown field; this takes impact, likelihood, matrix, method."},
        ),
        (
            {"method": "matrix", "likelihood": "huge", "impact": "low"},
            {"likelihood": "Use one of very_low, low, moderate, high, very_high."},
        ),
        (
            {"method": "owasp", "factors": WORKED_EXAMPLE | {"skill_level": 10, "motive": "2"}},
            {"factors.skill_level": "Must be at most 9.", "factors.motive": "Must be a number."},
        ),
        (
            {"method": "owasp", "factors": TECHNICAL_ONLY | {"financial_damage": 1}},
            {
                "factors.reputation_damage": "Give all four business impact factors, or none.",
                "factors.non_compliance": "Give all four business impact factors, or none.",
                "factors.privacy_violation": "Give all four business impact factors, or none.",
            },
        ),
        (
            {"method": "cvss", "vector": 7},
            {"vector": "Must be a CVSS:3.1/... or CVSS:4.0/... vector string."},
        ),
        (
            FAIR
            | {
                "frequency": {"rate": -1},
                "magnitude": {"low": 5, "high": 2},
                "controls": [{"effectiveness": 1.5}],
            },
            {
                "frequency.rate": "Must be at least 0.",
                "magnitude.low": "Must not be above high.",
                "controls[0].effectiveness": "Must be at most 1.",
            },
        ),
        (
            FAIR | {"frequency": {"min": 3, "mode": 1, "max": 5}, "iterations": 0, "model": "magic"},
            {
                "frequency.mode": "Must be from min to max.",
                "iterations": "Must be from 1 to 1,000,000.",
                "model": "Use one of poisson, expected.",
            },
        ),
        (
            FAIR | {"magnitude": {"low": 0, "high": 10}, "seed": -1},
            {"magnitude.low": "Must be more than 0.", "seed": "Must be from 0 to 9,223,372,036,854,775,807."},
        ),
        (
            FAIR | {"frequency": {"rate": True}},
            {"frequency.rate": "Must be a number."},
        ),
        (
            FAIR | {"frequency": {"often": 3}},
            {"frequency": 'Give {"rate": events a year} or {"min", "mode", "max"} events a year.'},
        ),
        (
            PLAN | {"controls": [{"name": "", "cost": 0, "effectiveness": -1}], "budget": "lots"},
            {
                "budget": "Must be a number.",
                "controls[0].name": "Must be text of 1 to 200 characters.",
                "controls[0].cost": "Must be more than 0.",
                "controls[0].effectiveness": "Must be at least 0.",
            },
        ),
        (PLAN | {"controls": "MFA"}, {"controls": "Must be a list."}),
        ({"method": ["matrix"]}, {"method": "Use one of matrix, owasp, cvss, fair, plan."}),
        (
            {"method": "matrix", "likelihood": {"level": "low"}, "impact": ["low"]},
            {
                "likelihood": "Use one of very_low, low, moderate, high, very_high.",
                "impact": "Use one of very_low, low, moderate, high, very_high.",
            },
        ),
        (
            FAIR | {"frequency": {"rate": 2e6}, "magnitude": {"min": 1, "mode": 2, "max": 1e16}},
            {
                "frequency.rate": "Must be at most 1,000,000.",
                "magnitude.max": "Must be at most 1,000,000,000,000,000.",
            },
        ),
        (PLAN | {"ale": 1e300}, {"ale": "Must be at most 1,000,000,000,000,000."}),
        (
            {"method": "cvss", "vector": "CVSS:3.1/" + "AV:N/" * 60},
            {"vector": "Must be a CVSS:3.1/... or CVSS:4.0/... vector string."},
        ),
    ],
)
def test_an_invalid_scenario_names_each_field_at_fault(scenario: Any, expected: dict[str, str]) -> None:
    assert problems(scenario) == expected


def test_a_simulation_too_big_to_run_is_refused_before_it_starts() -> None:
    found = problems(FAIR | {"frequency": {"rate": 1_000}, "iterations": 1_000_000})
    assert list(found) == ["iterations"]
    assert f"{MAX_SIMULATED_EVENTS:,}" in found["iterations"]
    # The expected model draws no events, so the same scenario runs there.
    assert (
        calculate(FAIR | {"frequency": {"rate": 1_000}, "iterations": 1_000, "model": "expected"})["p_loss"]
        == 1
    )


def test_not_a_number_and_infinity_are_not_numbers() -> None:
    assert problems(FAIR | {"frequency": {"rate": float("nan")}}) == {"frequency.rate": "Must be a number."}
    assert problems(PLAN | {"ale": float("inf")}) == {"ale": "Must be a number."}
