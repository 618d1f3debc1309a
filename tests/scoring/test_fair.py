"""FAIR Monte Carlo against closed forms, at 100,000 iterations: means within 3 %."""

import math

import numpy as np
import pytest

from risks.scoring.distributions import FixedRate, Lognormal90, Pert
from risks.scoring.fair import (
    LossModel,
    Risk,
    Scenario,
    simulate_annual_losses,
    simulate_portfolio,
    simulate_risk,
    simulate_stages,
)

ITERATIONS = 100_000
INTERVAL = Lognormal90(10_000, 500_000)


def lognormal_mean(interval: Lognormal90) -> float:
    return math.exp(interval.mu + interval.sigma**2 / 2)


def test_poisson_times_lognormal_mean_is_lambda_times_exp_mu_plus_half_sigma_squared() -> None:
    risk = Risk(INTERVAL, (Scenario(FixedRate(2.0)),))
    losses = simulate_risk(risk, iterations=ITERATIONS, seed=11)
    exact = 2.0 * lognormal_mean(INTERVAL)
    assert risk.expected_annual_loss() == pytest.approx(exact)
    assert losses.residual.ale_mean == pytest.approx(exact, rel=0.03)


@pytest.mark.parametrize("rate", [0.1, 0.5, 2.0])
def test_the_probability_of_any_loss_is_1_minus_exp_minus_lambda(rate: float) -> None:
    losses = simulate_risk(Risk(INTERVAL, (Scenario(FixedRate(rate)),)), iterations=ITERATIONS, seed=5)
    assert losses.residual.p_loss == pytest.approx(1 - math.exp(-rate), abs=0.005)


def test_an_uncertain_rate_gives_the_pert_mean_times_the_magnitude_mean() -> None:
    risk = Risk(Pert(1_000, 5_000, 40_000), (Scenario(Pert(0.5, 2, 8)),))
    exact = (0.5 + 4 * 2 + 8) / 6 * (1_000 + 4 * 5_000 + 40_000) / 6
    assert risk.expected_annual_loss() == pytest.approx(exact)
    for model in LossModel:
        losses = simulate_risk(risk, iterations=ITERATIONS, seed=7, model=model)
        assert losses.residual.ale_mean == pytest.approx(exact, rel=0.03), model


def test_the_expected_model_is_rate_times_one_magnitude_draw() -> None:
    def years(rate: float) -> np.ndarray:
        risk = Risk(INTERVAL, (Scenario(FixedRate(rate)),))
        return simulate_annual_losses([risk], iterations=1_000, seed=1, model=LossModel.EXPECTED)[0][0]

    assert np.allclose(years(3.0), 3.0 * years(1.0))
    assert len(set(years(1.0))) == 1_000  # one magnitude draw per year


def test_controls_multiply_the_rate_by_one_minus_each_effectiveness() -> None:
    risk = Risk(INTERVAL, (Scenario(FixedRate(4.0), (0.5, 0.2)),))
    exact = 4.0 * 0.5 * 0.8 * lognormal_mean(INTERVAL)
    assert risk.expected_annual_loss() == pytest.approx(exact)
    assert risk.expected_annual_loss(residual=False) == pytest.approx(4.0 * lognormal_mean(INTERVAL))
    losses = simulate_risk(risk, iterations=ITERATIONS, seed=3)
    assert losses.residual.ale_mean == pytest.approx(exact, rel=0.03)
    assert losses.inherent.ale_mean == pytest.approx(4.0 * lognormal_mean(INTERVAL), rel=0.03)
    assert losses.residual.p_loss == pytest.approx(1 - math.exp(-4.0 * 0.4), abs=0.005)


def test_residual_loss_never_exceeds_inherent_loss_in_any_year() -> None:
    risk = Risk(INTERVAL, (Scenario(Pert(0, 1, 5), (0.3,)), Scenario(FixedRate(1), (0.9,))))
    inherent, residual = simulate_annual_losses([risk], iterations=20_000, seed=9)
    assert np.all(residual <= inherent)
    assert residual.sum() < inherent.sum()


def test_a_risk_loses_the_sum_of_its_scenarios_losses() -> None:
    scenarios = (Scenario(FixedRate(0.5)), Scenario(Pert(0.2, 1, 3)), Scenario(FixedRate(1.5), (0.5,)))
    risk = Risk(INTERVAL, scenarios)
    exact = (0.5 + (0.2 + 4 + 3) / 6 + 1.5 * 0.5) * lognormal_mean(INTERVAL)
    assert risk.expected_annual_loss() == pytest.approx(exact)
    assert simulate_risk(risk, iterations=ITERATIONS, seed=4).residual.ale_mean == pytest.approx(
        exact, rel=0.03
    )


def test_fixed_rate_scenarios_collapse_into_one_poisson_draw() -> None:
    many = Risk(INTERVAL, tuple(Scenario(FixedRate(0.01)) for _ in range(300)))
    one = Risk(INTERVAL, (Scenario(FixedRate(3.0)),))
    a = simulate_risk(many, iterations=10_000, seed=21).residual
    b = simulate_risk(one, iterations=10_000, seed=21).residual
    assert a.ale_mean == pytest.approx(b.ale_mean, rel=1e-9)
    assert a.percentiles == pytest.approx(b.percentiles, rel=1e-9)


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others() -> None:
    risk = Risk(INTERVAL, (Scenario(Pert(0.1, 1, 4), (0.3,)),))
    first = simulate_risk(risk, iterations=5_000, seed=123).residual
    again = simulate_risk(risk, iterations=5_000, seed=123).residual
    other = simulate_risk(risk, iterations=5_000, seed=124).residual
    assert np.array_equal(first.sorted_losses, again.sorted_losses)
    assert first.ale_mean != other.ale_mean


def test_a_zero_rate_loses_nothing() -> None:
    for frequency in (FixedRate(0), Pert(0, 0, 0)):
        for model in LossModel:
            losses = simulate_risk(
                Risk(INTERVAL, (Scenario(frequency),)), iterations=1_000, seed=1, model=model
            )
            assert losses.residual.ale_mean == 0
            assert losses.residual.p_loss == 0


def test_the_portfolio_adds_risks_year_by_year() -> None:
    risks = [
        Risk(INTERVAL, (Scenario(FixedRate(1)),)),
        Risk(Pert(1_000, 2_000, 50_000), (Scenario(Pert(1, 3, 9), (0.5,)),)),
    ]
    _, residual = simulate_annual_losses(risks, iterations=20_000, seed=8)
    portfolio = simulate_portfolio(risks, iterations=20_000, seed=8)
    assert np.allclose(np.sort(residual.sum(axis=0)), portfolio.total.residual.sorted_losses)
    assert portfolio.total.residual.ale_mean == pytest.approx(
        sum(r.residual.ale_mean for r in portfolio.risks)
    )
    # A real distribution of totals: its 99th percentile is below the sum of the risks' 99th percentiles.
    assert portfolio.total.residual.percentile(99) < sum(r.residual.percentile(99) for r in portfolio.risks)


def test_a_threat_linked_to_several_risks_shares_its_rate_draw_each_year() -> None:
    threat, one_per_event = Pert(0, 1, 20), Pert(1, 1, 1)
    shared = [Risk(one_per_event, (Scenario(threat, threat="T1"),)) for _ in range(2)]
    apart = [Risk(one_per_event, (Scenario(threat),)) for _ in range(2)]
    # With a loss of exactly 1 per event and the expected model, a year's loss is the year's rate.
    together, _ = simulate_annual_losses(shared, iterations=20_000, seed=2, model=LossModel.EXPECTED)
    separate, _ = simulate_annual_losses(apart, iterations=20_000, seed=2, model=LossModel.EXPECTED)
    assert np.array_equal(together[0], together[1])
    assert not np.array_equal(separate[0], separate[1])
    assert together.sum(axis=0).mean() == pytest.approx(separate.sum(axis=0).mean(), rel=0.03)
    assert float(np.corrcoef(separate[0], separate[1])[0][1]) == pytest.approx(0, abs=0.05)


def test_a_threat_must_have_one_frequency() -> None:
    risks = [
        Risk(INTERVAL, (Scenario(FixedRate(1), threat=7),)),
        Risk(INTERVAL, (Scenario(FixedRate(2), threat=7),)),
    ]
    with pytest.raises(ValueError, match="two different frequencies"):
        simulate_portfolio(risks, iterations=10, seed=1)


def test_events_beyond_one_chunk_are_summed_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    risk = Risk(Pert(1, 1, 1), (Scenario(FixedRate(50), (0.5,)),))
    whole_inherent, whole_residual = simulate_annual_losses([risk], iterations=2_000, seed=6)
    monkeypatch.setattr("risks.scoring.fair.EVENTS_PER_CHUNK", 777)
    inherent, residual = simulate_annual_losses([risk], iterations=2_000, seed=6)
    # Each event loses exactly 1, so a year's loss is its event count, however the events were chunked.
    assert np.array_equal(whole_inherent, inherent)
    assert np.array_equal(whole_residual, residual)
    assert inherent.mean() == pytest.approx(50, rel=0.03)
    assert residual.mean() == pytest.approx(25, rel=0.03)


def test_controls_on_one_risk_leave_the_events_of_every_risk_unchanged() -> None:
    plain = [Risk(INTERVAL, (Scenario(FixedRate(2)),)), Risk(INTERVAL, (Scenario(Pert(1, 2, 3)),))]
    controlled = [Risk(INTERVAL, (Scenario(FixedRate(2), (0.5,)),)), plain[1]]
    inherent_plain, residual_plain = simulate_annual_losses(plain, iterations=5_000, seed=4)
    inherent_controlled, residual_controlled = simulate_annual_losses(controlled, iterations=5_000, seed=4)
    assert np.array_equal(inherent_plain, inherent_controlled)
    assert np.array_equal(residual_plain[1], residual_controlled[1])
    assert np.all(residual_controlled[0] <= residual_plain[0])


def test_the_loss_exceedance_curve_reads_the_distribution() -> None:
    losses = simulate_risk(Risk(INTERVAL, (Scenario(FixedRate(1)),)), iterations=ITERATIONS, seed=10).residual
    curve = losses.exceedance_curve
    assert curve[0] == (0.0, losses.p_loss)
    assert curve[-1] == (losses.sorted_losses[-1], 0.0)
    for amount, probability in curve:
        assert probability == losses.p_exceeding(amount)
    assert losses.p_exceeding(losses.percentile(90)) == pytest.approx(0.10, abs=0.001)


def test_control_effectiveness_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match="effectiveness"):
        Scenario(FixedRate(1), (1.5,))


@pytest.mark.parametrize("model", list(LossModel))
def test_stages_drawn_together_equal_separate_runs_with_the_same_seed(model: LossModel) -> None:
    """One draw of rates and events thinned for several sets of controls gives each set's own run, exactly."""
    ranged = Pert(0.5, 2.0, 6.0)
    magnitude = Lognormal90(10_000, 400_000)

    def portfolio(effectiveness: tuple[float, float]) -> list[Risk]:
        return [
            Risk(magnitude, (Scenario(ranged, (effectiveness[0],), threat="T-1"), Scenario(FixedRate(1.5)))),
            Risk(magnitude, (Scenario(ranged, (effectiveness[1],), threat="T-1"),)),
        ]

    stages = [portfolio((0.5, 0.0)), portfolio((0.8, 0.3))]
    together = simulate_stages(stages, iterations=5_000, seed=3, model=model)
    for stage, result in zip(stages, together, strict=True):
        alone = simulate_portfolio(stage, iterations=5_000, seed=3, model=model)
        for mine, theirs in zip([*result.risks, result.total], [*alone.risks, alone.total], strict=True):
            assert np.array_equal(mine.inherent.sorted_losses, theirs.inherent.sorted_losses)
            assert np.array_equal(mine.residual.sorted_losses, theirs.residual.sorted_losses)
    residual, projected = together
    assert projected.total.residual.ale_mean <= residual.total.residual.ale_mean


def test_stages_must_share_their_risks() -> None:
    one = [Risk(Lognormal90(10, 100), (Scenario(FixedRate(1.0)),))]
    other = [Risk(Lognormal90(10, 1_000), (Scenario(FixedRate(1.0)),))]
    with pytest.raises(ValueError, match="only in their controls"):
        simulate_stages([one, other], iterations=10, seed=1)
