"""Property-based tests (hypothesis): what must hold for every input, not only the worked examples.

Simulations here run a few thousand years each; deadline=None because a property is about values, never time.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risks.scoring.distributions import FixedRate, Lognormal90, Pert
from risks.scoring.fair import LossModel, Risk, Scenario, simulate_annual_losses, simulate_portfolio
from risks.scoring.levels import LEVELS, Level
from risks.scoring.matrix import NIST_SP_800_30
from risks.scoring.planner import CandidateControl, StopReason, plan_controls

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)
YEARS = 2_000

effectiveness = st.floats(min_value=0, max_value=1)
rates = st.floats(min_value=0, max_value=20)


@st.composite
def frequencies(draw: st.DrawFn) -> FixedRate | Pert:
    if draw(st.booleans()):
        return FixedRate(draw(rates))
    low, mode, high = sorted(draw(st.lists(rates, min_size=3, max_size=3)))
    return Pert(low, mode, high)


@st.composite
def magnitudes(draw: st.DrawFn) -> Lognormal90 | Pert:
    low, high = sorted(draw(st.lists(st.floats(min_value=1, max_value=1e7), min_size=2, max_size=2)))
    if draw(st.booleans()):
        return Lognormal90(low, high)
    return Pert(low, draw(st.floats(min_value=low, max_value=high)), high)


@st.composite
def risks(draw: st.DrawFn) -> Risk:
    scenarios = draw(
        st.lists(
            st.builds(Scenario, frequencies(), st.lists(effectiveness, max_size=3).map(tuple)),
            min_size=1,
            max_size=4,
        )
    )
    return Risk(draw(magnitudes()), tuple(scenarios))


@PROPERTY_SETTINGS
@given(
    risk=risks(),
    boost=effectiveness,
    extra=st.lists(effectiveness, max_size=2),
    model=st.sampled_from(LossModel),
    seed=st.integers(0, 2**32),
)
def test_more_effective_controls_never_raise_residual_loss(
    risk: Risk, boost: float, extra: list[float], model: LossModel, seed: int
) -> None:
    """Each control made more effective by `boost`, and the `extra` controls added on top."""

    def stronger(scenario: Scenario) -> Scenario:
        raised = tuple(min(1.0, e + boost) for e in scenario.control_effectiveness)
        return Scenario(scenario.frequency, raised + tuple(extra))

    better = Risk(risk.magnitude, tuple(stronger(s) for s in risk.scenarios))
    _, before = simulate_annual_losses([risk], iterations=YEARS, seed=seed, model=model)
    _, after = simulate_annual_losses([better], iterations=YEARS, seed=seed, model=model)
    assert np.all(after <= before * (1 + 1e-12))  # in every simulated year, not only on average
    assert better.expected_annual_loss() <= risk.expected_annual_loss() * (1 + 1e-12)


@PROPERTY_SETTINGS
@given(risk=risks(), model=st.sampled_from(LossModel), seed=st.integers(0, 2**32))
def test_percentiles_are_ordered_and_the_curve_falls(risk: Risk, model: LossModel, seed: int) -> None:
    for losses in (
        simulate_portfolio([risk], iterations=YEARS, seed=seed, model=model).risks[0].__dict__.values()
    ):
        values = list(losses.percentiles.values())
        assert values == sorted(values)
        assert values[0] >= 0
        curve = losses.exceedance_curve
        amounts, probabilities = [a for a, _ in curve], [p for _, p in curve]
        assert amounts == sorted(set(amounts))
        assert probabilities == sorted(probabilities, reverse=True)
        assert 0 <= losses.p_loss <= 1


@PROPERTY_SETTINGS
@given(magnitude=magnitudes(), model=st.sampled_from(LossModel), seed=st.integers(0, 2**32))
def test_a_zero_rate_gives_zero_loss(magnitude: Lognormal90 | Pert, model: LossModel, seed: int) -> None:
    risk = Risk(magnitude, (Scenario(FixedRate(0)), Scenario(Pert(0, 0, 0))))
    inherent, residual = simulate_annual_losses([risk], iterations=500, seed=seed, model=model)
    assert not inherent.any()
    assert not residual.any()


@PROPERTY_SETTINGS
@given(portfolio=st.lists(risks(), min_size=1, max_size=5), seed=st.integers(0, 2**32))
def test_the_portfolio_mean_is_the_sum_of_the_risks_means(portfolio: list[Risk], seed: int) -> None:
    result = simulate_portfolio(portfolio, iterations=YEARS, seed=seed)
    for kind in ("inherent", "residual"):
        total = getattr(result.total, kind).ale_mean
        parts = math.fsum(getattr(r, kind).ale_mean for r in result.risks)
        assert total == pytest.approx(parts, rel=1e-9, abs=1e-6)


candidates = st.builds(
    CandidateControl,
    name=st.text(min_size=1, max_size=5),
    cost=st.floats(min_value=1, max_value=1e6),
    effectiveness=effectiveness,
)


@PROPERTY_SETTINGS
@given(
    ale=st.floats(min_value=0, max_value=1e8),
    controls=st.lists(candidates, max_size=8),
    appetite=st.none() | st.floats(min_value=0, max_value=1e8),
    budget=st.none() | st.floats(min_value=0, max_value=3e6),
)
def test_the_planner_never_selects_a_control_with_no_positive_return(
    ale: float, controls: list[CandidateControl], appetite: float | None, budget: float | None
) -> None:
    plan = plan_controls(ale, controls, appetite=appetite, budget=budget)
    selected = [c for c in plan.controls if c.selected]
    assert all(c.rosi > 0 for c in selected)
    assert plan.controls[: len(selected)] == tuple(selected)  # chosen ones first, in order of choice
    assert budget is None or plan.total_cost <= budget * (1 + 1e-12)
    assert plan.residual_ale <= ale
    if plan.stop_reason == StopReason.WITHIN_APPETITE:
        assert plan.residual_ale <= (appetite if appetite is not None else -1)
    if plan.stop_reason == StopReason.NO_POSITIVE_RETURN:
        assert all(c.rosi <= 0 for c in plan.controls if not c.selected)
    returns = [c.delta_ale / c.cost for c in selected]
    assert returns == sorted(returns, reverse=True)  # each step is worth less than the one before


@given(likelihood=st.sampled_from(LEVELS), impact=st.sampled_from(LEVELS))
def test_the_nist_matrix_never_falls_as_likelihood_or_impact_rises(likelihood: Level, impact: Level) -> None:
    level = NIST_SP_800_30.level(likelihood, impact)
    for higher in LEVELS[likelihood.rank :]:
        assert NIST_SP_800_30.level(higher, impact).rank >= level.rank
    for higher in LEVELS[impact.rank :]:
        assert NIST_SP_800_30.level(likelihood, higher).rank >= level.rank
