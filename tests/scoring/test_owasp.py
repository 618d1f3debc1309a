import pytest

from risks.scoring.owasp import FACTORS, OwaspFactors, OwaspLevel, Severity, level_of, rate

# The worked example of the OWASP Risk Rating Methodology page ("Repeatable Method" and "Determining
# Severity"): likelihood 4.375 (medium), technical impact 7.25 (high), business impact 2.25 (low); overall
# severity low, though high from a purely technical perspective.
WORKED_EXAMPLE = dict(
    skill_level=5,
    motive=2,
    opportunity=7,
    size=1,
    ease_of_discovery=3,
    ease_of_exploit=6,
    awareness=9,
    intrusion_detection=2,
    loss_of_confidentiality=9,
    loss_of_integrity=7,
    loss_of_availability=5,
    loss_of_accountability=8,
    financial_damage=1,
    reputation_damage=2,
    non_compliance=1,
    privacy_violation=5,
)
TECHNICAL_ONLY = {name: value for name, value in WORKED_EXAMPLE.items() if name in FACTORS[:12]}


def test_it_rates_the_owasp_worked_example() -> None:
    rating = rate(OwaspFactors(**WORKED_EXAMPLE))
    assert (rating.likelihood, rating.likelihood_level) == (4.375, OwaspLevel.MEDIUM)
    assert (rating.technical_impact, rating.technical_impact_level) == (7.25, OwaspLevel.HIGH)
    assert (rating.business_impact, rating.business_impact_level) == (2.25, OwaspLevel.LOW)
    assert rating.technical_severity == Severity.HIGH
    assert rating.severity == Severity.LOW


def test_technical_impact_decides_when_business_impact_is_not_given() -> None:
    rating = rate(OwaspFactors(**TECHNICAL_ONLY))
    assert (rating.business_impact, rating.business_impact_level) == (None, None)
    assert rating.severity == rating.technical_severity == Severity.HIGH


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, "low"), (2.999, "low"), (3, "medium"), (5.999, "medium"), (6, "high"), (9, "high")],
)
def test_levels_are_low_below_3_medium_below_6_high_otherwise(score: float, level: str) -> None:
    assert level_of(score) == level


@pytest.mark.parametrize(
    ("likelihood", "impact", "severity"),
    [
        (1, 1, "note"),
        (4, 1, "low"),
        (7, 1, "medium"),
        (1, 4, "low"),
        (4, 4, "medium"),
        (7, 4, "high"),
        (1, 7, "medium"),
        (4, 7, "high"),
        (7, 7, "critical"),
    ],
)
def test_the_severity_table(likelihood: float, impact: float, severity: str) -> None:
    factors = dict.fromkeys(FACTORS[:8], likelihood) | dict.fromkeys(FACTORS[8:12], impact)
    assert rate(OwaspFactors(**factors)).severity == severity


def test_a_factor_may_take_any_value_from_0_to_9() -> None:
    rating = rate(OwaspFactors(**(TECHNICAL_ONLY | {"skill_level": 0.5, "motive": 8.5})))
    assert rating.likelihood == pytest.approx((0.5 + 8.5 + 7 + 1 + 3 + 6 + 9 + 2) / 8)


@pytest.mark.parametrize("value", [-0.1, 9.01, "5", None, float("nan")])
def test_a_factor_outside_0_to_9_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="skill_level"):
        OwaspFactors(**(TECHNICAL_ONLY | {"skill_level": value}))  # type: ignore[arg-type]


def test_business_factors_come_together_or_not_at_all() -> None:
    with pytest.raises(ValueError, match="all four business"):
        OwaspFactors(**(TECHNICAL_ONLY | {"financial_damage": 3}))
