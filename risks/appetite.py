"""A business risk's position against the organisation's appetite, as every page says it.

Above appetite: the residual level is above the highest acceptable level, or the chance of losing more than the
tolerance amount in a year is above the tolerance probability. An approved acceptance that has not run out
makes the risk accepted whatever its position; one that ran out puts it back where its residual figures say,
and the pages say so.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from risks.inputs import Scales
from risks.models import AcceptanceStatus, RiskAcceptance
from risks.scoring.levels import Level
from risks.selectors import StoredFigures


class Standing(StrEnum):
    UNSCORED = "unscored"
    WITHIN = "within"
    ABOVE = "above"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class Position:
    standing: Standing
    above: bool  # the residual figures are above appetite (whether or not the risk is accepted)
    level_above: bool
    tolerance_above: bool | None  # None: no tolerance set, or no figure to compare
    accepted_until: datetime.date | None
    expired_on: datetime.date | None  # the last acceptance ran out on this date, and none is in force

    @property
    def label(self) -> str:
        return {
            Standing.UNSCORED: "Not scored yet",
            Standing.WITHIN: "Within appetite",
            Standing.ABOVE: "Above appetite",
            Standing.ACCEPTED: "Accepted",
        }[self.standing]


@dataclass(frozen=True)
class AcceptanceState:
    """What a risk's acceptances say now: the one in force, the latest that ran out, the one waiting."""

    in_force: RiskAcceptance | None
    expired: RiskAcceptance | None
    waiting: RiskAcceptance | None

    @classmethod
    def of(cls, acceptances: Iterable[RiskAcceptance], today: datetime.date) -> "AcceptanceState":
        rows = list(acceptances)
        in_force = max((a for a in rows if a.in_force(today)), key=lambda a: a.expires_on, default=None)
        expired = max((a for a in rows if a.expired(today)), key=lambda a: a.expires_on, default=None)
        waiting = next((a for a in rows if a.status == AcceptanceStatus.REQUESTED), None)
        return cls(in_force, None if in_force else expired, waiting)


NO_ACCEPTANCE = AcceptanceState(None, None, None)


def position_of(
    level: str | None,
    p_exceeding_tolerance: float | None,
    scales: Scales,
    acceptance: AcceptanceState = NO_ACCEPTANCE,
) -> Position:
    level_above = level is not None and Level(level).rank > scales.appetite_level.rank
    tolerance_above = (
        p_exceeding_tolerance > scales.tolerance_probability
        if p_exceeding_tolerance is not None and scales.tolerance_probability is not None
        else None
    )
    above = level_above or bool(tolerance_above)
    if acceptance.in_force is not None:
        standing = Standing.ACCEPTED
    elif level is None:
        standing = Standing.UNSCORED
    else:
        standing = Standing.ABOVE if above else Standing.WITHIN
    return Position(
        standing=standing,
        above=above,
        level_above=level_above,
        tolerance_above=tolerance_above,
        accepted_until=acceptance.in_force.expires_on if acceptance.in_force else None,
        expired_on=acceptance.expired.expires_on if acceptance.expired else None,
    )


def stored_position(figures: StoredFigures | None, scales: Scales, acceptance: AcceptanceState) -> Position:
    """Where a risk stands by its stored residual figures (the register's rows, the API)."""
    residual = figures.residual if figures is not None else None
    if residual is None:
        return position_of(None, None, scales, acceptance)
    return position_of(residual.level, residual.p_exceeding_tolerance, scales, acceptance)
