"""Time a full recomputation of stored risk results for a large organisation: 200 business risks and 75,000
scenarios (25,000 threats in 50 projects, each threat linked to three risks), end to end: reading the inputs,
simulating inherent, residual and projected at 20,000 iterations, and storing every result.

Like bench/hot_paths.py it makes a throwaway database of its own beside the one DATABASE_URL names (never
touching that one), fills it with bulk inserts, times risks.results.recompute and drops the database again.
`python -m bench register` runs this section alone; `make bench` runs it after the others. The goal is
under a minute. Figures are for reading, not asserting.
"""

import os
import statistics
import time
from decimal import Decimal

import numpy as np
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.throwaway import throwaway_database
from projects.models import (
    Control,
    ControlStatus,
    LikelihoodLevel,
    Membership,
    Organisation,
    Project,
    Team,
    Threat,
    ThreatControl,
    User,
)
from projects.roles import Role
from risks import inputs, selectors
from risks.inputs import Counted, Stage
from risks.models import BusinessRisk, Scenario
from risks.results import Recomputed, recompute

SEED = 2026
RISKS, THREATS, RISKS_PER_THREAT, PROJECTS = 200, 25_000, 3, 50
CONTROLS_PER_PROJECT = 100
RUNS = 3
BATCH = 5_000


def organisation_of() -> Organisation:
    """The large organisation, made in bulk: likelihoods are levels for 60 % of the threats (the product's
    usual case; a level is a range), ranges of events a year for 20 % and fixed rates for the rest; 0 to 2
    controls on each threat, in every status; half the risks' impacts are levels, half loss ranges."""
    rng = np.random.default_rng(SEED)
    organisation = Organisation.objects.create(name="Bench register", slug="bench-register")
    team = Team.objects.create(organisation=organisation, name="Everyone", slug="everyone")
    owner = User.objects.create(email="owner@bench-register.test", name="Owner", password="!")
    Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
    projects = Project.objects.bulk_create(
        Project(organisation=organisation, team=team, name=f"System {n}") for n in range(PROJECTS)
    )
    statuses = list(ControlStatus.values)
    controls = Control.objects.bulk_create(
        (
            Control(
                project=project,
                title=f"Control {n}",
                status=statuses[int(rng.integers(len(statuses)))],
                cost_per_year=Decimal(int(rng.integers(1, 100)) * 1_000),
            )
            for project in projects
            for n in range(CONTROLS_PER_PROJECT)
        ),
        batch_size=BATCH,
    )
    per_project = THREATS // PROJECTS
    threats = Threat.objects.bulk_create(
        (_threat(rng, projects[t // per_project], t % per_project + 1) for t in range(THREATS)),
        batch_size=BATCH,
    )
    links = []
    for t, threat in enumerate(threats):
        first = (t // per_project) * CONTROLS_PER_PROJECT
        for c in rng.choice(CONTROLS_PER_PROJECT, size=int(rng.integers(0, 3)), replace=False):
            links.append(
                ThreatControl(
                    threat=threat, control=controls[first + int(c)], effectiveness=int(rng.integers(20, 91))
                )
            )
    ThreatControl.objects.bulk_create(links, batch_size=BATCH)
    risks = BusinessRisk.objects.bulk_create(_risk(rng, organisation, n + 1) for n in range(RISKS))
    # Each threat causes three different risks: 75,000 scenarios, 375 a risk.
    scenarios = []
    for t, threat in enumerate(threats):
        for k in range(RISKS_PER_THREAT):
            scenarios.append(Scenario(risk=risks[(t * RISKS_PER_THREAT + k * 67) % RISKS], threat=threat))
    Scenario.objects.bulk_create(scenarios, batch_size=BATCH)
    return organisation


def _threat(rng: np.random.Generator, project: Project, number: int) -> Threat:
    threat = Threat(
        project=project, number=number, threat_source="attacker", threat_action=f"attack {number}"
    )
    kind = rng.random()
    if kind < 0.6:
        threat.likelihood = LikelihoodLevel.VERY_LOW if rng.random() < 0.85 else LikelihoodLevel.LOW
    else:
        mode = float(10 ** rng.uniform(-3, -0.5))
        low, high = (mode / 4, mode * 5) if kind < 0.8 else (mode, mode)
        threat.frequency_min, threat.frequency_mode, threat.frequency_max = low, mode, high
    return threat


def _risk(rng: np.random.Generator, organisation: Organisation, number: int) -> BusinessRisk:
    risk = BusinessRisk(organisation=organisation, number=number, title=f"Business risk {number}")
    if number % 2:
        low = float(10 ** rng.uniform(3, 5))
        risk.loss_low = Decimal(round(low))
        risk.loss_high = Decimal(round(low * float(10 ** rng.uniform(1, 2))))
    else:
        risk.impact = [LikelihoodLevel.LOW, LikelihoodLevel.MODERATE][number % 4 // 2]
    return risk


def main() -> None:
    started = time.perf_counter()
    with throwaway_database("bench_register"):
        print("\n## Stored risk results: a full recomputation\n")
        print(
            f"- load average at the start: {' / '.join(f'{load:.1f}' for load in os.getloadavg())} (1 / 5 / 15 min)"
        )
        built = time.perf_counter()
        organisation = organisation_of()
        print(
            f"- {RISKS} risks, {Scenario.objects.count():,} scenarios, {THREATS:,} threats in {PROJECTS} "
            f"projects, {ThreatControl.objects.count():,} control links; built in "
            f"{time.perf_counter() - built:.0f} s\n"
        )
        runs: list[Recomputed] = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                found = recompute(organisation.pk)
            assert found is not None
            runs.append(found)
        print(
            "| case | runs | median s | reading s | simulating s | storing s | queries |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        )
        print(
            f"| full recomputation, {inputs.ITERATIONS:,} iterations, three stages | {RUNS} "
            f"| {statistics.median(r.seconds for r in runs):.1f} "
            f"| {statistics.median(r.reading_s for r in runs):.1f} "
            f"| {statistics.median(r.simulating_s for r in runs):.1f} "
            f"| {statistics.median(r.storing_s for r in runs):.1f} | {len(queries)} |"
        )
        print(reads(organisation))
        print(agreement(organisation))
    print(f"\nRegister section took {time.perf_counter() - started:.0f} s.")


def reads(organisation: Organisation) -> str:
    """What a page pays to read stored figures (the staleness check reads the inputs)."""
    one = list(BusinessRisk.objects.filter(organisation=organisation).values_list("pk", flat=True)[:1])
    lines = []
    for name, read in (
        ("stored_figures, one risk (375 scenarios)", lambda: selectors.stored_figures(organisation, one)),
        ("portfolio_figures (75,000 scenarios)", lambda: selectors.portfolio_figures(organisation)),
    ):
        seconds = []
        for _ in range(RUNS):
            begun = time.perf_counter()
            read()
            seconds.append(time.perf_counter() - begun)
        lines.append(f"| {name} | {RUNS} | {statistics.median(seconds) * 1000:.0f} ms | | | | |")
    return "\n".join(lines)


def agreement(organisation: Organisation) -> str:
    """The stored portfolio's means beside the exact closed-form ones."""
    portfolio = selectors.portfolio_figures(organisation)
    assert portfolio is not None
    every = inputs.risk_inputs(organisation)
    lines = ["\n| stage | stored mean annual loss | exact | off |", "| --- | ---: | ---: | ---: |"]
    for stage in (Stage.INHERENT, Stage.RESIDUAL, Stage.PROJECTED):
        exact = sum(each.expected_annual_loss(Counted.stage(stage)) or 0.0 for each in every)
        stored = getattr(portfolio, stage).ale_mean
        lines.append(f"| {stage} | {stored:,.0f} | {exact:,.0f} | {(stored / exact - 1) * 100:+.2f} % |")
    return "\n".join(lines)
