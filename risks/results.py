"""Recompute and store an organisation's risk results: each business risk's and the portfolio's inherent,
residual and projected figures, simulated by the risk engines (risks.scoring.fair) at inputs.ITERATIONS.

The portfolio is simulated twice with the same seed: once counting the controls in force (residual) and once
counting the committed ones as well (projected). Inherent loss and the simulated events do not depend on
controls, so both runs share them and the three stages are read from one set of simulated years.

The seed is the organisation's id: the same inputs give the same figures, on any machine, at any time.
Risks with no impact or no scored scenario (no threat with a likelihood) are not simulated: their figures are
zero and their level None. Pages read the stored figures through risks.selectors.
"""

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from projects.models import Organisation
from risks import changes, inputs, webhook_events
from risks.inputs import Cell, Counted, RiskInputs, Scales, Stage
from risks.models import BusinessRisk, PortfolioResult, RiskResult, Scenario, ScenarioResult
from risks.scoring import fair
from risks.scoring.levels import Level
from risks.scoring.losses import LossDistribution
from risks.selectors import PERCENTILES, StageFigures

# Advisory-lock namespace: one recomputation at a time per organisation, so an older run that finishes late
# never overwrites a newer one (the later run waits, then reads the inputs as they are then).
_LOCK_NAMESPACE = 5_001


@dataclass(frozen=True)
class Recomputed:
    risks: int
    simulated: int  # risks with an impact and at least one scored scenario
    reading_s: float  # the inputs, from the database
    simulating_s: float  # three stages, with their summaries and levels
    storing_s: float  # fingerprints and writes

    @property
    def seconds(self) -> float:
        return self.reading_s + self.simulating_s + self.storing_s


def seed_of(organisation_id: int) -> int:
    return organisation_id


def zero_figures(scales: Scales) -> StageFigures:
    return StageFigures(
        level=None,
        ale_mean=0.0,
        percentiles=dict.fromkeys(PERCENTILES, 0.0),
        p_loss=0.0,
        lec=[(0.0, 0.0)],
        p_exceeding_tolerance=0.0 if scales.tolerance_amount is not None else None,
    )


def figures_of(
    losses: LossDistribution, level: Level | None, scales: Scales, cell: Cell | None = None
) -> StageFigures:
    return StageFigures(
        level=str(level) if level is not None else None,
        ale_mean=losses.ale_mean,
        percentiles=losses.percentiles,
        p_loss=losses.p_loss,
        lec=losses.exceedance_curve,
        p_exceeding_tolerance=(
            losses.p_exceeding(scales.tolerance_amount) if scales.tolerance_amount is not None else None
        ),
        likelihood=str(cell.likelihood) if cell is not None else None,
        impact=str(cell.impact) if cell is not None else None,
    )


def _worst(levels: Sequence[Level | None]) -> Level | None:
    known = [level for level in levels if level is not None]
    return max(known, key=lambda level: level.rank) if known else None


def _stages_json(
    inherent: StageFigures, residual: StageFigures, projected: StageFigures
) -> dict[str, object]:
    return {
        Stage.INHERENT: inherent.to_json(),
        Stage.RESIDUAL: residual.to_json(),
        Stage.PROJECTED: projected.to_json(),
    }


def recompute(organisation_id: int) -> Recomputed | None:
    """Recompute and store every result of the organisation; None when it no longer exists."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return None
    with _one_at_a_time(organisation_id):
        return _recompute(organisation)


@contextmanager
def _one_at_a_time(organisation_id: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, organisation_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, organisation_id])


def _recompute(organisation: Organisation) -> Recomputed:
    started = time.perf_counter()
    # Read before the inputs: a change counted after this is in the inputs or not, but marks these results
    # stale either way (risks.selectors), so none is missed.
    change = changes.current_change(organisation.pk)
    all_inputs = inputs.risk_inputs(organisation)
    read = time.perf_counter()
    scales = all_inputs[0].scales if all_inputs else Scales.of(inputs.settings_of(organisation))
    seed = seed_of(organisation.pk)
    stages = (Stage.INHERENT, Stage.RESIDUAL, Stage.PROJECTED)
    counted = {stage: Counted.stage(stage) for stage in stages}

    # Levels come from the matrix, once per risk and stage (at the risk's worst scenario's cell); the portfolio
    # takes the worst of them.
    cells = {stage: {each.risk_id: each.cell(counted[stage]) for each in all_inputs} for stage in stages}
    levels = {
        stage: {risk_id: cell.level if cell else None for risk_id, cell in cells[stage].items()}
        for stage in stages
    }
    simulated = [each for each in all_inputs if _simulated(each)]
    figures: dict[int, dict[str, object]] = {}
    portfolio: dict[str, object]
    if simulated:
        residual_run, projected_run = _simulate_both(
            [[_engine_risk(each, counted[stage]) for each in simulated] for stage in stages[1:]], seed
        )
        for r, each in enumerate(simulated):
            figures[each.risk_id] = _stages_json(
                *(
                    figures_of(losses, levels[stage][each.risk_id], scales, cells[stage][each.risk_id])
                    for stage, losses in (
                        (Stage.INHERENT, residual_run.risks[r].inherent),
                        (Stage.RESIDUAL, residual_run.risks[r].residual),
                        (Stage.PROJECTED, projected_run.risks[r].residual),
                    )
                )
            )
        portfolio = _stages_json(
            *(
                figures_of(losses, _worst(list(levels[stage].values())), scales)
                for stage, losses in (
                    (Stage.INHERENT, residual_run.total.inherent),
                    (Stage.RESIDUAL, residual_run.total.residual),
                    (Stage.PROJECTED, projected_run.total.residual),
                )
            )
        )
    else:
        zero = zero_figures(scales)
        portfolio = _stages_json(zero, zero, zero)
    unscored = _stages_json(*(zero_figures(scales),) * 3)
    simulated_at = time.perf_counter()

    computed_at = timezone.now()
    fingerprints = {each.risk_id: each.fingerprint() for each in all_inputs}
    rows = [
        RiskResult(
            risk_id=each.risk_id,
            fingerprint=fingerprints[each.risk_id],
            computed_at=computed_at,
            iterations=inputs.ITERATIONS,
            seed=seed,
            figures={**figures.get(each.risk_id, unscored), "change": change},
            **RiskResult.columns_of(figures.get(each.risk_id, unscored)),
        )
        for each in all_inputs
    ]
    scenario_rows = [
        row
        for each in all_inputs
        for row in _scenario_results(each, figures.get(each.risk_id, unscored), counted)
    ]
    with transaction.atomic():
        # Risks deleted while we simulated lose their rows with them; the ones left are held until we commit.
        still_there = set(
            BusinessRisk.objects.filter(pk__in=[row.risk_id for row in rows])
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )
        webhook_events.announce_moves_above_appetite(
            organisation, scales, [row for row in rows if row.risk_id in still_there]
        )
        RiskResult.objects.filter(risk__organisation=organisation).exclude(risk_id__in=still_there).delete()
        RiskResult.objects.bulk_create(
            [row for row in rows if row.risk_id in still_there],
            batch_size=1_000,
            update_conflicts=True,
            unique_fields=["risk"],
            update_fields=[
                "fingerprint",
                "computed_at",
                "iterations",
                "seed",
                "figures",
                *RiskResult.COLUMNS,
            ],
        )
        _store_scenario_results(organisation, [row for row in scenario_rows if row.risk_id in still_there])
        PortfolioResult.objects.update_or_create(
            organisation=organisation,
            defaults={
                "fingerprint": inputs.portfolio_fingerprint(fingerprints.values()),
                "computed_at": computed_at,
                "iterations": inputs.ITERATIONS,
                "seed": seed,
                "figures": {**portfolio, "change": change},
            },
        )
    stored = time.perf_counter()
    return Recomputed(
        risks=len(all_inputs),
        simulated=len(simulated),
        reading_s=read - started,
        simulating_s=simulated_at - read,
        storing_s=stored - simulated_at,
    )


def _simulate_both(
    stages: list[list[fair.Risk]], seed: int
) -> tuple[fair.PortfolioLosses, fair.PortfolioLosses]:
    """The residual and the projected runs in one: rates, events and losses drawn once, thinned for each
    stage's controls (the same figures as two runs with the same seed)."""
    residual, projected = fair.simulate_stages(stages, iterations=inputs.ITERATIONS, seed=seed)
    return residual, projected


def _simulated(each: RiskInputs) -> bool:
    return each.magnitude is not None and bool(each.scored)


def _engine_risk(each: RiskInputs, counted: Counted) -> fair.Risk:
    risk = each.engine_risk(counted)
    assert risk is not None  # _simulated checked it has a magnitude
    return risk


def _scenario_results(
    each: RiskInputs, figures: dict[str, object], counted: dict[Stage, Counted]
) -> list[ScenarioResult]:
    """Each scenario's levels and share of its risk's stored expected annual loss, stage by stage."""
    shares: dict[Stage, list[float]] = {}
    for stage in (Stage.INHERENT, Stage.RESIDUAL):
        rates = [s.expected_rate(counted[stage]) for s in each.scenarios]
        total = math.fsum(rates)
        ale = float(figures[stage]["ale_mean"])  # type: ignore[index]
        shares[stage] = [rate / total * ale if total > 0 else 0.0 for rate in rates]
    return [
        ScenarioResult(
            scenario_id=s.scenario_id,
            risk_id=each.risk_id,
            project_id=s.project_id,
            inherent_level=str(s.level(each.scales, each.impact, counted[Stage.INHERENT]) or ""),
            residual_level=str(s.level(each.scales, each.impact, counted[Stage.RESIDUAL]) or ""),
            inherent_ale=shares[Stage.INHERENT][i],
            residual_ale=shares[Stage.RESIDUAL][i],
        )
        for i, s in enumerate(each.scenarios)
    ]


def _store_scenario_results(organisation: Organisation, rows: list[ScenarioResult]) -> None:
    """Replace the organisation's scenario results. A scenario deleted since the inputs were read is left out
    (its deletion queued another recomputation, which writes the rest again)."""
    existing = set(
        Scenario.objects.filter(pk__in=[row.scenario_id for row in rows]).values_list("pk", flat=True)
    )
    ScenarioResult.objects.filter(risk__organisation=organisation).delete()
    ScenarioResult.objects.bulk_create([row for row in rows if row.scenario_id in existing], batch_size=2_000)
