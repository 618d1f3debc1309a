"""A simulated annual-loss distribution and what is read from it: mean, percentiles, exceedance."""

import math
from dataclasses import dataclass

import numpy as np

from risks.scoring.distributions import Samples

PERCENTILES = (10, 50, 90, 95, 99)
# Probabilities of exceeding at which the loss exceedance curve takes an amount: denser in the tail, where
# the decisions are. The curve's probabilities are then measured exactly at those amounts.
_CURVE_EXCEEDANCE = (
    0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.075, 0.05, 0.04, 0.03, 0.02, 0.01,
    0.005, 0.002, 0.001,
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class LossDistribution:
    """Annual losses, one per simulated year, kept sorted."""

    sorted_losses: Samples
    ale_mean: float

    @classmethod
    def of(cls, losses: Samples) -> "LossDistribution":
        if losses.ndim != 1 or losses.size == 0:
            raise ValueError("A loss distribution needs at least one simulated year.")
        return cls(sorted_losses=np.sort(losses), ale_mean=float(np.mean(losses)))

    @property
    def iterations(self) -> int:
        return int(self.sorted_losses.size)

    def percentile(self, q: float) -> float:
        """Linear interpolation between the closest ranks, as numpy's default; read off the sorted losses."""
        position = (self.iterations - 1) * q / 100
        below = math.floor(position)
        above = min(below + 1, self.iterations - 1)
        low, high = float(self.sorted_losses[below]), float(self.sorted_losses[above])
        return low + (high - low) * (position - below)

    @property
    def percentiles(self) -> dict[str, float]:
        return {f"p{q}": self.percentile(q) for q in PERCENTILES}

    def p_exceeding(self, amount: float) -> float:
        """The share of simulated years whose loss is above `amount`."""
        above = self.iterations - int(np.searchsorted(self.sorted_losses, amount, side="right"))
        return above / self.iterations

    @property
    def p_loss(self) -> float:
        """The share of simulated years with any loss at all."""
        return self.p_exceeding(0.0)

    @property
    def exceedance_curve(self) -> list[tuple[float, float]]:
        """(amount, probability that a year's loss exceeds it), amounts rising, from 0 to the largest loss."""
        # The smallest simulated loss at or above each quantile (numpy's "inverted_cdf" method).
        ranks = [max(math.ceil(self.iterations * (1 - p)) - 1, 0) for p in _CURVE_EXCEEDANCE]
        points = [0.0, *(float(self.sorted_losses[rank]) for rank in ranks), float(self.sorted_losses[-1])]
        curve: list[tuple[float, float]] = []
        for amount in points:
            if not curve or amount > curve[-1][0]:
                curve.append((amount, self.p_exceeding(amount)))
        return curve
