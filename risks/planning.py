"""Where to stop on one business risk: its proposed controls, ranked by the planner (risks.scoring.planner).

A proposed control's effectiveness FOR THIS RISK is the share of the risk's expected annual loss it removes on
top of the projected stage (the controls in force, planned and in progress): 1 - ALE with it / ALE without it,
both exact (closed form). A control acting on one of three scenarios removes only that scenario's share, so
the planner sees what the control does to this risk, not to its threat. The plan starts from the projected
expected annual loss and stops at the organisation's annual-loss tolerance when one is set.

Controls without a cost cannot be ranked (the return on a cost nobody gave is unknown); controls that cost
nothing are worth doing whatever they remove, so they are named apart and not ranked either.
"""

from dataclasses import dataclass

from risks.inputs import COMMITTED, ControlOnThreat, Counted, RiskInputs
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
    appetite_amount: float | None  # the organisation's annual-loss tolerance amount, when set
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
    without = risk.expected_annual_loss(Counted(only=base))
    with_it = risk.expected_annual_loss(Counted(only=base | {control_id}))
    if not without or with_it is None:
        return 0.0
    return min(max(1 - with_it / without, 0.0), 1.0)


def projected_controls(risk: RiskInputs) -> frozenset[int]:
    return frozenset(c.control_id for c in risk.controls().values() if c.status in COMMITTED)


def recommend(risk: RiskInputs, money: Money) -> Recommendation:
    """The planner's recommendation for the risk's proposed controls; `money` writes amounts in the reason."""
    base = projected_controls(risk)
    projected = risk.expected_annual_loss(Counted(only=base))
    appetite = risk.scales.tolerance_amount
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
    effect = {c.control_id: effectiveness_for_risk(risk, c.control_id, base) for c in priced}
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
    within = f"within the tolerance of {money(appetite)}" if appetite is not None else ""
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
                f" The expected annual loss stays at {money(plan.residual_ale)}, above the tolerance of "
                f"{money(appetite)}: find cheaper or more effective controls, transfer the risk, or request "
                "its acceptance."
            )
    else:  # exhausted (no budget is given, so the planner never stops for one)
        if not chosen:
            text = "No proposed control with a cost acts on this risk yet."
        else:
            text = "Do all of them: each removes more expected loss than it costs."
            if appetite is not None and plan.residual_ale > appetite:
                text += (
                    f" Even then the expected annual loss ({money(plan.residual_ale)}) stays above the "
                    f"tolerance of {money(appetite)}: propose more controls, transfer the risk, or request "
                    "its acceptance."
                )
    return text + free + unpriced
