"""FAIR-style Monte Carlo: annual loss distributions of business risks and of the whole portfolio.

Method note
-----------
A *scenario* is a threat linked to a business risk: it has a frequency (events per year, a fixed rate or a
three-point range) and the effectiveness of the controls on it. The risk has the magnitude (money per event,
a 90 % interval or a three-point range).

- Default model, ``poisson``: in each simulated year a scenario's events are Poisson with its rate, and each
  event's loss is drawn on its own; a risk's annual loss is the sum over all its scenarios' events that year.
  Independent Poisson processes add up to one with the summed rate, so all of a risk's scenarios make one
  Poisson draw per year however many there are, and the year's event losses are drawn in one vector.
- Option ``expected`` (what Open FAIR tools such as pyfair do): annual loss = the year's rate x one
  magnitude draw. It has the same mean and a wider, cruder spread.
- Uncertain rates (a range): a rate is drawn once per simulated year from its PERT and the year's events are
  Poisson on it. A threat linked to several risks (scenarios naming the same ``threat``) has one rate draw per
  year, shared by all of them, so what is uncertain about the threat moves all its risks together; its events
  and their losses are drawn separately for each risk, as each risk is a different consequence.
- Controls: the residual rate is the rate x the product of (1 - effectiveness). Residual loss thins the
  inherent events: each event of a year gets past the controls with probability residual rate / inherent
  rate, and a thinned Poisson process is Poisson with the residual rate. Inherent and residual loss come from
  the same simulated events, so residual never exceeds inherent in any simulated year, and more effective
  controls never raise residual loss, in any year, percentile or point of the curve.
- Portfolio: the risks' annual losses add year by year, so its percentiles and curve are read from a real
  distribution of totals, never from a sum of the risks' percentiles.
- Means are exact either way: a risk's expected annual loss is the sum over its scenarios of E[rate] x the
  residual factor x E[magnitude], however rates are shared or correlated (`Risk.expected_annual_loss`);
  the simulated means converge on it.

Everything is vectorised with a seeded numpy Generator (PCG64): Python loops run over risks, scenarios and
chunks of events, never over simulated years or single events. Same inputs and seed, same numbers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from risks.scoring.distributions import Frequency, Magnitude, Pert, Samples
from risks.scoring.losses import LossDistribution

# Events whose losses are drawn at once: memory stays near 100 MB however many events a risk has.
EVENTS_PER_CHUNK = 4_000_000


class LossModel(StrEnum):
    POISSON = "poisson"
    EXPECTED = "expected"


@dataclass(frozen=True)
class Scenario:
    """A threat linked to a business risk. Scenarios naming the same `threat` share its yearly rate draw."""

    frequency: Frequency
    control_effectiveness: tuple[float, ...] = ()
    threat: str | int | None = None

    def __post_init__(self) -> None:
        for effectiveness in self.control_effectiveness:
            if not (math.isfinite(effectiveness) and 0 <= effectiveness <= 1):
                raise ValueError(f"A control's effectiveness is a fraction from 0 to 1, not {effectiveness}.")

    @property
    def residual_factor(self) -> float:
        return math.prod(1 - effectiveness for effectiveness in self.control_effectiveness)

    def expected_rate(self, *, residual: bool = True) -> float:
        return self.frequency.mean * (self.residual_factor if residual else 1.0)


@dataclass(frozen=True)
class Risk:
    """A business risk: its loss per event, and the scenarios that can cause it."""

    magnitude: Magnitude
    scenarios: tuple[Scenario, ...] = field(default=())

    def expected_annual_loss(self, *, residual: bool = True) -> float:
        """The exact mean annual loss, in closed form."""
        rate = math.fsum(scenario.expected_rate(residual=residual) for scenario in self.scenarios)
        return rate * self.magnitude.mean


@dataclass(frozen=True)
class RiskLosses:
    inherent: LossDistribution
    residual: LossDistribution


@dataclass(frozen=True)
class PortfolioLosses:
    risks: tuple[RiskLosses, ...]
    total: RiskLosses


def simulate_risk(
    risk: Risk, *, iterations: int, seed: int, model: LossModel = LossModel.POISSON
) -> RiskLosses:
    inherent, residual = simulate_annual_losses([risk], iterations=iterations, seed=seed, model=model)
    return _both(inherent[0], residual[0])


def simulate_portfolio(
    risks: Sequence[Risk], *, iterations: int, seed: int, model: LossModel = LossModel.POISSON
) -> PortfolioLosses:
    inherent, residual = simulate_annual_losses(risks, iterations=iterations, seed=seed, model=model)
    return _portfolio(inherent, residual)


def simulate_stages(
    stages: Sequence[Sequence[Risk]], *, iterations: int, seed: int, model: LossModel = LossModel.POISSON
) -> tuple[PortfolioLosses, ...]:
    """The same portfolio under several sets of controls at once. `stages[k][r]` is risk r with stage k's
    controls: the same magnitude and scenarios (frequencies, threats) in every stage, only the effectiveness
    differs. Rates, events and their losses are drawn once and each stage thins the same events with the same
    draws, so each result equals `simulate_portfolio(stages[k], seed=seed)`, at about the cost of one run."""
    inherent, residuals = _simulate(stages, iterations=iterations, seed=seed, model=model)
    return tuple(_portfolio(inherent, residual) for residual in residuals)


def _portfolio(inherent: Samples, residual: Samples) -> PortfolioLosses:
    each = tuple(_both(inherent[r], residual[r]) for r in range(inherent.shape[0]))
    total = each[0] if len(each) == 1 else _both(inherent.sum(axis=0), residual.sum(axis=0))
    return PortfolioLosses(risks=each, total=total)


def _both(inherent: Samples, residual: Samples) -> RiskLosses:
    """Inherent and residual distributions; one, sorted once, when no control changed a thing."""
    inherent_losses = LossDistribution.of(inherent)
    if np.array_equal(inherent, residual):
        return RiskLosses(inherent_losses, inherent_losses)
    return RiskLosses(inherent_losses, LossDistribution.of(residual))


def simulate_annual_losses(
    risks: Sequence[Risk], *, iterations: int, seed: int, model: LossModel = LossModel.POISSON
) -> tuple[Samples, Samples]:
    """Inherent and residual annual losses, each shaped (risks, iterations): row r is risk r's years."""
    inherent, (residual,) = _simulate([risks], iterations=iterations, seed=seed, model=model)
    return inherent, residual


def _simulate(
    stages: Sequence[Sequence[Risk]], *, iterations: int, seed: int, model: LossModel
) -> tuple[Samples, list[Samples]]:
    """Inherent annual losses, and the residual ones of each stage (see simulate_stages)."""
    if iterations < 1:
        raise ValueError("Simulate at least one year.")
    risks = stages[0]
    for stage in stages[1:]:
        if len(stage) != len(risks) or any(
            a.magnitude != b.magnitude
            or [(x.frequency, x.threat) for x in a.scenarios]
            != [(y.frequency, y.threat) for y in b.scenarios]
            for a, b in zip(risks, stage, strict=True)
        ):
            raise ValueError("Stages differ only in their controls: the same risks and scenarios in each.")
    # Separate streams: the threats' rate draws, then for each risk its events and its thinning. Controls
    # then never change which events and losses are drawn, in this risk or any other.
    rates_seed, *risk_seeds = np.random.SeedSequence(seed).spawn(1 + len(risks))
    rates = _YearlyRates(stages, iterations, np.random.default_rng(rates_seed))
    inherent = np.zeros((len(risks), iterations))
    residuals = [np.zeros((len(risks), iterations)) for _ in stages]
    for r, risk in enumerate(risks):
        events_seed, thinning_seed = risk_seeds[r].spawn(2)
        rng = np.random.default_rng(events_seed)
        inherent_rate = rates.inherent(r)
        if model == LossModel.EXPECTED:
            magnitude = risk.magnitude.sample(rng, iterations)
            np.multiply(inherent_rate, magnitude, out=inherent[r])
            for k, residual in enumerate(residuals):
                np.multiply(rates.residual(k, r), magnitude, out=residual[r])
            continue
        counts = rng.poisson(inherent_rate, iterations)
        thinned = [
            (
                residual[r],
                # Each stage starts the same thinning stream: an event its controls stop would also be
                # stopped by stronger ones, as in separate runs with the same seed.
                _Thinning(
                    np.random.default_rng(thinning_seed), _survival(inherent_rate, rates.residual(k, r))
                ),
            )
            for k, residual in enumerate(residuals)
            if rates.has_controls(k, r)
        ]
        _add_event_losses(counts, risk.magnitude, rng, inherent[r], thinned)
        for k, residual in enumerate(residuals):
            if not rates.has_controls(k, r):
                residual[r] = inherent[r]
    return inherent, residuals


@dataclass(frozen=True)
class _Thinning:
    """Which events get past the controls: each with probability `survival` (one per year, or one for all)."""

    rng: np.random.Generator
    survival: float | Samples


def _survival(inherent_rate: float | Samples, residual_rate: float | Samples) -> float | Samples:
    """The chance that an event gets past the controls: residual rate / inherent rate (1 with no events)."""
    if isinstance(inherent_rate, float) and isinstance(residual_rate, float):
        return residual_rate / inherent_rate if inherent_rate > 0 else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(inherent_rate > 0, np.divide(residual_rate, inherent_rate), 1.0)


class _YearlyRates:
    """Each risk's total inherent rate per simulated year, and its residual rate under each stage's controls.

    Fixed rates add up to one number per risk. Uncertain ones are drawn once per threat and year (whatever the
    number of stages), and added to the rows of the risks the threat is linked to.
    """

    def __init__(self, stages: Sequence[Sequence[Risk]], iterations: int, rng: np.random.Generator) -> None:
        risks = stages[0]
        count = len(risks)
        self.fixed_inherent = np.zeros(count)
        self.fixed_residual = np.zeros((len(stages), count))
        self._controlled = np.zeros((len(stages), count), dtype=bool)
        frequency_of: dict[object, Frequency] = {}
        group_of: dict[object, int] = {}
        ranges: list[Pert] = []
        links: list[tuple[int, int, tuple[float, ...]]] = []  # (group, risk, residual factor of each stage)
        for r, risk in enumerate(risks):
            for s, scenario in enumerate(risk.scenarios):
                key: object = ("threat", scenario.threat) if scenario.threat is not None else (r, s)
                known = frequency_of.setdefault(key, scenario.frequency)
                if known != scenario.frequency:
                    raise ValueError(f"Threat {scenario.threat!r} is given two different frequencies.")
                factors = tuple(stage[r].scenarios[s].residual_factor for stage in stages)
                self._controlled[:, r] |= np.array(factors) < 1
                frequency = scenario.frequency
                if frequency.is_fixed or not isinstance(frequency, Pert):
                    self.fixed_inherent[r] += frequency.mean
                    self.fixed_residual[:, r] += frequency.mean * np.array(factors)
                    continue
                if key not in group_of:
                    group_of[key] = len(ranges)
                    ranges.append(frequency)
                links.append((group_of[key], r, factors))
        self.uncertain_inherent: Samples | None = None
        self.uncertain_residual: Samples | None = None
        self._uncertain = np.zeros(count, dtype=bool)
        if ranges:
            self._draw(ranges, sorted(links), len(stages), iterations, rng)

    def _draw(
        self,
        ranges: list[Pert],
        links: list[tuple[int, int, tuple[float, ...]]],
        stages: int,
        iterations: int,
        rng: np.random.Generator,
    ) -> None:
        """One vector of yearly rates per threat (scalar parameters sample faster than broadcast ones)."""
        inherent = self.uncertain_inherent = np.zeros((self.fixed_inherent.size, iterations))
        residual = self.uncertain_residual = np.zeros((stages, self.fixed_inherent.size, iterations))
        link = 0
        for group, pert in enumerate(ranges):
            draws = pert.sample(rng, iterations)
            while link < len(links) and links[link][0] == group:
                _, r, factors = links[link]
                inherent[r] += draws
                for k, factor in enumerate(factors):
                    residual[k, r] += draws if factor == 1 else factor * draws
                self._uncertain[r] = True
                link += 1

    def inherent(self, r: int) -> float | Samples:
        if self.uncertain_inherent is None or not self._uncertain[r]:
            return float(self.fixed_inherent[r])
        return self.fixed_inherent[r] + self.uncertain_inherent[r]

    def residual(self, k: int, r: int) -> float | Samples:
        """Risk r's residual rate under stage k's controls."""
        if self.uncertain_residual is None or not self._uncertain[r]:
            return float(self.fixed_residual[k, r])
        return self.fixed_residual[k, r] + self.uncertain_residual[k, r]

    def has_controls(self, k: int, r: int) -> bool:
        return bool(self._controlled[k, r])


def _add_event_losses(
    counts: np.ndarray,
    magnitude: Magnitude,
    rng: np.random.Generator,
    inherent: Samples,
    thinned: Sequence[tuple[Samples, _Thinning]],
) -> None:
    """Write each year's summed event losses into `inherent` and, thinned, into each residual row given.

    Events are drawn in chunks of whole years; within a chunk, np.add.reduceat sums each year's run of events.
    """
    ends = np.cumsum(counts)
    start = 0
    while start < counts.size:
        before = int(ends[start - 1]) if start else 0
        stop = int(np.searchsorted(ends, before + EVENTS_PER_CHUNK, side="right"))
        stop = min(max(stop, start + 1), counts.size)
        chunk = slice(start, stop)
        start = stop
        years = counts[chunk]
        events = int(ends[stop - 1]) - before
        if events == 0:
            continue
        losses = magnitude.sample(rng, events)
        some = years > 0
        offsets = (np.cumsum(years) - years)[some]
        inherent[chunk][some] = np.add.reduceat(losses, offsets)
        last = len(thinned) - 1
        for k, (residual, thinning) in enumerate(thinned):
            survival = thinning.survival
            threshold = survival[chunk].repeat(years) if isinstance(survival, np.ndarray) else survival
            stopped = thinning.rng.random(events) >= threshold
            kept = losses if k == last else losses.copy()  # the last stage may zero the draws in place
            kept[stopped] = 0.0
            residual[chunk][some] = np.add.reduceat(kept, offsets)
