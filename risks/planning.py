"""Where to stop on one business risk: its proposed controls, ranked by the planner (risks.scoring.planner).

A proposed control's effectiveness FOR THIS RISK is the share of the risk's expected annual loss it removes on
top of the projected stage (the controls in force, planned and in progress): 1 - ALE with it / ALE without it,
both exact (closed form). A control acting on one of three scenarios removes only that scenario's share, so
the planner sees what the control does to this risk, not to its threat. The plan starts from the projected
expected annual loss and stops at the organisation's annual-loss tolerance when one is set.

Controls without a cost cannot be ranked (the return on a cost nobody gave is unknown); controls that cost
nothing are worth doing whatever they remove, so they are named apart and not ranked either.
"""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from risks.inputs import COMMITTED, ControlOnThreat, Counted, RiskInputs, Scales
from risks.money import Money
from risks.scoring.planner import CandidateControl, Plan, PlannedControl, StopReason, plan_controls
from risks.scoring.planner import gordon_loeb_cap as _gordon_loeb_cap


@dataclass(frozen=True)
class RankedControl:
    control: ControlOnThreat
    planned: PlannedControl
    rank: int  # 1 for the first to do

    @property
    def selected(self) -> bool:
        return self.planned.selected


@dataclass(frozen=True)
class Recommendation:
    projected_ale: (
        float | None
    )  # None when the risk is not scored (no impact, or no scenario with a likelihood)
    appetite_amount: float | None  # the expected annual loss at which the risk meets the tolerance, when set
    ranked: tuple[RankedControl, ...]  # chosen first, in the order to do them, then the others
    free: tuple[ControlOnThreat, ...]  # proposed controls that cost nothing
    unpriced: tuple[ControlOnThreat, ...]  # proposed controls without a cost: give one to rank them
    useless: tuple[ControlOnThreat, ...]  # proposed controls that remove nothing from this risk
    plan: Plan | None
    reason: str  # where to stop, and why, in plain words

    @property
    def to_do(self) -> tuple[RankedControl, ...]:
        return tuple(each for each in self.ranked if each.selected)

    @property
    def gordon_loeb_cap(self) -> float | None:
        return _gordon_loeb_cap(self.projected_ale) if self.projected_ale is not None else None


def effectiveness_for_risk(risk: RiskInputs, control_id: int, base: frozenset[int]) -> float:
    """The share of the risk's expected annual loss the control removes when added to the `base` controls."""
    return effects_for_risk(risk, [control_id], base)[control_id]


def effects_for_risk(risk: RiskInputs, control_ids: Sequence[int], base: frozenset[int]) -> dict[int, float]:
    """effectiveness_for_risk for each control, from the scenarios' expected event rates.

    The expected annual loss is the loss per event's mean times the sum of the scenarios' rates, so a control
    removes exactly the rate it takes off the scenarios it acts on: each control is weighed over its own
    scenarios, not by building the whole risk twice (which made an estate's plans take minutes)."""
    if risk.magnitude is None:
        return dict.fromkeys(control_ids, 0.0)
    counted = Counted(only=base)
    scored = risk.scored
    rates = [s.expected_rate(counted) for s in scored]
    without = math.fsum(rates)
    acting_on: dict[int, list[int]] = {}
    for index, scenario in enumerate(scored):
        for control in scenario.controls:
            acting_on.setdefault(control.control_id, []).append(index)
    effects = {}
    for control_id in control_ids:
        with_it = Counted(only=base | {control_id})
        removed = math.fsum(
            rates[i] - scored[i].expected_rate(with_it) for i in acting_on.get(control_id, ())
        )
        effects[control_id] = min(max(removed / without, 0.0), 1.0) if without else 0.0
    return effects


def projected_controls(risk: RiskInputs) -> frozenset[int]:
    return frozenset(c.control_id for c in risk.controls().values() if c.status in COMMITTED)


def tolerated_expected_loss(
    scales: Scales, curve: Sequence[tuple[float, float]], expected: float
) -> float | None:
    """The expected annual loss at which the risk would meet the tolerance (at most P % chance of losing more
    than X in a year), read off its loss exceedance curve: find the amount A the curve exceeds with chance P;
    with the shape of its losses kept, scaling the expected loss by X / A brings that amount to X. None without
    a tolerance; infinite when the chance of any loss is already within P.

    Controls thin events out rather than scale each loss, so this is a close, explainable stand-in for
    "within tolerance", not a new simulation; the figures above it on the page are the simulated ones."""
    amount, chance = scales.tolerance_amount, scales.tolerance_probability
    if amount is None or chance is None or expected <= 0:
        return None
    points = sorted((a, p) for a, p in curve if a > 0)
    if not points or points[0][1] <= chance:
        return math.inf
    for (a0, p0), (a1, p1) in itertools.pairwise(points):
        if p1 <= chance < p0:  # interpolate on a log scale of amounts, as the curve is drawn
            share = (p0 - chance) / (p0 - p1)
            crossing = math.exp(math.log(a0) + share * (math.log(a1) - math.log(a0)))
            return expected * amount / crossing
    return expected * amount / points[-1][0]  # beyond the curve's last point: as strict as it can tell


def recommend(
    risk: RiskInputs, money: Money, curve: Sequence[tuple[float, float]] | None = None
) -> Recommendation:
    """The planner's recommendation for the risk's proposed controls; `money` writes amounts in the reason.
    `curve` is the risk's stored loss exceedance curve at the projected stage, so the plan stops where the page
    says the risk meets its tolerance; without one, the tolerance amount stands in for the expected loss."""
    base = projected_controls(risk)
    projected = risk.expected_annual_loss(Counted(only=base))
    appetite = risk.scales.tolerance_amount
    if curve and projected:
        appetite = tolerated_expected_loss(risk.scales, curve, projected)
    proposed = [c for c in risk.controls().values() if c.control_id not in base]
    unpriced = tuple(c for c in proposed if c.cost_per_year is None)
    priced = [c for c in proposed if c.cost_per_year is not None]
    if projected is None or projected <= 0:
        reason = (
            "Nothing to plan yet: give the risk an impact and link threats that have a likelihood."
            if projected is None
            else "Nothing to plan: no scenario of this risk is expected to cause a loss."
        )
        return Recommendation(projected, appetite, (), (), unpriced, tuple(priced), None, reason)
    effect = effects_for_risk(risk, [c.control_id for c in priced], base)
    useless = tuple(c for c in priced if effect[c.control_id] <= 0)
    free = tuple(c for c in priced if c.cost_per_year == 0 and effect[c.control_id] > 0)
    candidates = [c for c in priced if c.cost_per_year and effect[c.control_id] > 0]
    by_name = {_key(c): c for c in candidates}
    plan = plan_controls(
        projected,
        [CandidateControl(_key(c), float(c.cost_per_year or 0), effect[c.control_id]) for c in candidates],
        appetite=appetite,
    )
    ranked = tuple(
        RankedControl(by_name[planned.name], planned, rank)
        for rank, planned in enumerate(plan.controls, start=1)
    )
    reason = _reason(plan, ranked, appetite, money, bool(free), bool(unpriced))
    return Recommendation(projected, appetite, ranked, free, unpriced, useless, plan, reason)


def _key(control: ControlOnThreat) -> str:
    return str(control.control_id)


def _reason(
    plan: Plan,
    ranked: tuple[RankedControl, ...],
    appetite: float | None,
    money: Money,
    has_free: bool,
    has_unpriced: bool,
) -> str:
    chosen = [each for each in ranked if each.selected]
    rest = [each for each in ranked if not each.selected]
    last = f"“{chosen[-1].control.title}”" if chosen else ""
    free = " Do the controls that cost nothing as well." if has_free else ""
    unpriced = " Give the other proposed controls a cost to rank them." if has_unpriced else ""
    within = (
        f"within the tolerance (an expected loss of at most {money(appetite)} a year keeps the chance of a "
        "year above the tolerance amount within bounds)"
        if appetite is not None and math.isfinite(appetite)
        else "within the tolerance"
    )
    if plan.stop_reason == StopReason.WITHIN_APPETITE:
        if not chosen:
            text = (
                f"Nothing more to do: the expected annual loss with the controls already committed "
                f"({money(plan.ale)}) is {within}."
            )
        else:
            text = (
                f"Stop after {last}: the expected annual loss is then {money(plan.residual_ale)}, {within}. "
                "Further controls would spend money the risk appetite does not ask for."
            )
    elif plan.stop_reason == StopReason.NO_POSITIVE_RETURN:
        if not rest:
            text = "None of the proposed controls removes more expected loss than it costs."
        else:
            upcoming = rest[0]
            start = f"Stop after {last}" if chosen else "Do none of them"
            text = (
                f"{start}: the next one, “{upcoming.control.title}”, would remove "
                f"{money(upcoming.planned.delta_ale)} a year but costs {money(upcoming.planned.cost)}, "
                "more than it saves."
            )
        if appetite is not None and plan.residual_ale > appetite:
            text += (
                f" The expected annual loss stays at {money(plan.residual_ale)}, above the {money(appetite)} "
                "at which the risk would meet its tolerance: find cheaper or more effective controls, transfer "
                "the risk, or request its acceptance."
            )
    else:  # exhausted (no budget is given, so the planner never stops for one)
        if not chosen:
            text = "No proposed control with a cost acts on this risk yet."
        else:
            text = "Do all of them: each removes more expected loss than it costs."
            if appetite is not None and plan.residual_ale > appetite:
                text += (
                    f" Even then the expected annual loss ({money(plan.residual_ale)}) stays above the "
                    f"{money(appetite)} at which the risk would meet its tolerance: propose more controls, "
                    "transfer the risk, or request its acceptance."
                )
    return text + free + unpriced
