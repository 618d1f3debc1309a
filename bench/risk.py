"""Time the FAIR Monte Carlo engine, and set it beside pyfair on the same inputs.

- one business risk (five scenarios, controls) at 100,000 iterations;
- a portfolio of 200 risks with 75,000 scenarios at 20,000 iterations, a fifth of the frequencies given as
  ranges over 5,000 threats that are each linked to three risks; and, as a stress case, every frequency a range;
- our `expected` model next to pyfair's FairModel (Loss Event Frequency x Loss Magnitude, both three-point
  ranges) at the same iteration count, in the same run.

Pure numpy: no database. `python -m bench.risk` runs this section alone; `make bench` runs it after the
request benchmarks. Figures are for reading, not asserting.
"""

import math
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from risks.scoring.distributions import FixedRate, Lognormal90, Pert
from risks.scoring.fair import (
    LossModel,
    PortfolioLosses,
    Risk,
    Scenario,
    simulate_annual_losses,
    simulate_portfolio,
    simulate_risk,
)

SEED = 2026
ONE_RISK_ITERATIONS = 100_000
PORTFOLIO_ITERATIONS = 20_000
PORTFOLIO_RISKS, PORTFOLIO_SCENARIOS = 200, 75_000
RISKS_PER_THREAT = 3
# The pyfair comparison's inputs: events per year and money per event, each (min, mode, max).
FREQUENCY, MAGNITUDE = (0.5, 2.0, 6.0), (10_000.0, 50_000.0, 400_000.0)


@dataclass(frozen=True)
class Timing:
    median_s: float
    runs: int


def timed[T](action: Callable[[], T], runs: int) -> tuple[Timing, T]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    return Timing(statistics.median(seconds), runs), result


def one_risk() -> Risk:
    return Risk(
        Lognormal90(20_000, 2_000_000),
        (
            Scenario(FixedRate(0.5), (0.6,)),
            Scenario(FixedRate(0.2)),
            Scenario(FixedRate(1.5), (0.3, 0.5)),
            Scenario(Pert(0.1, 0.5, 4), (0.7,)),
            Scenario(Pert(0.05, 0.2, 1)),
        ),
    )


def portfolio(range_share: float, seed: int = SEED) -> list[Risk]:
    """200 risks of 375 scenarios; rates from 0.001 to 0.3 a year, 0 to 2 controls each."""
    rng = np.random.default_rng(seed)
    per_risk = PORTFOLIO_SCENARIOS // PORTFOLIO_RISKS
    threats = []
    for _ in range(round(PORTFOLIO_SCENARIOS * range_share / RISKS_PER_THREAT)):
        mode = float(10 ** rng.uniform(-3, -0.5))
        threats.append(Pert(mode / 4, mode, mode * 5))
    risks = []
    for _ in range(PORTFOLIO_RISKS):
        low = float(10 ** rng.uniform(3, 5))
        scenarios = []
        for _ in range(per_risk):
            controls = tuple(float(e) for e in rng.uniform(0.2, 0.9, rng.integers(0, 3)))
            if threats and rng.random() < range_share:
                threat = int(rng.integers(len(threats)))
                scenarios.append(Scenario(threats[threat], controls, threat=threat))
            else:
                scenarios.append(Scenario(FixedRate(float(10 ** rng.uniform(-3, -0.5))), controls))
        risks.append(Risk(Lognormal90(low, low * float(10 ** rng.uniform(1, 2))), tuple(scenarios)))
    return risks


def simulating(risks: list[Risk]) -> Callable[[], PortfolioLosses]:
    return lambda: simulate_portfolio(risks, iterations=PORTFOLIO_ITERATIONS, seed=SEED)


def pert_mean(low: float, mode: float, high: float) -> float:
    return (low + 4 * mode + high) / 6


def off(value: float, exact: float) -> str:
    return f"{(value / exact - 1) * 100:+.2f} %"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def engine_rows() -> list[str]:
    rows = [
        row("case", "iterations", "median s", "runs", "events drawn", "residual ALE", "exact", "off"),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    risk = one_risk()
    timing, result = timed(lambda: simulate_risk(risk, iterations=ONE_RISK_ITERATIONS, seed=SEED), runs=7)
    mean = result.residual.ale_mean
    exact = risk.expected_annual_loss()
    events = sum(s.expected_rate(residual=False) for s in risk.scenarios) * ONE_RISK_ITERATIONS
    rows.append(
        row(
            "one risk, 5 scenarios (3 fixed rates, 2 ranges), controls",
            f"{ONE_RISK_ITERATIONS:,}",
            f"{timing.median_s:.3f}",
            timing.runs,
            f"{events:,.0f}",
            f"{mean:,.0f}",
            f"{exact:,.0f}",
            off(mean, exact),
        )
    )
    for label, share, runs in (
        ("200 risks, 75,000 scenarios: 1/5 ranges over 5,000 shared threats", 0.2, 3),
        ("stress: 200 risks, 75,000 scenarios, every one a range (25,000 threats)", 1.0, 1),
    ):
        risks = portfolio(share)
        timing, totals = timed(simulating(risks), runs=runs)
        mean = totals.total.residual.ale_mean
        exact = math.fsum(r.expected_annual_loss() for r in risks)
        rate = math.fsum(s.expected_rate(residual=False) for r in risks for s in r.scenarios)
        rows.append(
            row(
                label,
                f"{PORTFOLIO_ITERATIONS:,}",
                f"{timing.median_s:.2f}",
                timing.runs,
                f"{rate * PORTFOLIO_ITERATIONS:,.0f}",
                f"{mean:,.0f}",
                f"{exact:,.0f}",
                off(mean, exact),
            )
        )
    return rows


def pyfair_rows() -> list[str]:
    exact = pert_mean(*FREQUENCY) * pert_mean(*MAGNITUDE)
    rows = [
        row("engine", "iterations", "median ms", "runs", "mean annual loss", "exact", "off"),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    try:
        from pyfair import FairModel
    except ImportError as error:
        return [f"pyfair is not installed ({error}); `make bench` installs the bench group."]

    def run_pyfair() -> float:
        model = FairModel(name="bench", n_simulations=ONE_RISK_ITERATIONS, random_seed=SEED)
        model.input_data("Loss Event Frequency", low=FREQUENCY[0], mode=FREQUENCY[1], high=FREQUENCY[2])
        model.input_data("Loss Magnitude", low=MAGNITUDE[0], mode=MAGNITUDE[1], high=MAGNITUDE[2])
        model.calculate_all()
        return float(model.export_results()["Risk"].mean())

    risk = Risk(Pert(*MAGNITUDE), (Scenario(Pert(*FREQUENCY)),))

    def run_ours_losses() -> float:
        inherent, _ = simulate_annual_losses(
            [risk], iterations=ONE_RISK_ITERATIONS, seed=SEED, model=LossModel.EXPECTED
        )
        return float(inherent.mean())

    def run_ours_full() -> float:
        result = simulate_risk(risk, iterations=ONE_RISK_ITERATIONS, seed=SEED, model=LossModel.EXPECTED)
        _ = (result.residual.percentiles, result.residual.exceedance_curve)
        return result.residual.ale_mean

    def run_ours_poisson() -> float:
        result = simulate_risk(risk, iterations=ONE_RISK_ITERATIONS, seed=SEED)
        _ = (result.residual.percentiles, result.residual.exceedance_curve)
        return result.residual.ale_mean

    cases = [
        (f"pyfair {version('pyfair')} FairModel: inputs, calculate_all, results", run_pyfair),
        ("ours, expected model: annual losses", run_ours_losses),
        ("ours, expected model: with percentiles and curve", run_ours_full),
        ("ours, poisson model (default): with percentiles and curve", run_ours_poisson),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfair's pandas idioms warn under pandas 3
        for label, action in cases:
            timing, mean = timed(action, runs=15)
            rows.append(
                row(
                    label,
                    f"{ONE_RISK_ITERATIONS:,}",
                    f"{timing.median_s * 1000:.1f}",
                    timing.runs,
                    f"{mean:,.0f}",
                    f"{exact:,.0f}",
                    off(mean, exact),
                )
            )
    return rows


def versions() -> str:
    found = []
    for package in ("numpy", "pyfair", "pandas", "scipy"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return f"Python {platform.python_version()}, " + ", ".join(found)


def main() -> None:
    started = time.perf_counter()
    print("\n## Risk engines (FAIR Monte Carlo)\n")
    print(f"- {versions()}")
    print(
        f"- load average at the start: {' / '.join(f'{load:.1f}' for load in os.getloadavg())} (1 / 5 / 15 min)"
    )
    print(
        f"- seed {SEED}; 'exact' is the closed-form mean; 'events drawn' is the expected inherent event count\n"
    )
    print("\n".join(engine_rows()))
    print(
        f"\nSame three-point inputs, {ONE_RISK_ITERATIONS:,} iterations: frequency {FREQUENCY} events a year, "
        f"magnitude {MAGNITUDE} per event.\n"
    )
    print("\n".join(pyfair_rows()))
    print(f"\nRisk section took {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
