"""The distributions of FAIR inputs: a fixed rate, a three-point range (beta-PERT) and a 90 % interval.

Every distribution knows its exact mean, so simulated means can be checked against it, and samples with a
numpy Generator, all at once.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

type Samples = NDArray[np.float64]

PERT_GAMMA = 4.0
# The 95th percentile of the standard normal: a 90 % interval spans this many standard deviations either side.
Z_95 = NormalDist().inv_cdf(0.95)


def _finite(*values: float) -> bool:
    return all(math.isfinite(value) for value in values)


@dataclass(frozen=True)
class FixedRate:
    """A known rate of events per year."""

    rate: float

    def __post_init__(self) -> None:
        if not (_finite(self.rate) and self.rate >= 0):
            raise ValueError(f"A rate is a number from 0 up, not {self.rate}.")

    @property
    def mean(self) -> float:
        return self.rate

    @property
    def is_fixed(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator, size: int) -> Samples:
        return np.full(size, self.rate)


@dataclass(frozen=True)
class Pert:
    """A beta-PERT distribution (gamma 4) over [low, high] with its peak at mode: mean (low + 4 mode + high) / 6."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        if not _finite(self.low, self.mode, self.high):
            raise ValueError("A range is three finite numbers.")
        if self.low < 0:
            raise ValueError(f"A range starts from 0 up, not {self.low}.")
        if not self.low <= self.mode <= self.high:
            raise ValueError("A range needs low <= mode <= high.")

    @property
    def mean(self) -> float:
        return (self.low + PERT_GAMMA * self.mode + self.high) / (PERT_GAMMA + 2)

    @property
    def is_fixed(self) -> bool:
        return self.low == self.high

    @property
    def shape(self) -> tuple[float, float]:
        """The beta distribution's alpha and beta on [0, 1]; defined when low < high."""
        width = self.high - self.low
        return (
            1 + PERT_GAMMA * (self.mode - self.low) / width,
            1 + PERT_GAMMA * (self.high - self.mode) / width,
        )

    def sample(self, rng: np.random.Generator, size: int) -> Samples:
        if self.is_fixed:
            return np.full(size, self.low)
        alpha, beta = self.shape
        draws = rng.beta(alpha, beta, size)
        draws *= self.high - self.low
        draws += self.low
        return draws


@dataclass(frozen=True)
class Lognormal90:
    """A lognormal distribution whose 5th and 95th percentiles are low and high (a 90 % interval)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not _finite(self.low, self.high):
            raise ValueError("An interval is two finite numbers.")
        if self.low <= 0:
            raise ValueError(f"A lognormal interval starts above 0, not at {self.low}.")
        if self.low > self.high:
            raise ValueError("An interval needs low <= high.")

    @property
    def mu(self) -> float:
        return (math.log(self.low) + math.log(self.high)) / 2

    @property
    def sigma(self) -> float:
        return (math.log(self.high) - math.log(self.low)) / (2 * Z_95)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def is_fixed(self) -> bool:
        return self.low == self.high

    def sample(self, rng: np.random.Generator, size: int) -> Samples:
        draws = rng.standard_normal(size)
        draws *= self.sigma
        draws += self.mu
        return np.exp(draws, out=draws)


type Frequency = FixedRate | Pert
type Magnitude = Lognormal90 | Pert
