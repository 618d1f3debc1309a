"""Whatever JSON arrives, the calculator answers a JSON result or a ScenarioError: never anything else."""

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risks.scoring.calculator import calculate
from risks.scoring.scenario import Problem, ScenarioError
from tests.scoring.test_calculator import FAIR, PLAN
from tests.scoring.test_owasp import WORKED_EXAMPLE

VALID: list[dict[str, Any]] = [
    {"method": "matrix", "likelihood": "low", "impact": "high"},
    {"method": "owasp", "factors": WORKED_EXAMPLE},
    {"method": "cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
    FAIR | {"iterations": 200},
    PLAN,
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["low", "very_high", "poisson", "expected", "CVSS:4.0/AV:N", "rate", "min"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid scenario with one value, at any depth, replaced by any JSON value."""
    scenario = copy.deepcopy(draw(st.sampled_from(VALID)))
    path = draw(st.sampled_from(paths(scenario)[1:]))
    node = scenario
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = draw(json_values)
    return scenario


def answers_cleanly(scenario: Any) -> None:
    problems: tuple[Problem, ...] = ()
    try:
        result = calculate(scenario)
    except ScenarioError as error:
        result, problems = None, error.problems
    if result is None:
        assert problems
        assert all(problem.message for problem in problems)
    else:
        json.dumps(result, allow_nan=False)  # a strict JSON answer: no NaN, no infinity


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=mutated())
def test_a_scenario_with_any_value_changed_answers_cleanly(scenario: Any) -> None:
    answers_cleanly(scenario)


@settings(max_examples=200, deadline=None)
@given(
    scenario=json_values
    | st.fixed_dictionaries(
        {"method": st.sampled_from([v["method"] for v in VALID])}, optional={"x": json_values}
    )
)
def test_any_json_at_all_answers_cleanly(scenario: Any) -> None:
    answers_cleanly(scenario)
