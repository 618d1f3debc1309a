import math

import pytest

from risks.scoring.planner import CandidateControl, StopReason, gordon_loeb_cap, plan_controls

MFA = CandidateControl("MFA", cost=50_000, effectiveness=0.6)
WAF = CandidateControl("WAF", cost=100_000, effectiveness=0.3)
GOLD = CandidateControl("Gold plating", cost=1_000_000, effectiveness=0.99)


def test_it_ranks_by_reduction_per_unit_of_cost_each_after_the_ones_before() -> None:
    plan = plan_controls(1_000_000, [GOLD, WAF, MFA])
    assert [(c.name, c.selected) for c in plan.controls] == [
        ("MFA", True),
        ("WAF", True),
        ("Gold plating", False),
    ]
    mfa, waf, gold = plan.controls
    assert mfa.delta_ale == pytest.approx(600_000)  # 60 % of 1,000,000
    assert mfa.rosi == pytest.approx((600_000 - 50_000) / 50_000)
    assert waf.delta_ale == pytest.approx(120_000)  # 30 % of the 400,000 left
    assert waf.rosi == pytest.approx(0.2)
    assert gold.delta_ale == pytest.approx(0.99 * 280_000)  # valued after the chosen ones
    assert gold.rosi < 0
    assert plan.stop_reason == StopReason.NO_POSITIVE_RETURN
    assert plan.residual_ale == pytest.approx(280_000)
    assert plan.total_cost == 150_000


def test_it_stops_when_the_residual_is_within_appetite() -> None:
    plan = plan_controls(1_000_000, [MFA, WAF], appetite=500_000)
    assert [c.selected for c in plan.controls] == [True, False]
    assert plan.stop_reason == StopReason.WITHIN_APPETITE


def test_nothing_is_chosen_for_a_risk_already_within_appetite() -> None:
    plan = plan_controls(100_000, [MFA], appetite=100_000)
    assert plan.stop_reason == StopReason.WITHIN_APPETITE
    assert not any(c.selected for c in plan.controls)


def test_an_unbounded_appetite_chooses_nothing() -> None:
    # risks.planning.tolerated_expected_loss answers infinity for a risk whose chance of any loss is already
    # within the tolerated chance: whatever it loses, it meets the tolerance.
    plan = plan_controls(1_000_000, [MFA, WAF], appetite=math.inf)
    assert plan.stop_reason == StopReason.WITHIN_APPETITE
    assert not any(c.selected for c in plan.controls)


def test_it_stops_when_the_budget_runs_out() -> None:
    plan = plan_controls(1_000_000, [MFA, WAF], budget=120_000)
    assert [(c.name, c.selected) for c in plan.controls] == [("MFA", True), ("WAF", False)]
    assert plan.stop_reason == StopReason.BUDGET
    assert plan.total_cost <= 120_000


def test_a_control_too_dear_for_the_budget_is_passed_over_for_one_that_fits() -> None:
    cheap = CandidateControl("Cheap", cost=10_000, effectiveness=0.05)
    plan = plan_controls(1_000_000, [WAF, cheap], budget=50_000)
    assert [(c.name, c.selected) for c in plan.controls] == [("Cheap", True), ("WAF", False)]
    assert plan.stop_reason == StopReason.BUDGET


def test_it_stops_when_every_candidate_is_chosen() -> None:
    plan = plan_controls(1_000_000, [MFA])
    assert plan.stop_reason == StopReason.EXHAUSTED
    assert plan_controls(1_000_000, []).stop_reason == StopReason.EXHAUSTED


def test_the_gordon_loeb_cap_is_the_expected_loss_over_e() -> None:
    assert gordon_loeb_cap(1_000_000) == pytest.approx(367_879.44, abs=0.01)
    assert plan_controls(1_000_000, [MFA]).gordon_loeb_cap == 1_000_000 / math.e


@pytest.mark.parametrize(
    "make",
    [
        lambda: CandidateControl("Free", cost=0, effectiveness=0.5),
        lambda: CandidateControl("Magic", cost=1, effectiveness=1.5),
        lambda: plan_controls(-1, []),
        lambda: plan_controls(1, [], budget=-5),
        lambda: plan_controls(1, [], appetite=-math.inf),
        lambda: plan_controls(1, [], appetite=math.nan),
        lambda: plan_controls(math.inf, []),
    ],
)
def test_impossible_inputs_are_refused(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]
