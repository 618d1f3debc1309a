import math
from statistics import NormalDist

import numpy as np
import pytest

from risks.scoring.distributions import FixedRate, Lognormal90, Pert


def test_a_pert_mean_is_min_plus_4_mode_plus_max_over_6() -> None:
    assert Pert(1, 2, 9).mean == pytest.approx((1 + 4 * 2 + 9) / 6)
    assert Pert(0, 0, 6).mean == 1.0


def test_pert_samples_stay_in_range_and_average_to_the_mean() -> None:
    pert = Pert(10, 20, 100)
    samples = pert.sample(np.random.default_rng(1), 100_000)
    assert samples.min() >= 10
    assert samples.max() <= 100
    assert samples.mean() == pytest.approx(pert.mean, rel=0.01)


def test_a_pert_with_no_width_is_a_constant() -> None:
    assert list(Pert(3, 3, 3).sample(np.random.default_rng(1), 3)) == [3, 3, 3]
    assert Pert(3, 3, 3).is_fixed


def test_a_90_percent_interval_puts_low_and_high_at_the_5th_and_95th_percentiles() -> None:
    interval = Lognormal90(10_000, 1_000_000)
    normal = NormalDist(interval.mu, interval.sigma)
    assert math.exp(normal.inv_cdf(0.05)) == pytest.approx(10_000)
    assert math.exp(normal.inv_cdf(0.95)) == pytest.approx(1_000_000)
    samples = interval.sample(np.random.default_rng(2), 200_000)
    assert np.percentile(samples, 5) == pytest.approx(10_000, rel=0.02)
    assert np.percentile(samples, 95) == pytest.approx(1_000_000, rel=0.02)


def test_a_lognormal_mean_is_exp_of_mu_plus_half_sigma_squared() -> None:
    interval = Lognormal90(1_000, 50_000)
    assert interval.mean == pytest.approx(math.exp(interval.mu + interval.sigma**2 / 2))
    samples = interval.sample(np.random.default_rng(3), 200_000)
    assert samples.mean() == pytest.approx(interval.mean, rel=0.02)


def test_a_fixed_rate_is_its_own_mean() -> None:
    assert FixedRate(0.25).mean == 0.25
    assert FixedRate(0.25).is_fixed


@pytest.mark.parametrize(
    "make",
    [
        lambda: FixedRate(-1),
        lambda: FixedRate(math.inf),
        lambda: Pert(2, 1, 3),
        lambda: Pert(1, 4, 3),
        lambda: Pert(-1, 0, 1),
        lambda: Lognormal90(0, 10),
        lambda: Lognormal90(10, 5),
        lambda: Lognormal90(1, math.nan),
    ],
)
def test_impossible_inputs_are_refused(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]
