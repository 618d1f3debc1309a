"""What a threat's page and form show of risk: the threat's likelihood in the organisation's words (a level, or a
range of events a year with the level it maps to), and for each business risk the threat can cause, the
scenario's inherent and residual level and expected annual loss, beside the risk's stored figures.

Every level and amount comes from risks.inputs (the one adapter to the engines) and risks.selectors (stored
results); nothing here simulates. Reads take a fixed number of queries however many risks a threat is linked to.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from projects.models import LikelihoodLevel, Organisation, Threat
from risks import inputs
from risks.models import BusinessRisk, ScoringSettings
from risks.scoring import fair
from risks.scoring.levels import Level
from risks.selectors import StoredFigures, stored_figures

MAX_EVENTS_A_YEAR = 1_000_000
FREQUENCY_FIELDS = ("frequency_min", "frequency_mode", "frequency_max")
LEVEL_VALUES = frozenset(level.value for level in Level)


def level_label(level: str | None) -> str:
    """A risk level's name (risk levels are the matrix's, not a scale's: their names do not change)."""
    return str(LikelihoodLevel(level).label) if level else ""


def scale_names(levels: Sequence[Mapping[str, Any]]) -> dict[Level, str]:
    """The organisation's own name of each level of a scale, very low first."""
    return {
        level: str(entry.get("name") or level_label(level))
        for level, entry in zip(Level, levels, strict=True)
    }


def number(value: float) -> str:
    """An events-a-year figure as people say it: 3, 0.5, 0.02, 1,200."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def frequency_text(low: float, mode: float, high: float) -> str:
    if low == mode == high:
        return f"{number(mode)} a year"
    return f"about {number(mode)} a year ({number(low)} to {number(high)})"


@dataclass(frozen=True)
class Likelihood:
    """A threat's likelihood as its pages show it: the level given, or the one its range of events maps to."""

    level: Level | None
    name: str  # the level's name on the organisation's scale
    description: str  # what the level means in business terms
    frequency: tuple[float, float, float] | None  # fewest, most likely, most events a year

    @property
    def derived(self) -> bool:
        return self.frequency is not None

    @property
    def frequency_text(self) -> str:
        return frequency_text(*self.frequency) if self.frequency is not None else ""

    @property
    def text(self) -> str:
        """'Moderate', or 'about 3 a year (1 to 5): Moderate'; '' when not estimated."""
        if self.frequency is not None:
            return f"{frequency_text(*self.frequency)}: {self.name}"
        return self.name


NOT_ESTIMATED = Likelihood(None, "", "", None)


def likelihood_of(
    settings: ScoringSettings, *, level: str = "", frequency: tuple[float, float, float] | None = None
) -> Likelihood:
    """The likelihood of a level or a range (numbers win, as in risks.inputs), on the organisation's scale."""
    scales = inputs.Scales.of(settings)
    found: Level | None
    if frequency is not None:
        found = scales.likelihood.level_of(frequency[1])
    else:
        found = Level(level) if level else None
    if found is None:
        return NOT_ESTIMATED
    entry = settings.likelihood_scale[found.rank]
    return Likelihood(
        found, scale_names(settings.likelihood_scale)[found], str(entry.get("description", "")), frequency
    )


def likelihood_of_threat(threat: Threat, settings: ScoringSettings) -> Likelihood:
    frequency = None
    if threat.frequency_mode is not None:
        low, high = threat.frequency_min, threat.frequency_max
        mode = threat.frequency_mode
        frequency = (low if low is not None else mode, mode, high if high is not None else mode)
    return likelihood_of(settings, level=threat.likelihood, frequency=frequency)


def _number_typed(text: Any) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= MAX_EVENTS_A_YEAR else None


def likelihood_typed(settings: ScoringSettings, data: Mapping[str, Any]) -> Likelihood:
    """The likelihood a threat form holds as typed so far (raw form data, perhaps half-typed), read leniently:
    a range says its level as soon as its most likely value is a number. Without the either/or choice, the
    range when one is given, else the level (as the form reads it)."""
    low, mode, high = (_number_typed(data.get(name, "")) for name in FREQUENCY_FIELDS)
    by = data.get("likelihood_by")
    if by is None:
        by = "range" if mode is not None else "level"
    if by == "range" and mode is not None:
        return likelihood_of(
            settings, frequency=(mode if low is None else low, mode, mode if high is None else high)
        )
    level = str(data.get("likelihood", ""))
    if by == "level" and level in LEVEL_VALUES:
        return likelihood_of(settings, level=level)
    return NOT_ESTIMATED


@dataclass(frozen=True)
class StageOfScenario:
    level: str | None
    annual_loss: float | None  # expected, exact (closed form); None when the scenario is not scored


@dataclass(frozen=True)
class ThreatScenario:
    """One business risk the threat can cause: the scenario's own figures and the risk's stored ones."""

    risk: BusinessRisk
    inherent: StageOfScenario
    residual: StageOfScenario
    stored: StoredFigures | None  # the whole risk's, as last computed; None: not computed yet

    @property
    def scored(self) -> bool:
        return self.inherent.level is not None


def _stage(
    risk: inputs.RiskInputs | None, scenario: inputs.ScenarioInput | None, stage: inputs.Stage
) -> StageOfScenario:
    if risk is None or scenario is None:
        return StageOfScenario(None, None)
    counted = inputs.Counted.stage(stage)
    level = scenario.level(risk.scales, risk.impact, counted)
    if scenario.frequency is None or risk.magnitude is None:
        return StageOfScenario(level, None)
    alone = fair.Risk(
        magnitude=risk.magnitude,
        scenarios=(
            fair.Scenario(
                frequency=scenario.frequency, control_effectiveness=scenario.effectiveness(counted)
            ),
        ),
    )
    loss = alone.expected_annual_loss(residual=True)
    return StageOfScenario(level, loss if math.isfinite(loss) else None)


def scenarios_of_threat(
    organisation: Organisation, threat: Threat, settings: ScoringSettings | None = None
) -> list[ThreatScenario]:
    """The business risks the threat is linked to, by number, with the scenario's inherent and residual figures."""
    risks = list(
        BusinessRisk.objects.filter(organisation=organisation, scenarios__threat=threat)
        .order_by("number")
        .only("pk", "organisation_id", "number", "title", "impact", "loss_low", "loss_high")
    )
    if not risks:
        return []
    ids = [risk.pk for risk in risks]
    found = {each.risk_id: each for each in inputs.risk_inputs(organisation, ids, settings)}
    stored = stored_figures(organisation, ids)
    rows = []
    for risk in risks:
        each = found.get(risk.pk)
        scenario = next((s for s in each.scenarios if s.threat_id == threat.pk), None) if each else None
        rows.append(
            ThreatScenario(
                risk=risk,
                inherent=_stage(each, scenario, inputs.Stage.INHERENT),
                residual=_stage(each, scenario, inputs.Stage.RESIDUAL),
                stored=stored.get(risk.pk),
            )
        )
    return rows
