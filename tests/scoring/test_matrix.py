import math

import pytest

from risks.scoring.levels import DEFAULT_FREQUENCY_SCALE, LEVELS, Level, LevelScale
from risks.scoring.matrix import NIST_SP_800_30, RiskMatrix

VL, L, M, H, VH = LEVELS

# NIST SP 800-30 Rev. 1, Appendix I, Table I-2, row by row as printed (likelihood from very high down to very
# low; impact from very low to very high).
NIST_TABLE_I_2 = {
    VH: (VL, L, M, H, VH),
    H: (VL, L, M, H, VH),
    M: (VL, L, M, M, H),
    L: (VL, L, L, L, M),
    VL: (VL, VL, VL, L, L),
}


@pytest.mark.parametrize("likelihood", LEVELS)
@pytest.mark.parametrize("impact", LEVELS)
def test_the_default_matrix_is_nist_table_i_2(likelihood: Level, impact: Level) -> None:
    assert NIST_SP_800_30.level(likelihood, impact) == NIST_TABLE_I_2[likelihood][impact.rank]


def test_it_is_a_lookup_table_not_a_product() -> None:
    assert NIST_SP_800_30.level(Level.VERY_HIGH, Level.VERY_LOW) == Level.VERY_LOW
    assert NIST_SP_800_30.level(Level.VERY_LOW, Level.VERY_HIGH) == Level.LOW


def test_it_takes_level_names() -> None:
    assert NIST_SP_800_30.level("high", "moderate") == "moderate"  # type: ignore[arg-type]


def test_an_organisation_can_use_its_own_table() -> None:
    cautious = RiskMatrix.from_levels({likelihood: [Level.VERY_HIGH] * 5 for likelihood in LEVELS})
    assert cautious.level(Level.VERY_LOW, Level.VERY_LOW) == Level.VERY_HIGH


@pytest.mark.parametrize(
    "rows",
    [
        ((Level.LOW,) * 5,) * 4,
        ((Level.LOW,) * 4,) * 5,
        (("low",) * 5,) * 5,
    ],
)
def test_a_table_must_be_five_by_five_levels(rows: tuple[tuple[Level, ...], ...]) -> None:
    with pytest.raises(ValueError, match="risk matrix"):
        RiskMatrix(rows)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0, Level.VERY_LOW),
        (0.0999, Level.VERY_LOW),
        (0.1, Level.LOW),
        (1, Level.MODERATE),
        (9.99, Level.MODERATE),
        (10, Level.HIGH),
        (100, Level.VERY_HIGH),
        (1e9, Level.VERY_HIGH),
    ],
)
def test_a_scale_maps_a_number_to_its_level(value: float, level: Level) -> None:
    assert DEFAULT_FREQUENCY_SCALE.level_of(value) == level


def test_a_scale_maps_a_level_to_its_range_and_back() -> None:
    scale = LevelScale((0, 1_000, 10_000, 100_000, 1_000_000, 5_000_000))
    assert scale.range_of(Level.MODERATE) == (10_000, 100_000)
    assert DEFAULT_FREQUENCY_SCALE.range_of(Level.VERY_HIGH) == (100, math.inf)
    for level in LEVELS:
        low, high = scale.range_of(level)
        assert scale.level_of(low) == level
        assert scale.level_of((low + high) / 2) == level


def test_a_value_above_the_last_edge_is_very_high() -> None:
    assert LevelScale((0, 1, 2, 3, 4, 5)).level_of(50) == Level.VERY_HIGH


@pytest.mark.parametrize(
    "edges",
    [(0, 1, 1, 2, 3, 4), (-1, 1, 2, 3, 4, 5), (0, 1, 2, 3, math.inf, math.inf), (0, 1, 2, 3, 4)],
)
def test_a_scale_refuses_edges_that_do_not_rise(edges: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match=r"[Ss]cale|edge"):
        LevelScale(edges)  # type: ignore[arg-type]


def test_a_scale_refuses_a_negative_number() -> None:
    with pytest.raises(ValueError, match="from 0 up"):
        DEFAULT_FREQUENCY_SCALE.level_of(-1)
