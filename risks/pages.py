"""What a business risk's page shows, assembled from the engines: its stages (level from the matrix, money from
the stored results), its scenarios and their share of the expected loss, the controls acting on it, its
position against appetite, the planner's recommendation, and the what-if run (simulated in the request).

The register's rows are assembled here too, so the list and the page say the same things the same way.
"""

import math
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from projects.models import Membership, Threat
from projects.roles import Permission
from reports.charts import Chart, Curve, Marker, loss_exceedance_chart
from risks import inputs
from risks.appetite import AcceptanceState, Position, position_of, stored_position
from risks.inputs import Counted, RiskInputs, Scales, Stage
from risks.models import BusinessRisk, Level
from risks.money import Money
from risks.planning import Recommendation, recommend
from risks.scoring import fair
from risks.selectors import StageFigures, StoredFigures

WHAT_IF_SEED = 20_240_601  # the same every time, so toggling back returns the same figures
STAGE_LABELS = {
    Stage.INHERENT: ("Inherent", "No controls."),
    Stage.RESIDUAL: ("Residual", "Implemented and verified controls."),
    Stage.PROJECTED: ("Projected", "Plus the planned and in-progress controls."),
}


@dataclass(frozen=True)
class StageRow:
    stage: Stage
    label: str
    meaning: str
    level: str | None  # from the matrix, on the current inputs
    figures: StageFigures | None  # stored (None: never computed)


@dataclass(frozen=True)
class ScenarioRow:
    scenario_id: int
    threat: Threat
    note: str
    likelihood: str | None
    frequency: str  # "1 to 10 a year (most likely 3)", or the level's range
    inherent: str | None
    residual: str | None
    residual_ale: float | None
    share: float | None  # of the risk's residual expected annual loss
    may_unlink: bool


@dataclass(frozen=True)
class ControlRow:
    control: inputs.ControlOnThreat
    project_id: int
    threats: list[tuple[str, int]]  # (reference, effectiveness %) of the scenarios' threats it acts on
    in_force: bool
    committed: bool


@dataclass(frozen=True)
class WhatIf:
    level: str | None
    ale: float
    p90: float
    p_loss: float
    p_exceeding_tolerance: float | None
    inherent_ale: float
    chart: Chart
    position: Position


def frequency_text(frequency: Any) -> str:
    if frequency is None:
        return "No likelihood yet"
    if isinstance(frequency, inputs.FixedRate):
        return f"{frequency.rate:.3g} a year"
    high = "no upper end" if math.isinf(frequency.high) else f"{frequency.high:.3g}"
    return f"{frequency.low:.3g} to {high} a year (most likely {frequency.mode:.3g})"


def _level(value: Level | str | None) -> str | None:
    return str(value) if value is not None else None


def stage_rows(risk_inputs: RiskInputs, stored: StoredFigures | None) -> list[StageRow]:
    rows = []
    for stage in Stage:
        label, meaning = STAGE_LABELS[stage]
        figures = getattr(stored, stage.value) if stored is not None else None
        rows.append(StageRow(stage, label, meaning, _level(risk_inputs.level(Counted.stage(stage))), figures))
    return rows


def scenario_rows(
    membership: Membership, risk_inputs: RiskInputs, threats: dict[int, Threat], notes: dict[int, str]
) -> list[ScenarioRow]:
    residual = Counted.stage(Stage.RESIDUAL)
    inherent = Counted.stage(Stage.INHERENT)
    magnitude = risk_inputs.magnitude.mean if risk_inputs.magnitude is not None else None
    losses = {
        s.scenario_id: (s.frequency.mean * math.prod(1 - e for e in s.effectiveness(residual)) * magnitude)
        if s.frequency is not None and magnitude is not None
        else None
        for s in risk_inputs.scenarios
    }
    total = sum(loss for loss in losses.values() if loss)
    may_link_all = membership.can(Permission.EDIT_RISK_REGISTER)
    teams = set(membership.teams.values_list("pk", flat=True)) if not may_link_all else set()
    may_edit_team = membership.can(Permission.EDIT_TEAM_PROJECTS)
    rows = []
    for s in risk_inputs.scenarios:
        threat = threats[s.threat_id]
        loss = losses[s.scenario_id]
        rows.append(
            ScenarioRow(
                scenario_id=s.scenario_id,
                threat=threat,
                note=notes.get(s.scenario_id, ""),
                likelihood=_level(s.likelihood),
                frequency=frequency_text(s.frequency),
                inherent=_level(s.level(risk_inputs.scales, risk_inputs.impact, inherent)),
                residual=_level(s.level(risk_inputs.scales, risk_inputs.impact, residual)),
                residual_ale=loss,
                share=(loss / total) if loss is not None and total > 0 else None,
                may_unlink=may_link_all or (may_edit_team and threat.project.team_id in teams),
            )
        )
    return rows


def control_rows(risk_inputs: RiskInputs) -> list[ControlRow]:
    rows: dict[int, ControlRow] = {}
    for s in risk_inputs.scenarios:
        for c in s.controls:
            row = rows.setdefault(
                c.control_id,
                ControlRow(
                    c,
                    s.project_id,
                    [],
                    in_force=c.status in inputs.IN_FORCE,
                    committed=c.status in inputs.COMMITTED,
                ),
            )
            row.threats.append((s.threat_reference, round(c.effectiveness * 100)))
    order = {"verified": 0, "implemented": 1, "in_progress": 2, "planned": 3, "proposed": 4}
    return sorted(rows.values(), key=lambda r: (order.get(r.control.status, 9), r.control.title))


def what_if(
    risk_inputs: RiskInputs, chosen: frozenset[int], acceptance: AcceptanceState, *, title: str
) -> WhatIf | None:
    """Simulate the risk in the request, counting exactly the chosen controls (same seed every time)."""
    counted = Counted(only=chosen)
    engine = risk_inputs.engine_risk(counted)
    if engine is None or not engine.scenarios:
        return None
    losses = fair.simulate_risk(engine, iterations=inputs.WHAT_IF_ITERATIONS, seed=WHAT_IF_SEED)
    scales = risk_inputs.scales
    tolerance = scales.tolerance_amount
    p_exceeding = losses.residual.p_exceeding(tolerance) if tolerance is not None else None
    marker = (
        Marker("Tolerance", tolerance, scales.tolerance_probability)
        if tolerance is not None and scales.tolerance_probability is not None
        else None
    )
    chart = loss_exceedance_chart(
        [
            Curve("Inherent", losses.inherent.exceedance_curve, "inherent"),
            Curve("With the controls ticked", losses.residual.exceedance_curve, "residual"),
        ],
        scales.currency,
        title=title,
        marker=marker,
    )
    level = _level(risk_inputs.level(counted))
    return WhatIf(
        level=level,
        ale=losses.residual.ale_mean,
        p90=losses.residual.percentile(90),
        p_loss=losses.residual.p_loss,
        p_exceeding_tolerance=p_exceeding,
        inherent_ale=losses.inherent.ale_mean,
        chart=chart,
        position=position_of(level, p_exceeding, scales, acceptance),
    )


def in_force_controls(risk_inputs: RiskInputs) -> frozenset[int]:
    return frozenset(c.control_id for c in risk_inputs.controls().values() if c.status in inputs.IN_FORCE)


@dataclass(frozen=True)
class Register:
    """A row of the register: the risk, its stored figures and where it stands."""

    risk: BusinessRisk
    figures: StoredFigures | None
    position: Position
    acceptance: AcceptanceState


def register_rows(
    risks: list[BusinessRisk],
    stored: dict[int, StoredFigures | None],
    acceptances: dict[int, list[Any]],
    scales: Scales,
) -> list[Register]:
    today = timezone.localdate()
    rows = []
    for risk in risks:
        figures = stored.get(risk.pk)
        state = AcceptanceState.of(acceptances.get(risk.pk, []), today)
        rows.append(Register(risk, figures, stored_position(figures, scales, state), state))
    return rows


def recommendation(risk_inputs: RiskInputs, stored: StoredFigures | None = None) -> Recommendation:
    curve = stored.projected.lec if stored is not None else None
    return recommend(risk_inputs, Money(risk_inputs.scales.currency), curve)


def page_position(risk_inputs: RiskInputs, stored: StoredFigures | None, state: AcceptanceState) -> Position:
    """Where the risk stands: its current residual level (exact) and its stored chance of exceeding tolerance."""
    residual = stored.residual if stored is not None else None
    return position_of(
        _level(risk_inputs.level(Counted.stage(Stage.RESIDUAL))),
        residual.p_exceeding_tolerance if residual is not None else None,
        risk_inputs.scales,
        state,
    )
