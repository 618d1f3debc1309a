"""From the register to the engines: an organisation's scales, and each business risk's scenarios as
risks.scoring objects, read in a fixed number of queries however many risks and scenarios there are.

The two views agree because one rule maps between them:
- a level stands for its range on the organisation's scale: as a frequency or magnitude it is a PERT over the
  range with its peak at the range's geometric middle (the arithmetic one when the range starts at 0; a last,
  open range is taken to end ten times above its start);
- a number maps to the level whose range holds it; for a range of numbers, the level of its most likely value
  (a frequency's mode, a loss interval's median).

Controls act on a scenario's threat: inherent counts none, residual the implemented and verified ones, projected
adds the planned and in-progress ones as well. A what-if run names the controls to count instead.
"""

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from projects.models import IN_FORCE_STATUSES, ControlStatus, Organisation, Threat, ThreatControl
from risks.models import BusinessRisk, Scenario, ScoringSettings
from risks.scoring import fair
from risks.scoring.distributions import FixedRate, Lognormal90, Pert
from risks.scoring.levels import Level, LevelScale
from risks.scoring.matrix import NIST_SP_800_30, RiskMatrix

ITERATIONS = 20_000  # stored results
WHAT_IF_ITERATIONS = 10_000  # simulated in the request


class Stage(StrEnum):
    INHERENT = "inherent"  # no controls
    RESIDUAL = "residual"  # implemented and verified controls
    PROJECTED = "projected"  # plus the planned and in-progress ones


IN_FORCE = IN_FORCE_STATUSES
COMMITTED = IN_FORCE | {ControlStatus.PLANNED, ControlStatus.IN_PROGRESS}
STAGE_STATUSES: dict[Stage, frozenset[str]] = {
    Stage.INHERENT: frozenset(),
    Stage.RESIDUAL: frozenset(IN_FORCE),
    Stage.PROJECTED: frozenset(COMMITTED),
}

# Defaults for an organisation that has not set its own: names and what each level means in business terms.
DEFAULT_LIKELIHOOD_SCALE: list[dict[str, Any]] = [
    {"name": "Very low", "description": "Less than once in ten years.", "low": 0, "high": 0.1},
    {"name": "Low", "description": "Once in one to ten years.", "low": 0.1, "high": 1},
    {"name": "Moderate", "description": "One to ten times a year.", "low": 1, "high": 10},
    {"name": "High", "description": "Ten to a hundred times a year.", "low": 10, "high": 100},
    {"name": "Very high", "description": "More than a hundred times a year.", "low": 100, "high": None},
]
DEFAULT_IMPACT_SCALE: list[dict[str, Any]] = [
    {"name": "Very low", "description": "Absorbed in the day-to-day budget.", "low": 0, "high": 10_000},
    {"name": "Low", "description": "A line in a team's budget.", "low": 10_000, "high": 100_000},
    {
        "name": "Moderate",
        "description": "A department's quarter is affected.",
        "low": 100_000,
        "high": 1_000_000,
    },
    {
        "name": "High",
        "description": "The year's results are affected; the board is told.",
        "low": 1_000_000,
        "high": 10_000_000,
    },
    {
        "name": "Very high",
        "description": "Threatens the organisation: regulators, press, survival.",
        "low": 10_000_000,
        "high": None,
    },
]
DEFAULT_MATRIX: list[list[str]] = [[str(cell) for cell in row] for row in NIST_SP_800_30.rows]


def scale_of(levels: list[Mapping[str, Any]]) -> LevelScale:
    """A stored five-level scale as the engines' LevelScale (contiguous ranges; the last may be open)."""
    edges = [float(level["low"]) for level in levels]
    last = levels[-1].get("high")
    edges.append(math.inf if last in (None, "") else float(last))
    return LevelScale(tuple(edges))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Scales:
    likelihood: LevelScale
    impact: LevelScale
    matrix: RiskMatrix
    currency: str
    appetite_level: Level
    tolerance_amount: float | None
    tolerance_probability: float | None  # a fraction, 0 to 1

    @classmethod
    def of(cls, settings: ScoringSettings) -> "Scales":
        return cls(
            likelihood=scale_of(settings.likelihood_scale),
            impact=scale_of(settings.impact_scale),
            matrix=RiskMatrix(tuple(tuple(Level(cell) for cell in row) for row in settings.matrix)),
            currency=settings.currency,
            appetite_level=Level(settings.appetite_level),
            tolerance_amount=float(settings.tolerance_amount)
            if settings.tolerance_amount is not None
            else None,
            tolerance_probability=(
                float(settings.tolerance_probability) / 100
                if settings.tolerance_probability is not None
                else None
            ),
        )


def level_range(scale: LevelScale, level: Level) -> Pert:
    """What a level stands for, as a range to simulate: a PERT over its band (see the module's note)."""
    low, high = scale.range_of(Level(level))
    if math.isinf(high):
        high = low * 10 if low > 0 else 1.0
    mode = math.sqrt(low * high) if low > 0 else (low + high) / 2
    return Pert(low, mode, high)


def frequency_of(threat: Any, scales: Scales) -> FixedRate | Pert | None:
    """A threat's events per year: its range when given, else its level's range; None when it has neither."""
    if threat.frequency_mode is not None:
        low, mode, high = threat.frequency_min, threat.frequency_mode, threat.frequency_max
        return FixedRate(mode) if low == high == mode else Pert(low, mode, high)
    if threat.likelihood:
        return level_range(scales.likelihood, Level(threat.likelihood))
    return None


def likelihood_level_of(threat: Any, scales: Scales) -> Level | None:
    if threat.frequency_mode is not None:
        return scales.likelihood.level_of(threat.frequency_mode)
    return Level(threat.likelihood) if threat.likelihood else None


def magnitude_of(risk: Any, scales: Scales) -> Lognormal90 | Pert | None:
    if risk.loss_low is not None and risk.loss_high is not None:
        return Lognormal90(float(risk.loss_low), float(risk.loss_high))
    if risk.impact:
        return level_range(scales.impact, Level(risk.impact))
    return None


def impact_level_of(risk: Any, scales: Scales) -> Level | None:
    if risk.loss_low is not None and risk.loss_high is not None:
        return scales.impact.level_of(math.sqrt(float(risk.loss_low) * float(risk.loss_high)))  # the median
    return Level(risk.impact) if risk.impact else None


def most_likely(frequency: FixedRate | Pert) -> float:
    return frequency.rate if isinstance(frequency, FixedRate) else frequency.mode


@dataclass(frozen=True)
class ControlOnThreat:
    control_id: int
    title: str
    status: str
    effectiveness: float  # a fraction, 0 to 1
    cost_per_year: float | None


@dataclass(frozen=True)
class ScenarioInput:
    scenario_id: int
    threat_id: int
    threat_reference: str
    project_id: int
    frequency: (
        FixedRate | Pert | None
    )  # None: the threat has no likelihood yet, so the scenario is not scored
    likelihood: Level | None
    controls: tuple[ControlOnThreat, ...]

    def effectiveness(self, counted: "Counted") -> tuple[float, ...]:
        return tuple(c.effectiveness for c in self.controls if counted.counts(c))

    def likelihood_after(self, scales: Scales, counted: "Counted") -> Level | None:
        """The likelihood level of its most likely frequency after the counted controls; None when unscored."""
        if self.frequency is None:
            return None
        factor = math.prod(1 - e for e in self.effectiveness(counted))
        return scales.likelihood.level_of(most_likely(self.frequency) * factor)

    def level(self, scales: Scales, impact: Level | None, counted: "Counted") -> Level | None:
        """The scenario's level from the matrix: its likelihood after the counted controls, by the impact."""
        likelihood = self.likelihood_after(scales, counted)
        if likelihood is None or impact is None:
            return None
        return scales.matrix.level(likelihood, impact)

    def expected_rate(self, counted: "Counted") -> float:
        """Events a year on average after the counted controls (0 when unscored)."""
        if self.frequency is None:
            return 0.0
        return self.frequency.mean * math.prod(1 - e for e in self.effectiveness(counted))


@dataclass(frozen=True)
class Counted:
    """Which controls a run counts: those in a stage's statuses, or (what-if) exactly the named ones."""

    statuses: frozenset[str] = frozenset()
    only: frozenset[int] | None = None

    @classmethod
    def stage(cls, stage: Stage) -> "Counted":
        return cls(statuses=STAGE_STATUSES[Stage(stage)])

    def counts(self, control: ControlOnThreat) -> bool:
        return control.control_id in self.only if self.only is not None else control.status in self.statuses


@dataclass(frozen=True)
class Cell:
    likelihood: Level
    impact: Level
    level: Level


@dataclass(frozen=True)
class RiskInputs:
    risk_id: int
    magnitude: Lognormal90 | Pert | None
    impact: Level | None
    scenarios: tuple[ScenarioInput, ...]
    scales: Scales = field(repr=False)

    @property
    def scored(self) -> tuple[ScenarioInput, ...]:
        return tuple(s for s in self.scenarios if s.frequency is not None)

    def engine_risk(self, counted: Counted) -> fair.Risk | None:
        """The risk as the Monte Carlo engine takes it; None when it has no impact or no scored scenario."""
        if self.magnitude is None:
            return None
        scenarios = tuple(
            fair.Scenario(
                frequency=s.frequency, control_effectiveness=s.effectiveness(counted), threat=s.threat_id
            )
            for s in self.scored
            if s.frequency is not None
        )
        return fair.Risk(magnitude=self.magnitude, scenarios=scenarios)

    def expected_annual_loss(self, counted: Counted) -> float | None:
        risk = self.engine_risk(counted)
        return risk.expected_annual_loss(residual=True) if risk is not None else None

    def level(self, counted: Counted) -> Level | None:
        """A business risk takes the worst level of its scenarios."""
        cell = self.cell(counted)
        return cell.level if cell is not None else None

    def cell(self, counted: Counted) -> "Cell | None":
        """Where the risk sits in the likelihood-by-impact matrix: at its worst scenario (of two as bad, the
        more likely); None when no scenario is scored or the risk has no impact."""
        if self.impact is None:
            return None
        cells = [
            Cell(likelihood, self.impact, self.scales.matrix.level(likelihood, self.impact))
            for s in self.scenarios
            if (likelihood := s.likelihood_after(self.scales, counted)) is not None
        ]
        return max(cells, key=lambda c: (c.level.rank, c.likelihood.rank)) if cells else None

    def controls(self) -> dict[int, ControlOnThreat]:
        """Every control acting on the risk's scenarios, once."""
        return {c.control_id: c for s in self.scenarios for c in s.controls}

    def fingerprint(self) -> str:
        return _digest(
            [
                self.risk_id,
                repr(self.magnitude),
                self.impact,
                [repr(s) for s in self.scenarios],
                repr(self.scales),
            ]
        )


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, default=str, sort_keys=True).encode()).hexdigest()


def portfolio_fingerprint(fingerprints: Iterable[str]) -> str:
    """The portfolio's fingerprint, from its risks' fingerprints (each taken once, by the caller)."""
    return _digest(list(fingerprints))


def settings_of(organisation: Organisation) -> ScoringSettings:
    """The organisation's scoring settings, or (unsaved) the defaults until someone saves their own."""
    found = ScoringSettings.objects.filter(organisation=organisation).first()
    return found or default_settings(organisation)


def default_settings(organisation: Organisation) -> ScoringSettings:
    return ScoringSettings(
        organisation=organisation,
        likelihood_scale=[dict(level) for level in DEFAULT_LIKELIHOOD_SCALE],
        impact_scale=[dict(level) for level in DEFAULT_IMPACT_SCALE],
        matrix=[list(row) for row in DEFAULT_MATRIX],
    )


class _ThreatRow(NamedTuple):
    """The fields of a threat that its scenarios score by (read by risk_inputs without building models)."""

    pk: int
    number: int
    project_id: int
    likelihood: str
    frequency_min: float | None
    frequency_mode: float | None
    frequency_max: float | None


def risk_inputs(
    organisation: Organisation,
    risk_ids: Iterable[int] | None = None,
    settings: ScoringSettings | None = None,
    *,
    project: int | None = None,
) -> list[RiskInputs]:
    """Each business risk of the organisation (or the named ones) with its scenarios, in five queries.

    With `project`, each risk carries only the scenarios of that project's threats: enough for what each of
    them scores (a project's report), never for a risk's own figures, which need all its scenarios."""
    scales = Scales.of(settings or settings_of(organisation))  # `settings`: the caller read them already
    risks = BusinessRisk.objects.filter(organisation=organisation).order_by("number")
    if risk_ids is not None:
        risks = risks.filter(pk__in=list(risk_ids))
    risk_rows = list(risks.only("pk", "impact", "loss_low", "loss_high"))
    of_risks = Scenario.objects.filter(risk__in=[r.pk for r in risk_rows])
    if project is not None:
        of_risks = of_risks.filter(threat__project=project)
    scenarios = list(
        of_risks.order_by("risk_id", "threat__project_id", "threat__number").values_list(
            "pk", "risk_id", "threat_id"
        )
    )
    # The threats and their controls are read by a subquery of the scenarios rather than a list of their ids
    # (50,000 in a large estate: sending them took longer than the reading), as plain rows, not models.
    linked = of_risks.values("threat_id")
    threats = {
        row.pk: row
        for row in map(
            _ThreatRow._make,
            Threat.objects.filter(pk__in=linked, project__organisation=organisation).values_list(
                "pk", "number", "project_id", "likelihood", "frequency_min", "frequency_mode", "frequency_max"
            ),
        )
    }
    controls: dict[int, list[ControlOnThreat]] = defaultdict(list)
    for threat_id, control_id, title, status, effectiveness, cost in (
        ThreatControl.objects.filter(threat_id__in=linked)
        .order_by("control__title", "control_id")
        .values_list(
            "threat_id",
            "control_id",
            "control__title",
            "control__status",
            "effectiveness",
            "control__cost_per_year",
        )
    ):
        controls[threat_id].append(
            ControlOnThreat(
                control_id, title, status, effectiveness / 100, float(cost) if cost is not None else None
            )
        )
    # What a threat brings to each of its scenarios is worked out once, however many risks it leads to.
    of_threat: dict[int, dict[str, Any]] = {}
    for threat in threats.values():
        of_threat[threat.pk] = {
            "threat_id": threat.pk,
            "threat_reference": f"T-{threat.number}",
            "project_id": threat.project_id,
            "frequency": frequency_of(threat, scales),
            "likelihood": likelihood_level_of(threat, scales),
            "controls": tuple(controls[threat.pk]),
        }
    by_risk: dict[int, list[ScenarioInput]] = defaultdict(list)
    for scenario_id, risk_id, threat_id in scenarios:
        by_risk[risk_id].append(ScenarioInput(scenario_id=scenario_id, **of_threat[threat_id]))
    return [
        RiskInputs(
            risk_id=risk.pk,
            magnitude=magnitude_of(risk, scales),
            impact=impact_level_of(risk, scales),
            scenarios=tuple(by_risk[risk.pk]),
            scales=scales,
        )
        for risk in risk_rows
    ]
