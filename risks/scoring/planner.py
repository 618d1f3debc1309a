"""The control planner: which proposed controls are worth their cost, in which order, and where to stop.

Greedy by marginal return: at each step every remaining control is valued after the ones already chosen
(its reduction is the current residual annual loss x its effectiveness, since controls multiply the rate
down), and the one that removes the most expected loss per unit of cost is chosen next. Its return on
security investment is (reduction - cost) / cost.

The plan stops, and says why (`StopReason`):
- ``within_appetite``: the residual annual loss is at or below the appetite;
- ``no_positive_return``: no remaining control removes more loss than it costs;
- ``budget``: controls with a positive return remain, but none fits in what is left of the budget
  (a control that does not fit is passed over for a cheaper one that does);
- ``exhausted``: every candidate was chosen.

The Gordon-Loeb bound, expected loss / e, is the ceiling of sensible yearly spend on protecting it.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class StopReason(StrEnum):
    WITHIN_APPETITE = "within_appetite"
    NO_POSITIVE_RETURN = "no_positive_return"
    BUDGET = "budget"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class CandidateControl:
    name: str
    cost: float  # per year, money
    effectiveness: float  # fraction of the rate it removes, 0 to 1

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cost) and self.cost > 0):
            raise ValueError(f"{self.name}: a control's cost per year is more than 0, not {self.cost}.")
        if not (math.isfinite(self.effectiveness) and 0 <= self.effectiveness <= 1):
            raise ValueError(
                f"{self.name}: effectiveness is a fraction from 0 to 1, not {self.effectiveness}."
            )

    def reduction(self, residual_ale: float) -> float:
        return residual_ale * self.effectiveness

    def rosi(self, residual_ale: float) -> float:
        return (self.reduction(residual_ale) - self.cost) / self.cost


@dataclass(frozen=True)
class PlannedControl:
    name: str
    cost: float
    effectiveness: float
    delta_ale: float  # expected annual loss it removes, after the controls chosen before it
    rosi: float
    selected: bool


@dataclass(frozen=True)
class Plan:
    """Chosen controls in the order chosen, then the others ranked as if added after them."""

    controls: tuple[PlannedControl, ...]
    stop_reason: StopReason
    ale: float
    residual_ale: float
    total_cost: float
    gordon_loeb_cap: float


def gordon_loeb_cap(ale: float) -> float:
    return ale / math.e


def plan_controls(
    ale: float,
    candidates: Sequence[CandidateControl],
    *,
    appetite: float | None = None,
    budget: float | None = None,
) -> Plan:
    # An infinite appetite is a real answer: a risk whose every loss is already within tolerance.
    unbounded_appetite = appetite == math.inf
    for name, value in (
        ("ale", ale),
        ("appetite", None if unbounded_appetite else appetite),
        ("budget", budget),
    ):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} is an amount from 0 up, not {value}.")
    residual, spent = ale, 0.0
    remaining = list(candidates)
    chosen: list[PlannedControl] = []
    while True:
        if appetite is not None and residual <= appetite:
            reason = StopReason.WITHIN_APPETITE
            break
        if not remaining:
            reason = StopReason.EXHAUSTED
            break
        worth_it = [c for c in remaining if c.rosi(residual) > 0]
        if not worth_it:
            reason = StopReason.NO_POSITIVE_RETURN
            break
        affordable = [c for c in worth_it if budget is None or spent + c.cost <= budget]
        if not affordable:
            reason = StopReason.BUDGET
            break
        best = max(affordable, key=lambda c: c.reduction(residual) / c.cost)  # first of equals wins
        chosen.append(_planned(best, residual, selected=True))
        remaining.remove(best)
        residual -= best.reduction(residual)
        spent += best.cost
    rest = sorted(remaining, key=lambda c: c.reduction(residual) / c.cost, reverse=True)
    return Plan(
        controls=(*chosen, *(_planned(c, residual, selected=False) for c in rest)),
        stop_reason=reason,
        ale=ale,
        residual_ale=residual,
        total_cost=spent,
        gordon_loeb_cap=gordon_loeb_cap(ale),
    )


def _planned(control: CandidateControl, residual: float, *, selected: bool) -> PlannedControl:
    return PlannedControl(
        name=control.name,
        cost=control.cost,
        effectiveness=control.effectiveness,
        delta_ale=control.reduction(residual),
        rosi=control.rosi(residual),
        selected=selected,
    )
