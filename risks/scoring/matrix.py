"""The qualitative risk matrix: a five-by-five lookup table from (likelihood, impact) to a risk level.

It is a table, not a product of scores: the default, NIST SP 800-30 Rev. 1 Table I-2, rates a very high
likelihood with a very low impact as very low risk, which no multiplication of ranks gives.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from risks.scoring.levels import LEVELS, Level


@dataclass(frozen=True)
class RiskMatrix:
    """`rows[likelihood.rank][impact.rank]` is the level of risk."""

    rows: tuple[tuple[Level, ...], ...]

    def __post_init__(self) -> None:
        if len(self.rows) != len(LEVELS) or any(len(row) != len(LEVELS) for row in self.rows):
            raise ValueError("A risk matrix has five rows (likelihood) of five levels (impact).")
        if any(not isinstance(cell, Level) for row in self.rows for cell in row):
            raise ValueError("Every cell of a risk matrix is a level.")

    @classmethod
    def from_levels(cls, by_likelihood: Mapping[Level, Sequence[Level]]) -> "RiskMatrix":
        """From each likelihood's row, its cells in impact order from very_low to very_high."""
        return cls(tuple(tuple(Level(cell) for cell in by_likelihood[likelihood]) for likelihood in LEVELS))

    def level(self, likelihood: Level, impact: Level) -> Level:
        return self.rows[Level(likelihood).rank][Level(impact).rank]


_VL, _L, _M, _H, _VH = LEVELS

# NIST SP 800-30 Rev. 1, Appendix I, Table I-2: "Assessment scale - level of risk (combination of likelihood
# and impact)". Rows are the likelihood that a threat event occurs and results in adverse impact.
NIST_SP_800_30 = RiskMatrix.from_levels(
    {
        Level.VERY_LOW: (_VL, _VL, _VL, _L, _L),
        Level.LOW: (_VL, _L, _L, _L, _M),
        Level.MODERATE: (_VL, _L, _M, _M, _H),
        Level.HIGH: (_VL, _L, _M, _H, _VH),
        Level.VERY_HIGH: (_VL, _L, _M, _H, _VH),
    }
)
