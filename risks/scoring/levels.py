"""The five qualitative levels, and the organisation's scales that map numbers onto them and back."""

import math
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    VERY_LOW = "very_low"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very_high"

    @property
    def rank(self) -> int:
        """0 for very_low up to 4 for very_high."""
        return LEVELS.index(self)


LEVELS: tuple[Level, ...] = tuple(Level)


@dataclass(frozen=True)
class LevelScale:
    """Five contiguous ranges, one per level: `edges[i] <= value < edges[i + 1]` is level i.

    A value below the first edge is very_low and one at or above the last is very_high, so every non-negative
    number has a level. The last edge may be infinite (no upper end). Used for event frequency (events per
    year) and for loss magnitude (money per event).
    """

    edges: tuple[float, float, float, float, float, float]

    def __post_init__(self) -> None:
        if len(self.edges) != len(LEVELS) + 1:
            raise ValueError(f"A scale has {len(LEVELS) + 1} edges, not {len(self.edges)}.")
        if any(math.isnan(edge) for edge in self.edges) or self.edges[0] < 0:
            raise ValueError("Scale edges are numbers from 0 up.")
        if any(low >= high for low, high in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("Scale edges must increase from one level to the next.")
        if math.isinf(self.edges[-2]):
            raise ValueError("Only the last edge may be infinite.")

    def level_of(self, value: float) -> Level:
        if math.isnan(value) or value < 0:
            raise ValueError(f"A level is for a number from 0 up, not {value}.")
        for level, upper in zip(LEVELS[:-1], self.edges[1:-1], strict=True):
            if value < upper:
                return level
        return Level.VERY_HIGH

    def range_of(self, level: Level) -> tuple[float, float]:
        """The level's range, lower bound included and upper bound excluded."""
        rank = Level(level).rank
        return self.edges[rank], self.edges[rank + 1]


# Starting points for an organisation that has not set its own scales: decades, from "less than once in ten
# years" to "more than a hundred times a year", and from under 10,000 to over 10 million per event.
DEFAULT_FREQUENCY_SCALE = LevelScale((0.0, 0.1, 1.0, 10.0, 100.0, math.inf))
DEFAULT_MAGNITUDE_SCALE = LevelScale((0.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0, math.inf))
