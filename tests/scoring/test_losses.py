import numpy as np
import pytest

from risks.scoring.losses import LossDistribution


@pytest.mark.parametrize("years", [1, 2, 7, 1_000, 10_001])
def test_percentiles_read_off_the_sorted_losses_match_numpys(years: int) -> None:
    rng = np.random.default_rng(years)
    losses = rng.lognormal(10, 2, years) * (rng.random(years) < 0.6)
    distribution = LossDistribution.of(losses)
    for q in (0, 10, 50, 90, 95, 99, 100):
        assert distribution.percentile(q) == pytest.approx(float(np.percentile(losses, q)), rel=1e-12)
    assert list(distribution.percentiles) == ["p10", "p50", "p90", "p95", "p99"]
    assert distribution.ale_mean == pytest.approx(float(losses.mean()))


def test_the_probability_of_exceeding_an_amount_counts_the_years_above_it() -> None:
    distribution = LossDistribution.of(np.array([0.0, 0.0, 5.0, 10.0]))
    assert distribution.p_loss == 0.5
    assert distribution.p_exceeding(5) == 0.25
    assert distribution.p_exceeding(4.99) == 0.5
    assert distribution.p_exceeding(10) == 0
    assert distribution.exceedance_curve[0] == (0.0, 0.5)
    assert distribution.exceedance_curve[-1] == (10.0, 0.0)


def test_a_distribution_needs_a_year() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LossDistribution.of(np.array([]))
